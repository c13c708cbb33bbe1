"""Runtime values of IML and the conversions every part of the engine shares.

An IML value is one of:

- `UNDEFINED` (JavaScript's undefined, distinct from null),
- `None` (null), `bool`, `int` or `float` (a JavaScript number), `str`,
- `datetime` (an instant; always timezone-aware, normalised to UTC, millisecond precision),
- `bytes` (a Node.js Buffer),
- `list` (an array) and `dict` with `str` keys (a collection).

Numbers keep the Python type they arrived with, but every rendering follows JavaScript's
`Number.prototype.toString`, so `1.0` renders as `1`.
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, TypeAlias


class Undefined:
    """JavaScript's undefined: a missing key, variable or array item. A singleton."""

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "undefined"

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = Undefined()

Value: TypeAlias = Any
"""Any IML runtime value (see the module docstring for the closed set of types)."""


def is_undefined(value: Value) -> bool:
    return value is UNDEFINED


def is_nullish(value: Value) -> bool:
    """Return True for undefined and null."""
    return value is None or value is UNDEFINED


def is_number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def type_name(value: Value) -> str:
    """Name the IML type of a value, in the words Make uses in its messages."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, (bytes, bytearray)):
        return "binary"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "collection"
    return type(value).__name__


# --- numbers -------------------------------------------------------------------------------

MAX_SAFE_INTEGER: Final = 2**53 - 1


def normalize_number(number: float | Decimal) -> int | float:
    """Turn an arithmetic result into the Python number that stands for the same JS number.

    Integral results within the safe integer range become `int`, so that JSON output prints `25`
    and not `25.0`; everything else becomes the nearest `float`.
    """
    if isinstance(number, bool):
        return int(number)
    if isinstance(number, int):
        if abs(number) <= MAX_SAFE_INTEGER:
            return number
        return float(number)
    if isinstance(number, Decimal):
        if not number.is_finite():
            return float(number)
        if number == number.to_integral_value() and abs(number) <= MAX_SAFE_INTEGER:
            return int(number)
        return float(number)
    if math.isfinite(number) and number.is_integer() and abs(number) <= MAX_SAFE_INTEGER:
        return int(number)
    return number


def js_number_to_string(number: float) -> str:
    """Render a number exactly as JavaScript's `String(number)` does."""
    if isinstance(number, bool):
        return "true" if number else "false"
    if isinstance(number, int):
        if abs(number) < 10**21:
            return str(number)
        number = float(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"

    # repr() gives the shortest digits that round-trip, as JavaScript does; only the layout
    # of the exponent differs, so rebuild it from the digits with the ECMAScript rules.
    sign = "-" if number < 0 else ""
    digits_tuple = Decimal(repr(abs(number))).normalize().as_tuple()
    digits = "".join(str(d) for d in digits_tuple.digits)
    k = len(digits)
    n = int(digits_tuple.exponent) + k  # position of the decimal point

    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        exponent = n - 1
        mantissa = digits[0] if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    return sign + text


# --- dates ---------------------------------------------------------------------------------


def make_date(moment: datetime) -> datetime:
    """Normalise a datetime into an IML date: aware, in UTC, truncated to milliseconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


def date_to_iso(moment: datetime) -> str:
    """Render a date as ISO 8601 in UTC with milliseconds: `2024-05-01T10:00:00.000Z`."""
    moment = make_date(moment)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.year < 0 or moment.year > 9999:  # pragma: no cover - datetime cannot hold these
        raise ValueError("date out of range")
    return f"{text}.{moment.microsecond // 1000:03d}Z"


# --- conversions ---------------------------------------------------------------------------


def to_string(value: Value) -> str:
    """Convert a value to text with IML's `toString()` rules.

    undefined and null become `""`, booleans `true`/`false`, numbers as JavaScript prints them,
    dates ISO 8601 UTC with milliseconds, bytes their UTF-8 text, arrays their items joined with
    `,`, collections `{object}`.
    """
    if isinstance(value, str):
        return value
    if value is None or value is UNDEFINED:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number_to_string(value)
    if isinstance(value, datetime):
        return date_to_iso(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, list):
        return ",".join(to_string(item) for item in value)
    if isinstance(value, dict):
        return "{object}"
    return str(value)


def truthy(value: Value) -> bool:
    """JavaScript truthiness: undefined, null, false, 0, NaN and "" are false; the rest is true."""
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == value and value != 0  # NaN != NaN
    if isinstance(value, str):
        return value != ""
    return True


def is_empty(value: Value) -> bool:
    """Emptiness as `ifempty` and `required` see it: undefined, null and "" only."""
    return value is None or value is UNDEFINED or value == ""


def to_json_compatible(value: Value, *, for_output: bool = True) -> Any:
    """Convert a value into plain JSON data.

    With `for_output` (the form of `eval --json`), undefined becomes `{"$undefined": true}` and
    bytes `{"$bytes": "<base64>"}`; otherwise undefined keys are dropped and bytes become their
    base64 text. Dates become ISO text in both forms, and integral floats become integers.
    """
    if value is UNDEFINED:
        return {"$undefined": True} if for_output else None
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return normalize_number(value)
    if isinstance(value, datetime):
        return date_to_iso(value)
    if isinstance(value, (bytes, bytearray)):
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        return {"$bytes": encoded} if for_output else encoded
    if isinstance(value, list):
        return [to_json_compatible(item, for_output=for_output) for item in value]
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if item is UNDEFINED and not for_output:
                continue
            result[str(key)] = to_json_compatible(item, for_output=for_output)
        return result
    return to_string(value)
