"""Math functions: rounding, aggregates over numbers, parseNumber and formatNumber.

Arithmetic is decimal-exact on the shortest digits of each number (`Decimal(repr(x))`), as
Make's decimal.js arithmetic is, so `sum(0.1, 0.2)` is 0.3. Results go through
`normalize_number`, so integral results are ints.

Number arguments accept numbers and numeric text. The aggregates (`min` ... `stdevS`) take one
array or several values. Nested arrays are flattened one level and values that are not numbers
or numeric text are skipped, as in Make. With no numbers left, `sum` is 0 and the others are
null. Single-number functions return undefined and null unchanged.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, localcontext

from ..values import Value, is_nullish, is_number, normalize_number
from .coerce import (
    CallLike,
    check_text,
    fail,
    parse_numeric_text,
    strip_js_whitespace,
    to_decimal,
    to_integer,
    to_number,
    to_text,
    wrong_type,
)
from .registry import BUILTINS

_PRECISION = 1000  # digits for any double (309) plus 100 decimals, so quantize never fails


def _result(number: Decimal | float) -> int | float:
    return normalize_number(number)


def _unary(call: CallLike, value: Value) -> int | float | None:
    if is_nullish(value):
        return None
    return to_number(call, value, 1)


@BUILTINS.register("abs", min_args=1, max_args=1)
def abs_(call: CallLike, value: Value) -> Value:
    """Return the absolute value of a number."""
    number = _unary(call, value)
    return value if number is None else _result(abs(number))


@BUILTINS.register("ceil", min_args=1, max_args=1)
def ceil(call: CallLike, value: Value) -> Value:
    """Round a number up to the next integer (`ceil(1.2)` is 2, `ceil(-1.2)` is -1)."""
    number = _unary(call, value)
    if number is None:
        return value
    return _result(math.ceil(number)) if math.isfinite(number) else number


@BUILTINS.register("floor", min_args=1, max_args=1)
def floor(call: CallLike, value: Value) -> Value:
    """Round a number down to the previous integer (`floor(1.9)` is 1, `floor(-1.2)` is -2)."""
    number = _unary(call, value)
    if number is None:
        return value
    return _result(math.floor(number)) if math.isfinite(number) else number


def _quantize(call: CallLike, number: float, places: Value, rounding_for: str) -> int | float:
    digits = 0 if is_nullish(places) else to_integer(call, places, 2)
    if isinstance(number, float) and not math.isfinite(number):
        return number
    if digits > 20:
        return number  # a double has no digits that far past the decimal point
    if digits < -400:
        return 0
    exact = to_decimal(number)
    if rounding_for == "round":
        # JavaScript's Math.round: halves go toward +Infinity (2.5 -> 3, -2.5 -> -2).
        mode = ROUND_HALF_UP if exact >= 0 else ROUND_HALF_DOWN
    else:
        mode = ROUND_DOWN
    with localcontext() as context:
        context.prec = _PRECISION
        rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=mode)
    return _result(rounded)


@BUILTINS.register("round", min_args=1, max_args=2)
def round_(call: CallLike, value: Value, places: Value = None) -> Value:
    """Round to the nearest integer, or to `places` decimals (negative places round tens, hundreds...).

    Halves round up toward +Infinity as JavaScript's Math.round does, so `round(-2.5)` is -2.
    The rounding is decimal-exact: `round(1.005, 2)` is 1.01.
    """
    number = _unary(call, value)
    return value if number is None else _quantize(call, number, places, "round")


@BUILTINS.register("trunc", min_args=1, max_args=2)
def trunc(call: CallLike, value: Value, places: Value = None) -> Value:
    """Drop digits after `places` decimals (default 0). Negative places zero out digits (`trunc(123, -2)` is 100)."""
    number = _unary(call, value)
    return value if number is None else _quantize(call, number, places, "trunc")


# --- aggregates ----------------------------------------------------------------------------


def _collect(args: tuple[Value, ...]) -> list[Decimal]:
    values: list[Value] = []
    for arg in args:
        if isinstance(arg, list):
            values.extend(arg)
        else:
            values.append(arg)
    numbers: list[Decimal] = []
    for item in values:
        if is_number(item):
            if isinstance(item, float) and not math.isfinite(item):
                continue
            numbers.append(to_decimal(item))
        elif isinstance(item, str):
            parsed = parse_numeric_text(item)
            if parsed is not None:
                numbers.append(to_decimal(parsed))
    return numbers


def _divide(numerator: Decimal, denominator: int | Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = 34
        return numerator / Decimal(denominator)


@BUILTINS.register("min", min_args=1)
def min_(call: CallLike, *values: Value) -> Value:
    """Return the smallest number among the values (or in one array)."""
    numbers = _collect(values)
    return _result(min(numbers)) if numbers else None


@BUILTINS.register("max", min_args=1)
def max_(call: CallLike, *values: Value) -> Value:
    """Return the largest number among the values (or in one array)."""
    numbers = _collect(values)
    return _result(max(numbers)) if numbers else None


@BUILTINS.register("sum", min_args=1)
def sum_(call: CallLike, *values: Value) -> Value:
    """Return the decimal-exact sum of the numbers among the values (0 when there are none)."""
    with localcontext() as context:
        context.prec = _PRECISION
        total = sum(_collect(values), Decimal(0))
    return _result(total)


@BUILTINS.register("average", min_args=1)
def average(call: CallLike, *values: Value) -> Value:
    """Return the arithmetic mean of the numbers among the values."""
    numbers = _collect(values)
    if not numbers:
        return None
    with localcontext() as context:
        context.prec = _PRECISION
        total = sum(numbers, Decimal(0))
    return _result(_divide(total, len(numbers)))


@BUILTINS.register("median", min_args=1)
def median(call: CallLike, *values: Value) -> Value:
    """Return the median: the middle number, or the mean of the two middle numbers."""
    numbers = sorted(_collect(values))
    if not numbers:
        return None
    middle = len(numbers) // 2
    if len(numbers) % 2 == 1:
        return _result(numbers[middle])
    return _result(_divide(numbers[middle - 1] + numbers[middle], 2))


def _stdev(values: tuple[Value, ...], sample: bool) -> Value:
    numbers = _collect(values)
    count = len(numbers)
    if count == 0 or (sample and count < 2):
        return None
    with localcontext() as context:
        context.prec = 34
        mean = sum(numbers, Decimal(0)) / count
        squares = sum(((number - mean) ** 2 for number in numbers), Decimal(0))
        variance = squares / (count - 1 if sample else count)
        return _result(variance.sqrt())


@BUILTINS.register("stdevP", min_args=1)
def stdev_p(call: CallLike, *values: Value) -> Value:
    """Return the population standard deviation of the numbers among the values."""
    return _stdev(values, sample=False)


@BUILTINS.register("stdevS", min_args=1)
def stdev_s(call: CallLike, *values: Value) -> Value:
    """Return the sample standard deviation (divisor n - 1). Null for fewer than two numbers."""
    return _stdev(values, sample=True)


# --- parsing and formatting ----------------------------------------------------------------

_GROUPING_CHARACTERS = " \xa0\u2009\u202f'_"


@BUILTINS.register("parseNumber", min_args=1, max_args=2)
def parse_number(call: CallLike, text: Value, decimal_separator: Value = ".") -> Value:
    """Read a number from text written with the given decimal separator (`.` or `,`).

    The other of the two marks, spaces and apostrophes are read as thousands separators and
    removed, so `parseNumber('1 756,456', ',')` is 1756.456. Numbers are returned unchanged.
    """
    if is_nullish(text):
        return text
    if is_number(text):
        return text
    source = strip_js_whitespace(to_text(call, text, 1))
    separator = "." if is_nullish(decimal_separator) else to_text(call, decimal_separator, 2)
    if separator not in (".", ","):
        fail(call, f"argument 2 must be the decimal separator '.' or ',', got '{separator[:10]}'.")
    grouping = "," if separator == "." else "."
    cleaned = "".join(char for char in source if char not in _GROUPING_CHARACTERS and char != grouping)
    if separator == ",":
        cleaned = cleaned.replace(",", ".")
    number = parse_numeric_text(cleaned)
    if number is None:
        fail(call, f"argument 1 is not a number written with '{separator}' as the decimal separator.")
    return number


@BUILTINS.register("formatNumber", min_args=1, max_args=4)
def format_number(
    call: CallLike,
    value: Value,
    places: Value = 0,
    decimal_separator: Value = ",",
    thousands_separator: Value = ".",
) -> Value:
    """Write a number with `places` decimals and the given separators.

    The separators default to Make's European style: `,` for decimals and `.` for thousands,
    so `formatNumber(123456789, 3)` is `123.456.789,000`. Rounding is half away from zero
    on the exact decimal digits, like JavaScript's toFixed on exactly representable values.
    """
    if is_nullish(value):
        return value
    number = to_number(call, value, 1)
    if isinstance(number, float) and not math.isfinite(number):
        fail(call, f"argument 1 must be a finite number, got {number}.")
    digits = 0 if is_nullish(places) else to_integer(call, places, 2)
    if not 0 <= digits <= 100:
        fail(call, f"argument 2 (decimals) must be between 0 and 100, got {digits}.")
    decimal_mark = "," if is_nullish(decimal_separator) else _separator(call, decimal_separator, 3)
    group_mark = "." if is_nullish(thousands_separator) else _separator(call, thousands_separator, 4)

    with localcontext() as context:
        context.prec = _PRECISION
        rounded = to_decimal(number).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    negative = rounded < 0
    text = f"{abs(rounded):f}"
    whole, _, fraction = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    result = group_mark.join(groups)
    if digits:
        result += decimal_mark + fraction
    return check_text(call, ("-" if negative else "") + result)


def _separator(call: CallLike, value: Value, position: int) -> str:
    if isinstance(value, (list, dict)):
        wrong_type(call, position, value, "text")
    return to_text(call, value, position)
