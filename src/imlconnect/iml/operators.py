"""Semantics of IML operators and property access, following JavaScript where IML is silent.

Decisions that go beyond plain JavaScript:

- Arithmetic (`+` on numbers, `-`, `*`, `/`, `%`) is decimal-exact: operands are converted with
  `Decimal(repr(float))` or `Decimal(int)`, so `0.1 + 0.2` is `0.3` and `12.5 * 2` is the integer
  `25`. Division by zero gives `Infinity`, `-Infinity` or `NaN` as in JavaScript.
- `+` returns the other operand when one side is null or undefined (`null + 'x'` is `'x'`, and
  `'Retry in ' + body.missing` is `'Retry in '`). Otherwise it concatenates when either side is
  text, an array, a collection, a date or binary data (as JavaScript's `+` does for objects), and
  adds numbers and booleans. So `now + 1000` is text, not a later date; use `addSeconds()`.
- Equality is JavaScript's loose `==`; `===` and `=` are aliases of it and `!==` of `!=`.
  Arrays and collections are equal only to themselves. Dates are equal when they are the same
  instant, and a date equals an ISO 8601 text or a number of milliseconds for that instant.
- `< <= > >=` compare dates by instant, also against ISO 8601 text and numbers (milliseconds).
  Two texts compare by code point. Anything else compares as numbers, and a `NaN` on either side
  makes the comparison false.
- When a collection must become text (concatenation, equality with text) it is `{object}`, the
  same text `toString()` gives, rather than JavaScript's `[object Object]`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Context as DecimalContext
from decimal import Decimal
from functools import lru_cache

from .values import UNDEFINED, Value, normalize_number, to_string, truthy

__all__ = [
    "add",
    "compare",
    "date_to_milliseconds",
    "divide",
    "get_first",
    "get_index",
    "get_member",
    "greater_equal",
    "greater_than",
    "js_length",
    "less_equal",
    "less_than",
    "logical_not",
    "loose_equals",
    "loose_not_equals",
    "multiply",
    "negate",
    "numeric_add",
    "parse_iso_date",
    "remainder",
    "subtract",
    "to_number",
]

_NAN = float("nan")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
# 34 significant digits: more than any JavaScript number needs, so sums and products of two
# numbers are exact before the final rounding to a float.
_DECIMAL = DecimalContext(prec=34, traps=[])

_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RADIX_TEXT = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")
_INDEX_TEXT = re.compile(r"-?[0-9]+")
_ISO_DATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?"
    r"(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


# --- conversions ---------------------------------------------------------------------------


def date_to_milliseconds(moment: datetime) -> int:
    """Return the milliseconds since the Unix epoch of an aware datetime, exactly."""
    return (moment - _EPOCH) // _MILLISECOND


@lru_cache(maxsize=512)
def parse_iso_date(text: str) -> datetime | None:
    """Parse ISO 8601 text (`2024-05-01`, `2024-05-01T10:00:00.000Z`, with an offset or not).

    Returns an aware UTC datetime, or None when the text is not an ISO 8601 date. Text without
    a UTC offset is read as UTC.
    """
    match = _ISO_DATE.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        moment -= sign * offset
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


def _number_from_text(text: str) -> int | float:
    text = text.strip().strip("\ufeff")
    if text == "":
        return 0
    if _DECIMAL_TEXT.fullmatch(text):
        return normalize_number(Decimal(text))
    radix = _RADIX_TEXT.fullmatch(text)
    if radix is not None:
        base = {"x": 16, "o": 8, "b": 2}[radix.group(1).lower()]
        try:
            return normalize_number(int(radix.group(2), base))
        except ValueError:
            return _NAN
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    return _NAN


def to_number(value: Value) -> int | float:
    """Convert a value to a number as JavaScript's `Number(value)` does.

    Dates become milliseconds since the epoch. Undefined, collections and text that is not a
    number become `NaN`. Null, `false` and blank text become 0. Arrays convert through their
    text, so `[]` is 0 and `["7"]` is 7.
    """
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is bool:
        return 1 if value else 0
    if value is None:
        return 0
    if kind is str:
        return _number_from_text(value)
    if isinstance(value, datetime):
        return date_to_milliseconds(value)
    if isinstance(value, (list, bytes, bytearray)):
        return _number_from_text(to_string(value))
    return _NAN


def _to_primitive(value: Value) -> Value:
    """Turn an array, collection or binary value into its text; leave other values as they are."""
    if isinstance(value, (list, dict, bytes, bytearray, Mapping)):
        return to_string(value)
    return value


def js_length(text: str) -> int:
    """Return the length JavaScript reports for a string: its count of UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


# --- decimal arithmetic ----------------------------------------------------------------------


def _decimal(number: float) -> Decimal:
    return Decimal(number) if type(number) is int else Decimal(repr(number))


def _finite(number: float) -> bool:
    return type(number) is int or math.isfinite(number)


def _arithmetic(operation: str, left: float, right: float) -> int | float:
    if not (_finite(left) and _finite(right)):
        return _float_arithmetic(operation, float(left), float(right))
    if operation == "+":
        if type(left) is int and type(right) is int:
            return normalize_number(left + right)
        return normalize_number(_DECIMAL.add(_decimal(left), _decimal(right)))
    if operation == "-":
        if type(left) is int and type(right) is int:
            return normalize_number(left - right)
        return normalize_number(_DECIMAL.subtract(_decimal(left), _decimal(right)))
    if operation == "*":
        if type(left) is int and type(right) is int:
            return normalize_number(left * right)
        return normalize_number(_DECIMAL.multiply(_decimal(left), _decimal(right)))
    if right == 0:
        return _float_arithmetic(operation, float(left), float(right))
    if operation == "/":
        if type(left) is int and type(right) is int and left % right == 0:
            return normalize_number(left // right)
        return normalize_number(_DECIMAL.divide(_decimal(left), _decimal(right)))
    # `%`: the result takes the sign of the dividend, as in JavaScript.
    if type(left) is int and type(right) is int:
        result = abs(left) % abs(right)
        return normalize_number(-result if left < 0 else result)
    decimal_result = _DECIMAL.remainder(_decimal(left), _decimal(right))
    if decimal_result.is_nan():  # the quotient has more digits than the context keeps
        return normalize_number(math.fmod(float(left), float(right)))
    return normalize_number(decimal_result)


def _float_arithmetic(operation: str, left: float, right: float) -> int | float:
    if operation == "+":
        return normalize_number(left + right)
    if operation == "-":
        return normalize_number(left - right)
    if operation == "*":
        return normalize_number(left * right)
    if operation == "/":
        if right == 0:
            if left == 0 or math.isnan(left):
                return _NAN
            return math.copysign(math.inf, left) * math.copysign(1.0, right)
        return normalize_number(left / right)
    if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
        return _NAN
    if math.isinf(right):
        return normalize_number(left)
    return normalize_number(math.fmod(left, right))


# --- operators -------------------------------------------------------------------------------


def add(left: Value, right: Value) -> Value:
    """`left + right`: numeric addition, concatenation, or the other operand of a null one."""
    left_type = type(left)
    right_type = type(right)
    if left_type is str and right_type is str:
        return left + right
    if left_type is int and right_type is int:
        return normalize_number(left + right)
    if left is None or left is UNDEFINED:
        return right
    if right is None or right is UNDEFINED:
        return left
    if left_type is str or right_type is str or _is_object(left) or _is_object(right):
        return to_string(left) + to_string(right)
    return _arithmetic("+", to_number(left), to_number(right))


def _is_object(value: Value) -> bool:
    return isinstance(value, (list, dict, datetime, bytes, bytearray, Mapping))


def numeric_add(left: Value, right: Value) -> Value:
    """`left ++ right`: addition after converting both sides to numbers."""
    return _arithmetic("+", to_number(left), to_number(right))


def subtract(left: Value, right: Value) -> Value:
    """`left - right` on numbers; a date minus a date gives milliseconds."""
    return _arithmetic("-", to_number(left), to_number(right))


def multiply(left: Value, right: Value) -> Value:
    """`left * right`, decimal-exact."""
    return _arithmetic("*", to_number(left), to_number(right))


def divide(left: Value, right: Value) -> Value:
    """`left / right`, decimal-exact; a zero divisor gives `Infinity`, `-Infinity` or `NaN`."""
    return _arithmetic("/", to_number(left), to_number(right))


def remainder(left: Value, right: Value) -> Value:
    """`left % right` with the sign of `left`; a zero divisor gives `NaN`."""
    return _arithmetic("%", to_number(left), to_number(right))


def negate(value: Value) -> Value:
    """Unary `-value`."""
    number = to_number(value)
    if number == 0:
        return 0  # JavaScript's -0 renders as 0, and IML values have no negative zero
    return normalize_number(-number)


def logical_not(value: Value) -> bool:
    """Unary `!value`: a boolean."""
    return not truthy(value)


def _is_nullish(value: Value) -> bool:
    return value is None or value is UNDEFINED


def _is_plain_number(value: Value) -> bool:
    kind = type(value)
    return kind is int or kind is float


def loose_equals(left: Value, right: Value) -> bool:
    """`left == right` with JavaScript's loose equality, dates compared by instant."""
    left_type = type(left)
    if left_type is type(right):
        if left_type is list or left_type is dict:
            return left is right
        return bool(left == right)  # NaN != NaN, aware datetimes compare by instant
    if _is_nullish(left) or _is_nullish(right):
        return _is_nullish(left) and _is_nullish(right)
    if _is_plain_number(left) and _is_plain_number(right):
        return bool(left == right)
    if isinstance(left, datetime) or isinstance(right, datetime):
        moment, other = (left, right) if isinstance(left, datetime) else (right, left)
        return _date_equals(moment, other)
    if left_type is bool:
        return loose_equals(1 if left else 0, right)
    if type(right) is bool:
        return loose_equals(left, 1 if right else 0)
    if _is_plain_number(left) and type(right) is str:
        return bool(left == _number_from_text(right))
    if left_type is str and _is_plain_number(right):
        return bool(_number_from_text(left) == right)
    left_primitive = _to_primitive(left)
    right_primitive = _to_primitive(right)
    if left_primitive is left and right_primitive is right:
        return False  # two different objects, such as an array and a collection
    return loose_equals(left_primitive, right_primitive)


def _date_equals(moment: datetime, other: Value) -> bool:
    if isinstance(other, datetime):
        return moment == other
    if type(other) is str:
        parsed = parse_iso_date(other)
        if parsed is not None:
            return parsed == moment
        return to_string(moment) == other
    if type(other) is bool:
        other = 1 if other else 0
    if _is_plain_number(other):
        return date_to_milliseconds(moment) == other
    return to_string(moment) == to_string(other)


def loose_not_equals(left: Value, right: Value) -> bool:
    """`left != right`: the negation of `loose_equals`."""
    return not loose_equals(left, right)


def compare(left: Value, right: Value) -> int | None:
    """Order two values for `< <= > >=`: -1, 0 or 1, or None when they do not compare (NaN)."""
    left_type = type(left)
    right_type = type(right)
    if left_type is right_type and (left_type is int or left_type is str):
        return (left > right) - (left < right)
    if isinstance(left, datetime) or isinstance(right, datetime):
        return _compare_numbers(_instant(left), _instant(right))
    left = _to_primitive(left)
    right = _to_primitive(right)
    if type(left) is str and type(right) is str:
        # NOTE: Python orders text by code point; JavaScript by UTF-16 unit. They differ only
        # between characters above U+FFFF and those in U+E000..U+FFFF.
        return (left > right) - (left < right)
    return _compare_numbers(to_number(left), to_number(right))


def _instant(value: Value) -> int | float:
    if isinstance(value, datetime):
        return date_to_milliseconds(value)
    if type(value) is str:
        parsed = parse_iso_date(value)
        if parsed is not None:
            return date_to_milliseconds(parsed)
    return to_number(_to_primitive(value))


def _compare_numbers(left: float, right: float) -> int | None:
    if math.isnan(left) or math.isnan(right):
        return None
    return (left > right) - (left < right)


def less_than(left: Value, right: Value) -> bool:
    """`left < right`."""
    order = compare(left, right)
    return order is not None and order < 0


def less_equal(left: Value, right: Value) -> bool:
    """`left <= right`."""
    order = compare(left, right)
    return order is not None and order <= 0


def greater_than(left: Value, right: Value) -> bool:
    """`left > right`."""
    order = compare(left, right)
    return order is not None and order > 0


def greater_equal(left: Value, right: Value) -> bool:
    """`left >= right`."""
    order = compare(left, right)
    return order is not None and order >= 0


# --- property access -------------------------------------------------------------------------


def get_member(value: Value, key: str) -> Value:
    """Read `value.key`; anything missing is undefined, never an error.

    On a collection the key is looked up as it is. On an array a numeric key is a 1-based
    position (`items.1` is the first item, `items.-1` the last) and `length` is the item count;
    on text and binary data `length` is the length (UTF-16 units for text, as in JavaScript).
    Property access on an array does not map over its items.
    """
    if type(value) is dict:
        return value.get(key, UNDEFINED)
    if isinstance(value, list):
        if _INDEX_TEXT.fullmatch(key):
            return get_index(value, int(key))
        if key == "length":
            return len(value)
        return UNDEFINED
    if isinstance(value, str):
        return js_length(value) if key == "length" else UNDEFINED
    if isinstance(value, (bytes, bytearray)):
        return len(value) if key == "length" else UNDEFINED
    if isinstance(value, Mapping):
        return value.get(key, UNDEFINED)
    return UNDEFINED


def get_index(value: Value, position: Value) -> Value:
    """Read `value[position]`.

    On an array a number is a 1-based position: `[1]` is the first item, `[-1]` the last,
    `[-n]` counts from the end, and `[0]`, a fraction or a position past either end is
    undefined. Text positions go through `get_member`. On a collection the position is turned
    into a key with `toString()` rules (`[1]` reads the key `"1"`). Everything else is undefined.
    """
    if isinstance(value, list):
        kind = type(position)
        if kind is float and position.is_integer():
            position = int(position)
        elif kind is str:
            return get_member(value, position)
        elif kind is not int:
            return UNDEFINED
        length = len(value)
        if 0 < position <= length:
            return value[position - 1]
        if position < 0 and -position <= length:
            return value[position]
        return UNDEFINED
    if isinstance(value, Mapping):
        key = position if type(position) is str else to_string(position)
        return value.get(key, UNDEFINED)
    if isinstance(value, (str, bytes, bytearray)) and type(position) is str:
        return get_member(value, position)
    return UNDEFINED


def get_first(value: Value) -> Value:
    """Read `value[]`: the first item of an array (undefined when empty), else the value itself."""
    if isinstance(value, list):
        return value[0] if value else UNDEFINED
    return value
