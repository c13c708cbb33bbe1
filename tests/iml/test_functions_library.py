"""Direct tests of the built-in library: registration, limits, messages and randomness.

Functions are called with a stand-in call context, so these tests do not depend on the parser.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

import imlconnect.iml.functions  # noqa: F401  (registers the built-ins)
from imlconnect.iml.errors import IMLLimitError, IMLRuntimeError
from imlconnect.iml.functions.registry import BUILTINS
from imlconnect.iml.limits import Limits
from imlconnect.iml.values import UNDEFINED

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)

REQUIRED = [
    "if",
    "ifempty",
    "switch",
    "get",
    "pick",
    "omit",
    "length",
    "lower",
    "upper",
    "capitalize",
    "startcase",
    "trim",
    "substring",
    "indexOf",
    "contains",
    "replace",
    "replaceEmojiCharacters",
    "split",
    "ascii",
    "base64",
    "base64url",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "encodeURL",
    "decodeURL",
    "escapeHTML",
    "escapeMarkdown",
    "stripHTML",
    "toString",
    "toBinary",
    "mime",
    "abs",
    "ceil",
    "floor",
    "round",
    "trunc",
    "min",
    "max",
    "sum",
    "average",
    "median",
    "stdevP",
    "stdevS",
    "parseNumber",
    "formatNumber",
    "formatDate",
    "parseDate",
    "addSeconds",
    "addMinutes",
    "addHours",
    "addDays",
    "addMonths",
    "addYears",
    "setSecond",
    "setMinute",
    "setHour",
    "setDay",
    "setDate",
    "setMonth",
    "setYear",
    "first",
    "last",
    "slice",
    "merge",
    "add",
    "remove",
    "distinct",
    "deduplicate",
    "flatten",
    "keys",
    "map",
    "sort",
    "reverse",
    "shuffle",
    "toArray",
    "toCollection",
    "join",
    "parseJSON",
    "createJSON",
    "jwt",
]


@dataclass
class StubCall:
    """A stand-in for CallContext with the attributes the functions read."""

    name: str
    timezone: str = "UTC"
    now: datetime = NOW
    limits: Limits = field(default_factory=Limits)
    rng: random.Random | None = None


def call(name: str, *args: Any, limits: Limits | None = None, rng: random.Random | None = None) -> Any:
    definition = BUILTINS.get(name)
    assert definition is not None, name
    stub = StubCall(name=name, limits=limits or Limits(), rng=rng)
    if definition.lazy:
        return definition.func(stub, *[(lambda value=value: value) for value in args])
    return definition.func(stub, *args)


# --- registration --------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUIRED)
def test_builtin_registered(name: str) -> None:
    assert name in BUILTINS


@pytest.mark.parametrize("name", ["if", "ifempty", "switch"])
def test_conditionals_are_lazy(name: str) -> None:
    definition = BUILTINS.get(name)
    assert definition is not None
    assert definition.lazy


def test_if_skips_other_branch() -> None:
    evaluated: list[str] = []

    def branch(label: str) -> Any:
        def thunk() -> str:
            evaluated.append(label)
            return label

        return thunk

    definition = BUILTINS.get("if")
    assert definition is not None
    result = definition.func(StubCall("if"), lambda: True, branch("then"), branch("else"))
    assert result == "then"
    assert evaluated == ["then"]


def test_switch_evaluates_only_needed() -> None:
    evaluated: list[int] = []

    def value(number: int) -> Any:
        def thunk() -> int:
            evaluated.append(number)
            return number

        return thunk

    definition = BUILTINS.get("switch")
    assert definition is not None
    result = definition.func(
        StubCall("switch"), value(2), value(1), value(10), value(2), value(20), value(99)
    )
    assert result == 20
    assert 10 not in evaluated
    assert 99 not in evaluated


def test_arity_bounds_of_substring() -> None:
    definition = BUILTINS.get("substring")
    assert definition is not None
    assert (definition.min_args, definition.max_args) == (2, 3)


# --- limits --------------------------------------------------------------------------------

SMALL = Limits(max_string_length=100, max_array_length=5, max_pattern_length=20)


def test_split_array_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("split", "a,b,c,d,e,f", ",", limits=SMALL)


def test_merge_array_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("merge", [1, 2, 3], [4, 5, 6], limits=SMALL)


def test_add_array_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("add", [1, 2, 3, 4, 5], 6, limits=SMALL)


def test_flatten_array_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("flatten", [[1, 2, 3], [4, 5, 6]], limits=SMALL)


def test_replace_plain_text_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("replace", "a" * 50, "a", "bbb", limits=SMALL)


def test_replace_regex_text_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("replace", "a" * 50, "/a/g", "bbb", limits=SMALL)


def test_join_text_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("join", ["x" * 60, "y" * 60], limits=SMALL)


def test_base64_text_limit() -> None:
    with pytest.raises(IMLLimitError):
        call("base64", "z" * 90, limits=SMALL)


def test_pattern_length_limit() -> None:
    with pytest.raises(IMLRuntimeError, match="longer than 20"):
        call("replace", "abc", "/" + "a" * 30 + "/", "x", limits=SMALL)


def test_regex_time_limit() -> None:
    tight = Limits(regex_timeout_seconds=1e-9)
    with pytest.raises(IMLLimitError, match="time limit"):
        call("replace", "ab" * 5000, "/a/g", "c", limits=tight)


def test_limit_error_names_function() -> None:
    with pytest.raises(IMLLimitError) as caught:
        call("split", "a,b,c,d,e,f", ",", limits=SMALL)
    assert caught.value.function == "split"


# --- messages ------------------------------------------------------------------------------


def test_error_names_function_and_type() -> None:
    with pytest.raises(IMLRuntimeError) as caught:
        call("lower", {"a": 1})
    assert caught.value.function == "lower"
    assert "argument 1" in str(caught.value)
    assert "collection" in str(caught.value)


def test_error_hides_text_value() -> None:
    secret = "sk-live-0123456789"
    with pytest.raises(IMLRuntimeError) as caught:
        call("abs", secret)
    assert secret not in str(caught.value)


def test_hmac_error_hides_key() -> None:
    key = "very-secret-key"
    with pytest.raises(IMLRuntimeError) as caught:
        call("sha256", "data", "hex", key, "morse")
    assert key not in str(caught.value)


def test_parse_json_error_hides_text() -> None:
    text = '{"password": "hunter2"'
    with pytest.raises(IMLRuntimeError) as caught:
        call("parseJSON", text)
    assert "hunter2" not in str(caught.value)


def test_parse_json_error_gives_reason() -> None:
    with pytest.raises(IMLRuntimeError, match="line 1 column"):
        call("parseJSON", '{"a" 1}')


# --- randomness and purity -----------------------------------------------------------------


def test_shuffle_uses_call_rng() -> None:
    items = list(range(20))
    first = call("shuffle", items, rng=random.Random(42))
    second = call("shuffle", items, rng=random.Random(42))
    assert first == second


def test_shuffle_keeps_input() -> None:
    items = list(range(20))
    call("shuffle", items, rng=random.Random(1))
    assert items == list(range(20))


def test_shuffle_keeps_items() -> None:
    result = call("shuffle", list(range(20)), rng=random.Random(3))
    assert sorted(result) == list(range(20))


def test_add_keeps_input() -> None:
    items = [1, 2]
    call("add", items, 3)
    assert items == [1, 2]


def test_sort_keeps_input() -> None:
    items = [3, 1, 2]
    call("sort", items)
    assert items == [3, 1, 2]


def test_sort_is_stable() -> None:
    items = [{"k": 1, "id": index} for index in range(10)] + [{"k": 0, "id": 99}]
    result = call("sort", items, "asc", "k")
    assert [item["id"] for item in result] == [99, *range(10)]


def test_sort_desc_is_stable() -> None:
    items = [{"k": 1, "id": index} for index in range(5)] + [{"k": 2, "id": 99}]
    result = call("sort", items, "desc", "k")
    assert [item["id"] for item in result] == [99, *range(5)]


# --- values that the case table cannot write -----------------------------------------------


def test_length_of_undefined() -> None:
    assert call("length", UNDEFINED) == 0


def test_round_returns_int() -> None:
    result = call("round", 2.5)
    assert type(result) is int


def test_sum_returns_float() -> None:
    result = call("sum", 0.1, 0.2)
    assert result == 0.3


def test_parse_json_big_integer() -> None:
    result = call("parseJSON", "12345678901234567890")
    assert result == float(12345678901234567890)


def test_create_json_nan_is_null() -> None:
    assert call("createJSON", [float("nan"), float("inf")]) == "[null,null]"


def test_create_json_drops_undefined_key() -> None:
    assert call("createJSON", {"a": UNDEFINED, "b": 1}) == '{"b":1}'


def test_create_json_lone_surrogate() -> None:
    assert call("createJSON", "\ud800") == '"\\ud800"'


def test_substring_splits_surrogate_pair() -> None:
    assert call("substring", "\U0001f600", 0, 1) == "\ud83d"


def test_to_binary_returns_bytes() -> None:
    assert call("toBinary", "SGk=", "base64") == b"Hi"


def test_to_string_hex_of_bytes() -> None:
    assert call("toString", b"\x00\xff", "hex") == "00ff"


def test_mime_ignores_system_table() -> None:
    assert call("mime", "archive.zip") == "application/zip"


def test_if_without_else() -> None:
    assert call("if", False, "x") is UNDEFINED


def test_get_on_bytes() -> None:
    assert call("get", b"abc", "1") is UNDEFINED
