"""Argument checks and coercions shared by the built-in IML functions.

Every helper takes the `CallContext` of the running call so that the error it raises names the
IML function. Argument positions in messages are 1-based, as a template author counts them.

Conventions shared by the library:

- Text arguments accept text, numbers, booleans, dates (ISO text) and binary (UTF-8 text).
  Arrays and collections are rejected, because silently turning them into `1,2` or `{object}`
  hides mapping mistakes.
- Number arguments accept numbers and numeric text such as `" 12.5 "` or `"-3e2"`, the way a
  Make field of type number coerces text.
- Dates accept dates, numbers (milliseconds since the Unix epoch) and text in ISO 8601 or one
  of the layouts that `datefmt.parse_auto` reads.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NoReturn, Protocol
from zoneinfo import ZoneInfo, available_timezones

from ..errors import IMLLimitError, IMLRuntimeError
from ..values import (
    UNDEFINED,
    Value,
    is_nullish,
    is_number,
    make_date,
    to_string,
    type_name,
)
from . import datefmt

#: Defaults used when the call context carries no limits object or lacks a field.
DEFAULT_MAX_STRING_LENGTH = 10_000_000
DEFAULT_MAX_ARRAY_LENGTH = 1_000_000
DEFAULT_MAX_PATTERN_LENGTH = 10_000
DEFAULT_REGEX_TIMEOUT_SECONDS = 1.0


class CallLike(Protocol):
    """The part of `imlconnect.iml.context.CallContext` that the functions read."""

    name: str
    timezone: str
    now: datetime
    limits: Any


# --- errors --------------------------------------------------------------------------------


def fail(call: CallLike, message: str) -> NoReturn:
    """Raise an `IMLRuntimeError` for the running function, prefixed with its name."""
    raise IMLRuntimeError(f"{call.name}(): {message}", function=call.name)


def describe(value: Value) -> str:
    """Name a value's IML type for a message, adding short scalar values for context.

    Text is never quoted in full, because it may carry a secret. Only its length is shown.
    """
    kind = type_name(value)
    if is_number(value) or isinstance(value, bool):
        return f"{kind} {to_string(value)}"
    if isinstance(value, str):
        return f"text of length {len(value)}"
    return kind


def wrong_type(call: CallLike, position: int, value: Value, expected: str) -> NoReturn:
    """Raise the standard message for an argument of the wrong IML type."""
    fail(call, f"argument {position} must be {expected}, got {describe(value)}.")


# --- limits --------------------------------------------------------------------------------


def _limit(call: CallLike, field: str, default: int) -> int:
    limits = getattr(call, "limits", None)
    value = getattr(limits, field, None) if limits is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def max_string_length(call: CallLike) -> int:
    """Return the longest text a function may produce (`limits.max_string_length`)."""
    return _limit(call, "max_string_length", DEFAULT_MAX_STRING_LENGTH)


def max_array_length(call: CallLike) -> int:
    """Return the most items an array a function builds may hold (`limits.max_array_length`)."""
    return _limit(call, "max_array_length", DEFAULT_MAX_ARRAY_LENGTH)


def max_pattern_length(call: CallLike) -> int:
    """Return the longest regular expression a template may use (`limits.max_pattern_length`)."""
    return _limit(call, "max_pattern_length", DEFAULT_MAX_PATTERN_LENGTH)


def regex_deadline(call: CallLike) -> float:
    """Return the `time.monotonic()` value by which one regular expression operation must end.

    RE2 matches in linear time, so this bound (`limits.regex_timeout_seconds`, default 1 s)
    only stops operations that loop over very many matches of a very long text.
    """
    limits = getattr(call, "limits", None)
    seconds = getattr(limits, "regex_timeout_seconds", None) if limits is not None else None
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
        seconds = DEFAULT_REGEX_TIMEOUT_SECONDS
    return time.monotonic() + seconds


def check_text(call: CallLike, text: str) -> str:
    """Return `text`, or raise `IMLLimitError` when it is longer than the string limit."""
    limit = max_string_length(call)
    if len(text) > limit:
        raise IMLLimitError(
            f"{call.name}(): the result has {len(text)} characters, more than the limit of {limit}.",
            function=call.name,
        )
    return text


def check_length(call: CallLike, length: int, what: str = "text") -> None:
    """Raise `IMLLimitError` before building a result of `length` characters or items."""
    limit = max_string_length(call) if what == "text" else max_array_length(call)
    if length > limit:
        unit = "characters" if what == "text" else "items"
        raise IMLLimitError(
            f"{call.name}(): the result would have {length} {unit}, more than the limit of {limit}.",
            function=call.name,
        )


def check_array(call: CallLike, items: list[Value]) -> list[Value]:
    """Return `items`, or raise `IMLLimitError` when the array is longer than the array limit."""
    check_length(call, len(items), "array")
    return items


# --- text ----------------------------------------------------------------------------------


def to_text(call: CallLike, value: Value, position: int) -> str:
    """Convert a scalar argument to text. Raise for arrays and collections.

    Undefined and null become the empty string. Callers that pass nullish values through
    check for them before calling this.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        wrong_type(call, position, value, "text")
    return to_string(value)


def to_optional_text(call: CallLike, value: Value, position: int, default: str) -> str:
    """Like `to_text`, but undefined and null give `default`."""
    if is_nullish(value):
        return default
    return to_text(call, value, position)


# --- numbers -------------------------------------------------------------------------------

_NUMERIC_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_numeric_text(text: str) -> int | float | None:
    """Read decimal text the way JavaScript's `Number()` does, or return None.

    Only plain decimal notation with an optional exponent is accepted: JavaScript's hexadecimal
    and `Infinity` forms are not numbers here, and neither is empty text (which `Number("")`
    would read as 0).
    """
    stripped = strip_js_whitespace(text)
    if not _NUMERIC_TEXT.fullmatch(stripped):
        return None
    try:
        number = Decimal(stripped)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None
    if number == number.to_integral_value() and abs(number) <= 2**53 - 1:
        return int(number)
    result = float(number)
    return result


def to_number(call: CallLike, value: Value, position: int) -> int | float:
    """Convert a number or numeric text argument to a number. Raise for anything else."""
    if is_number(value):
        return value
    if isinstance(value, str):
        number = parse_numeric_text(value)
        if number is not None:
            return number
        fail(call, f"argument {position} must be a number, got text that is not numeric.")
    wrong_type(call, position, value, "a number")


def to_optional_number(call: CallLike, value: Value, position: int, default: float) -> int | float:
    """Like `to_number`, but undefined and null give `default`."""
    if is_nullish(value):
        return default
    return to_number(call, value, position)


def to_integer(call: CallLike, value: Value, position: int) -> int:
    """Convert a number argument to an integer, truncating toward zero as JavaScript's ToInteger.

    NaN becomes 0 and infinities are rejected, because no caller can use them as a position or
    a count.
    """
    number = to_number(call, value, position)
    if isinstance(number, float):
        if math.isnan(number):
            return 0
        if math.isinf(number):
            fail(call, f"argument {position} must be a finite number, got {to_string(number)}.")
        return int(number)
    return number


def to_decimal(number: float) -> Decimal:
    """Return the Decimal that has the same shortest digits as the JavaScript number."""
    if isinstance(number, int):
        return Decimal(number)
    return Decimal(repr(number))


# --- arrays --------------------------------------------------------------------------------


def to_array(call: CallLike, value: Value, position: int) -> list[Value]:
    """Return an array argument. Raise for anything that is not an array."""
    if isinstance(value, list):
        return value
    wrong_type(call, position, value, "an array")


def to_collection(call: CallLike, value: Value, position: int) -> dict[str, Value]:
    """Return a collection argument. Raise for anything that is not a collection."""
    if isinstance(value, dict):
        return value
    wrong_type(call, position, value, "a collection")


# --- equality ------------------------------------------------------------------------------


def same_value(left: Value, right: Value) -> bool:
    """Compare two values strictly and deeply: same IML type and same content.

    Numbers compare by value (`1` equals `1.0`), booleans never equal numbers, and arrays and
    collections compare item by item. This is the equality `contains` and `remove` use.
    """
    if is_number(left) and is_number(right):
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if type(left) is not type(right):
        if isinstance(left, (bytes, bytearray)) and isinstance(right, (bytes, bytearray)):
            return bytes(left) == bytes(right)
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(same_value(a, b) for a, b in zip(left, right))
    if isinstance(left, dict):
        if left.keys() != right.keys():
            return False
        return all(same_value(left[key], right[key]) for key in left)
    return bool(left == right)


def identity_key(value: Value) -> str:
    """Return a text key under which equal values collide, for `distinct` and `deduplicate`.

    Scalars use their `toString()` form, so `1` and `"1"` are the same item, as in Make.
    Arrays and collections use a canonical JSON form, so equal structures are the same item.
    """
    if isinstance(value, (list, dict)):
        return "\x00json:" + _canonical(value)
    if value is UNDEFINED:
        return "\x00undefined"
    return to_string(value)


def _canonical(value: Value) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, dict):
        parts = [f"{key!r}:{_canonical(value[key])}" for key in sorted(value)]
        return "{" + ",".join(parts) + "}"
    return f"{type_name(value)}:{to_string(value)}"


# --- whitespace ----------------------------------------------------------------------------

#: Characters that JavaScript's `String.prototype.trim` removes (WhiteSpace and LineTerminator).
JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def strip_js_whitespace(text: str) -> str:
    """Trim text the way JavaScript's `trim()` does."""
    return text.strip(JS_WHITESPACE)


# --- dates and timezones -------------------------------------------------------------------


@lru_cache(maxsize=1)
def _timezone_names() -> dict[str, str]:
    names = {name.lower(): name for name in available_timezones()}
    names.setdefault("utc", "UTC")
    return names


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def find_timezone(name: str) -> ZoneInfo | None:
    """Return the IANA zone called `name` (case-insensitive, as moment-timezone), or None."""
    canonical = _timezone_names().get(name.strip().lower())
    if canonical is None:
        return None
    return _zone(canonical)


def resolve_timezone(call: CallLike, value: Value = UNDEFINED) -> ZoneInfo:
    """Return the zone named by an optional timezone argument, else the call's timezone.

    An unknown name falls back silently, as Make does. When the call's own timezone is unknown
    too, UTC is used.
    """
    if isinstance(value, str) and value:
        zone = find_timezone(value)
        if zone is not None:
            return zone
    default = find_timezone(call.timezone or "UTC")
    return default if default is not None else _zone("UTC")


def to_date(call: CallLike, value: Value, position: int, zone: ZoneInfo | None = None) -> datetime:
    """Convert a date argument into an IML date (aware, UTC, milliseconds).

    Numbers are milliseconds since the Unix epoch. Text without an offset is read as wall-clock
    time in `zone` (the call's timezone when not given).
    """
    if isinstance(value, datetime):
        return make_date(value)
    if is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            fail(call, f"argument {position} must be a date, got {to_string(value)}.")
        try:
            return make_date(datetime.fromtimestamp(value / 1000, tz=UTC))
        except (OverflowError, OSError, ValueError):
            fail(call, f"argument {position} is a timestamp out of the supported date range.")
    if isinstance(value, str):
        local_zone = zone if zone is not None else resolve_timezone(call)
        try:
            parsed = datefmt.parse_auto(value, local_zone)
        except datefmt.DateFormatError as error:
            fail(call, f"argument {position} is not a valid date: {error}")
        if parsed is None:
            fail(
                call,
                f"argument {position} is text that is not a date. Use ISO 8601 such as "
                "2024-05-01T10:00:00Z, or parseDate() with a format.",
            )
        return make_date(parsed)
    wrong_type(call, position, value, "a date")
