"""Query-string encoding with the npm `qs` defaults: exact output for every rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from imlconnect.http.qs import encode_component, stringify, top_level_pairs
from imlconnect.iml.values import UNDEFINED


def test_flat_pairs_in_written_order() -> None:
    assert stringify({"b": "2", "a": "1"}) == "b=2&a=1"


def test_nested_object_brackets_encoded() -> None:
    assert stringify({"a": {"b": "c"}}) == "a%5Bb%5D=c"


def test_deeply_nested_object() -> None:
    assert stringify({"a": {"b": {"c": "d"}}}) == "a%5Bb%5D%5Bc%5D=d"


def test_array_indices() -> None:
    assert stringify({"a": ["x", "y"]}) == "a%5B0%5D=x&a%5B1%5D=y"


def test_array_of_objects() -> None:
    assert stringify({"a": [{"b": 1}, {"b": 2}]}) == "a%5B0%5D%5Bb%5D=1&a%5B1%5D%5Bb%5D=2"


def test_nested_arrays() -> None:
    assert stringify({"a": [["x"]]}) == "a%5B0%5D%5B0%5D=x"


def test_null_is_empty_value() -> None:
    assert stringify({"a": None}) == "a="


def test_nested_null_is_empty_value() -> None:
    assert stringify({"a": {"b": None}}) == "a%5Bb%5D="


def test_undefined_left_out() -> None:
    assert stringify({"a": UNDEFINED, "b": 1}) == "b=1"


def test_undefined_array_item_keeps_indices() -> None:
    assert stringify({"a": [1, UNDEFINED, 3]}) == "a%5B0%5D=1&a%5B2%5D=3"


def test_empty_string_value() -> None:
    assert stringify({"a": ""}) == "a="


def test_empty_containers_add_nothing() -> None:
    assert stringify({"a": {}, "b": [], "c": 1}) == "c=1"


def test_booleans() -> None:
    assert stringify({"t": True, "f": False}) == "t=true&f=false"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, "1"),
        (1.5, "1.5"),
        (2.0, "2"),
        (-0.000001, "-0.000001"),
        (1e-7, "1e-7"),
        (1e21, "1e%2B21"),
        (0.1, "0.1"),
    ],
)
def test_numbers_as_javascript(number: float, expected: str) -> None:
    assert stringify({"n": number}) == f"n={expected}"


def test_date_as_iso_text() -> None:
    moment = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert stringify({"d": moment}) == "d=2024-05-01T10%3A00%3A00.123Z"


def test_unicode_as_utf8() -> None:
    assert stringify({"q": "é ü"}) == "q=%C3%A9%20%C3%BC"


def test_astral_character_as_utf8() -> None:
    assert stringify({"q": "\U0001f600"}) == "q=%F0%9F%98%80"


def test_reserved_characters_encoded() -> None:
    assert stringify({"q": "a&b=c/d?e#f+g:h@i,j;k$l"}) == "q=a%26b%3Dc%2Fd%3Fe%23f%2Bg%3Ah%40i%2Cj%3Bk%24l"


def test_sub_delimiters_encoded() -> None:
    assert stringify({"q": "!'()*"}) == "q=%21%27%28%29%2A"


def test_unreserved_characters_kept() -> None:
    assert stringify({"q": "AZaz09-._~"}) == "q=AZaz09-._~"


def test_space_is_percent_20() -> None:
    assert stringify({"q": "a b"}) == "q=a%20b"


def test_keys_encoded() -> None:
    assert stringify({"a b": 1, "c[d]": 2}) == "a%20b=1&c%5Bd%5D=2"


def test_bytes_as_utf8_text() -> None:
    assert stringify({"b": "é".encode()}) == "b=%C3%A9"


def test_lone_surrogate_becomes_replacement() -> None:
    assert stringify({"q": "\ud800"}) == "q=%EF%BF%BD"


def test_empty_object() -> None:
    assert stringify({}) == ""


def test_top_level_array_keyed_by_index() -> None:
    assert stringify(["a", "b"]) == "0=a&1=b"


@pytest.mark.parametrize("value", ["text", 5, None, UNDEFINED, True])
def test_non_collection_is_empty(value: object) -> None:
    assert stringify(value) == ""


def test_pairs_are_unencoded() -> None:
    assert list(top_level_pairs({"a": {"b": "x y"}})) == [("a[b]", "x y")]


def test_encode_component_matches_qs() -> None:
    assert encode_component("a+b c/é~") == "a%2Bb%20c%2F%C3%A9~"
