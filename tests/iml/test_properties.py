"""Property tests: the parser fails only with syntax errors, rendering is deterministic, and the
operators accept any pair of values."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imlconnect.iml import Context, compile_template
from imlconnect.iml import operators as op
from imlconnect.iml.errors import IMLError, IMLSyntaxError
from imlconnect.iml.functions.registry import FunctionRegistry
from imlconnect.iml.values import UNDEFINED, to_string

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that matter to the lexer and parser, so random text reaches deep into them.
IML_ALPHABET = "{}()[].,;'\"`!=<>&|+-*/%?~@#$_ \\\nabcxyz019"

dates = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))

scalars = st.one_of(
    st.none(),
    st.just(UNDEFINED),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "0", " 12 ", "2024-05-01T10:00:00Z", "1e3", "abc"]),
    dates,
    st.binary(max_size=10),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
    ),
    max_leaves=12,
)


def _registry() -> FunctionRegistry:
    registry = FunctionRegistry()

    @registry.register("pick", min_args=1)
    def pick(call: Any, first: Any, *rest: Any) -> Any:
        return first

    @registry.register("text", min_args=1, max_args=1)
    def text(call: Any, value: Any) -> Any:
        return to_string(value)

    @registry.register("either", min_args=2, max_args=2, lazy=True)
    def either(call: Any, left: Any, right: Any) -> Any:
        value = left()
        return value if value not in (None, "") else right()

    return registry


REGISTRY = _registry()

# --- a generator of valid expressions -------------------------------------------------------------

names = st.sampled_from(["body", "parameters", "statusCode", "items", "missing"])
keys = st.sampled_from(["a", "b", "list", "length", "1", "`odd key`"])
literals = st.one_of(
    st.integers(min_value=0, max_value=1000).map(str),
    st.sampled_from(["0.5", "12.25", "'x'", "''", "'2024-05-01T10:00:00Z'", "true", "false", "null", "undefined"]),
    st.sampled_from(["now", "timestamp", "emptyarray", "space", "pi", "emptystring"]),
)


def _path(parts: tuple[str, list[tuple[str, str]]]) -> str:
    root, segments = parts
    text = root
    for kind, argument in segments:
        text += f".{argument}" if kind == "key" else f"[{argument}]"
    return text


paths = st.tuples(
    names,
    st.lists(
        st.one_of(
            st.tuples(st.just("key"), keys),
            st.tuples(st.just("index"), st.sampled_from(["1", "-1", "0", "2", ""])),
        ),
        max_size=3,
    ),
).map(_path)

binary_operators = st.sampled_from(["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||"])

expressions = st.recursive(
    st.one_of(literals, paths),
    lambda inner: st.one_of(
        st.tuples(inner, binary_operators, inner).map(lambda parts: f"{parts[0]} {parts[1]} {parts[2]}"),
        inner.map(lambda text: f"!({text})"),
        inner.map(lambda text: f"-({text})"),
        inner.map(lambda text: f"({text})"),
        st.tuples(inner, inner).map(lambda parts: f"pick({parts[0]}, {parts[1]})"),
        inner.map(lambda text: f"text({text})"),
        st.tuples(inner, inner).map(lambda parts: f"either({parts[0]}, {parts[1]})"),
    ),
    max_leaves=8,
)

VARIABLES = {
    "body": {"a": 1, "b": "two", "list": [{"a": 3}, {"a": 4}], "1": "one", "odd key": None},
    "parameters": {"a": "0.1", "b": 0.2, "length": 7},
    "statusCode": 200,
    "items": [1, "2", None, [3]],
}


def _same(first: Any, second: Any) -> bool:
    if isinstance(first, float) and isinstance(second, float) and math.isnan(first) and math.isnan(second):
        return True
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(_same(a, b) for a, b in zip(first, second))
    return type(first) is type(second) and bool(first == second)


@SETTINGS
@given(st.text(max_size=80))
def test_any_text_compiles_or_syntax_error(text: str) -> None:
    try:
        compile_template(text, registry=REGISTRY)
    except IMLSyntaxError:
        pass


@SETTINGS
@given(st.text(alphabet=IML_ALPHABET, max_size=60))
def test_iml_like_text_compiles_or_syntax_error(text: str) -> None:
    try:
        compile_template("{{" + text + "}}", registry=REGISTRY)
    except IMLSyntaxError:
        pass


@SETTINGS
@given(expressions, st.sampled_from(["{{%s}}", "[{{%s}}] text", "a {{%s}} b {{%s}}"]))
def test_render_deterministic(expression: str, layout: str) -> None:
    source = layout.replace("%s", expression)
    template = compile_template(source, registry=REGISTRY)
    results = []
    for _ in range(2):
        try:
            results.append(template.render(Context(VARIABLES, now=NOW)))
        except IMLError as exc:
            results.append(type(exc))
    assert _same(results[0], results[1])


@SETTINGS
@given(expressions)
def test_mixed_render_is_text(expression: str) -> None:
    template = compile_template("<{{" + expression + "}}>", registry=REGISTRY)
    try:
        result = template.render(Context(VARIABLES, now=NOW))
    except IMLError:
        return
    assert isinstance(result, str)


@SETTINGS
@given(values)
def test_to_string_is_text(value: Any) -> None:
    assert isinstance(to_string(value), str)


@SETTINGS
@given(values, values)
def test_loose_equality_symmetric(left: Any, right: Any) -> None:
    assert op.loose_equals(left, right) is op.loose_equals(right, left)


@SETTINGS
@given(values, values)
def test_compare_antisymmetric(left: Any, right: Any) -> None:
    forward = op.compare(left, right)
    backward = op.compare(right, left)
    assert (forward is None) == (backward is None)
    if forward is not None and backward is not None:
        assert forward == -backward


@SETTINGS
@given(values, values, st.sampled_from([op.add, op.subtract, op.multiply, op.divide, op.remainder, op.numeric_add]))
def test_arithmetic_total(left: Any, right: Any, operation: Any) -> None:
    result = operation(left, right)
    assert result is UNDEFINED or result is None or isinstance(result, (int, float, str, list, dict, bytes, datetime))


@SETTINGS
@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=6),
)
def test_decimal_addition_exact(whole_left: int, whole_right: int, places: int) -> None:
    scale = 10**places
    left = whole_left / scale
    right = whole_right / scale
    expected = (whole_left + whole_right) / scale
    assert op.add(left, right) == expected


@SETTINGS
@given(dates, st.integers(min_value=-(10**9), max_value=10**9))
def test_date_difference_in_milliseconds(moment: datetime, offset_ms: int) -> None:
    later = moment + timedelta(milliseconds=offset_ms)
    assert op.subtract(later, moment) == offset_ms
