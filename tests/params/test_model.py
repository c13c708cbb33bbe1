"""ParameterSpec helpers (secrets, missing required fields, iteration), coercion and JS patterns."""

from __future__ import annotations

import pytest

from imlconnect.params import (
    CoercionError,
    coerce_text,
    compile_js_pattern,
    parse_parameters,
    validate_values,
)
from imlconnect.params.fields import strict_equal
from imlconnect.params.validate import PatternError

SPEC_RAW = [
    {"type": "banner", "title": "Welcome"},
    {"name": "apiKey", "type": "password", "required": True},
    {
        "name": "auth",
        "type": "select",
        "required": True,
        "options": [
            {
                "value": "basic",
                "nested": [
                    {"name": "user", "type": "text", "required": True},
                    {"name": "pass", "type": "password", "required": True},
                ],
            },
            {
                "value": "cert",
                "nested": [
                    {"name": "clientCert", "type": "cert", "required": True},
                    {"name": "clientKey", "type": "pkey"},
                ],
            },
        ],
    },
    {"name": "region", "type": "text", "required": True, "default": "eu"},
    {
        "name": "sandbox",
        "type": "boolean",
        "nested": [{"name": "sandboxKey", "type": "password", "required": True}],
    },
    {"name": "extra", "type": "collection", "spec": [{"name": "innerSecret", "type": "password"}]},
    {
        "name": "headers",
        "type": "array",
        "spec": [{"name": "name", "type": "text"}, {"name": "token", "type": "password"}],
    },
    {"name": "pins", "type": "array", "spec": {"type": "password"}},
]


@pytest.fixture(name="spec")
def spec_fixture():
    spec, problems = parse_parameters(SPEC_RAW)
    assert problems == []
    return spec


def test_secret_names_nested(spec) -> None:
    assert spec.secret_names() == {
        "apiKey",
        "pass",
        "clientCert",
        "clientKey",
        "sandboxKey",
        "innerSecret",
        "token",
        "pins",
    }


def test_secret_paths_alias(spec) -> None:
    assert spec.secret_paths() == spec.secret_names()


def test_secret_values_found(spec) -> None:
    values = {
        "apiKey": "k-1",
        "auth": "basic",
        "user": "ann",
        "pass": "p-2",
        "extra": {"innerSecret": "s-3"},
        "headers": [{"name": "x", "token": "t-4"}, {"name": "y", "token": "k-1"}],
        "pins": ["1234", ""],
        "region": "eu",
    }
    assert spec.secret_values(values) == ["k-1", "p-2", "s-3", "t-4", "1234"]


def test_secret_values_inactive_branch(spec) -> None:
    assert spec.secret_values({"auth": "cert", "pass": "left-over"}) == ["left-over"]


def test_secret_values_not_mapping(spec) -> None:
    assert spec.secret_values(["x"]) == []


def test_secret_values_number(spec) -> None:
    assert spec.secret_values({"apiKey": 1234}) == ["1234"]


def test_missing_required_top(spec) -> None:
    assert [field.name for field in spec.missing_required({})] == ["apiKey", "auth"]


def test_missing_required_nested(spec) -> None:
    missing = spec.missing_required({"apiKey": "k", "auth": "basic", "sandbox": True})
    assert [field.name for field in missing] == ["user", "pass", "sandboxKey"]


def test_missing_required_text_values(spec) -> None:
    missing = spec.missing_required({"apiKey": "k", "auth": "cert", "sandbox": "true"})
    assert [field.name for field in missing] == ["clientCert", "sandboxKey"]


def test_missing_required_default_counts(spec) -> None:
    missing = spec.missing_required({"apiKey": "k", "auth": "basic", "user": "u", "pass": "p"})
    assert missing == []


def test_missing_required_explicit_empty(spec) -> None:
    missing = spec.missing_required({"apiKey": "", "auth": "basic", "user": "u", "pass": "p", "region": None})
    assert [field.name for field in missing] == ["apiKey", "region"]


def test_iter_fields_order(spec) -> None:
    names = [field.name for field in spec.iter_fields()]
    assert names == [
        None,
        "apiKey",
        "auth",
        "user",
        "pass",
        "clientCert",
        "clientKey",
        "region",
        "sandbox",
        "sandboxKey",
        "extra",
        "innerSecret",
        "headers",
        "name",
        "token",
        "pins",
        None,
    ]


def test_values_not_mapping(spec) -> None:
    values, problems = validate_values(spec, ["a"])
    assert values == {}
    assert [(p.path, p.message) for p in problems] == [
        ("parameters", "Expected type 'collection', got type 'array'.")
    ]


def test_validate_does_not_mutate(spec) -> None:
    supplied = {"apiKey": "k", "auth": "basic", "user": "u", "pass": "p", "extra": {}}
    snapshot = {"apiKey": "k", "auth": "basic", "user": "u", "pass": "p", "extra": {}}
    validate_values(spec, supplied)
    assert supplied == snapshot


def test_secret_not_in_messages() -> None:
    spec, _problems = parse_parameters(
        [{"name": "key", "type": "password", "validate": {"pattern": "^sk_"}}, {"name": "pk", "type": "pkey"}]
    )
    _values, problems = validate_values(spec, {"key": "hunter2-secret", "pk": "hunter3-secret"})
    assert len(problems) == 2
    assert all("hunter" not in problem.message for problem in problems)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("1", 1, False),
        (1, 1.0, True),
        (True, 1, False),
        (False, False, True),
        ({"a": 1}, {"a": 1}, True),
        ([1], [1], True),
        ([1], {"1": 1}, False),
        (None, None, True),
    ],
)
def test_strict_equal(left, right, expected) -> None:
    assert strict_equal(left, right) is expected


def test_coerce_number_field() -> None:
    spec, _problems = parse_parameters([{"name": "n", "type": "number"}])
    assert coerce_text(spec.fields[0], "12") == 12


def test_coerce_error_message() -> None:
    spec, _problems = parse_parameters([{"name": "n", "type": "integer"}])
    with pytest.raises(CoercionError) as caught:
        coerce_text(spec.fields[0], "twelve")
    assert caught.value.message == "Value 'twelve' is not a number."


def test_coerce_long_value_cut() -> None:
    spec, _problems = parse_parameters([{"name": "n", "type": "number"}])
    with pytest.raises(CoercionError) as caught:
        coerce_text(spec.fields[0], "x" * 200)
    assert len(caught.value.message) < 100


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("^a+$", "aaa", True),
        ("^[^]$", "\n", True),
        ("\\bcat\\b", "a cat!", True),
        ("^\\x41\\u0042$", "AB", True),
        ("^\\cJ$", "\n", True),
        ("^(?:ab)+$", "abab", True),
        ("^(?<year>\\d{4})-\\d{2}$", "2024-05", True),
        ("^[\\s]+$", "\u3000", True),
        ("^\\S+$", "a\u00a0b", False),
        ("^[\\d-z]+$", "1-z", True),
        ("^\\0$", "\x00", True),
        ("a+?", "aaa", True),
        ("^.{2,3}$", "abcd", False),
        ("\\.", "x", False),
    ],
)
def test_js_pattern_search(pattern: str, text: str, expected: bool) -> None:
    assert compile_js_pattern(pattern).search(text) is expected


def test_js_pattern_linear_time() -> None:
    # A pattern that backtracks exponentially in JavaScript and Python finishes at once on RE2.
    assert compile_js_pattern("^(a+)+$").search("a" * 5000 + "b") is False


def test_js_pattern_error_type() -> None:
    with pytest.raises(PatternError) as caught:
        compile_js_pattern("(?<=a)b")
    assert caught.value.unsupported is True
