"""Date functions: formatDate, parseDate, the add* family and the set* family.

Dates are instants (aware UTC datetimes with millisecond precision). Functions that work with
calendar fields read them as wall-clock time in the call's timezone, as moment-timezone does in
Make's runtime:

- `addSeconds`, `addMinutes` and `addHours` add elapsed time, so adding one hour across a DST
  change moves the wall clock by zero or two hours.
- `addDays`, `addMonths` and `addYears` move the wall clock and keep its time of day. A
  result inside a DST gap moves forward by the gap. A fractional amount is rounded half away
  from zero first, as moment does.
- `set*` change one wall-clock field. Values out of range roll into the neighbouring unit as
  JavaScript's Date setters do (`setDate(d, 32)` is the 1st of the next month), except that
  `setMonth` and `setYear` clamp the day to the length of the new month, as moment does.

When a date argument is undefined or null, every function here returns it unchanged.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from ..values import Value, is_nullish, is_number, make_date, to_string
from . import datefmt
from .coerce import (
    CallLike,
    fail,
    resolve_timezone,
    to_date,
    to_decimal,
    to_integer,
    to_number,
    wrong_type,
)
from .registry import BUILTINS

# --- formatDate and parseDate --------------------------------------------------------------


@BUILTINS.register("formatDate", min_args=1, max_args=3)
def format_date(call: CallLike, date: Value, format_text: Value = None, zone_name: Value = None) -> Value:
    """Render a date as text with a moment.js format in the given or the call's timezone.

    The result is always text, also for the `X` and `x` tokens. Without a format the date is
    written as `YYYY-MM-DDTHH:mm:ss.SSSZ`.
    """
    if is_nullish(date):
        return date
    moment = to_date(call, date, 1)
    if is_nullish(format_text):
        pattern = datefmt.DEFAULT_FORMAT
    elif isinstance(format_text, str):
        pattern = format_text
    else:
        wrong_type(call, 2, format_text, "text (a moment.js format such as YYYY-MM-DD)")
    zone = resolve_timezone(call, zone_name)
    try:
        return datefmt.format_date(moment, pattern, zone)
    except OverflowError:
        fail(call, "argument 1 is a date too close to the supported range (years 1 to 9999) to convert.")


@BUILTINS.register("parseDate", min_args=1, max_args=3)
def parse_date(call: CallLike, text: Value, format_text: Value = None, zone_name: Value = None) -> Value:
    """Read a date from text with a moment.js format, or from a common layout without one.

    A number without a format is milliseconds since the Unix epoch. The format may also be an
    array of formats, tried in order. Text without an offset is wall-clock time in the given
    timezone, else in the call's timezone.
    """
    if is_nullish(text):
        return text
    if isinstance(text, datetime):
        return make_date(text)
    zone = resolve_timezone(call, zone_name)
    if is_nullish(format_text) or format_text == "":
        return to_date(call, text, 1, zone)
    if not isinstance(text, str):
        if is_number(text):
            text = to_string(text)
        else:
            wrong_type(call, 1, text, "text")
    formats: list[str]
    if isinstance(format_text, str):
        formats = [format_text]
    elif isinstance(format_text, list) and format_text and all(isinstance(f, str) for f in format_text):
        formats = format_text
    else:
        wrong_type(call, 2, format_text, "text (a moment.js format) or an array of formats")

    reasons = []
    for pattern in formats:
        try:
            return make_date(datefmt.parse_date(text, pattern, zone, call.now))
        except datefmt.DateFormatError as error:
            reasons.append(str(error))
        except OverflowError:
            reasons.append("the date is out of the supported range")
    fail(call, f"argument 1 is not a valid date for the format: {'; '.join(reasons)}.")


# --- wall-clock helpers --------------------------------------------------------------------


_OUT_OF_RANGE = "the result is outside the supported date range (years 1 to 9999)."


def _wall_clock(call: CallLike, date: Value) -> tuple[datetime, ZoneInfo, timedelta | None]:
    """Return the naive local time of a date argument, its zone and its current offset."""
    zone = resolve_timezone(call)
    try:
        local = to_date(call, date, 1).astimezone(zone)
    except OverflowError:
        fail(call, "argument 1 is a date too close to the supported range (years 1 to 9999) to convert.")
    return local.replace(tzinfo=None), zone, local.utcoffset()


def _to_instant(call: CallLike, wall: datetime, zone: ZoneInfo, offset: timedelta | None) -> datetime:
    try:
        return make_date(datefmt.localize(wall, zone, offset))
    except OverflowError:
        fail(call, _OUT_OF_RANGE)


def _calendar_amount(call: CallLike, amount: Value, limit: int) -> int:
    """Read the amount of days, months or years to add, rounded half away from zero as moment does."""
    number = to_number(call, amount, 2)
    if not abs(number) <= limit:
        fail(call, _OUT_OF_RANGE)
    return _round_half_away(number)


def _shift(call: CallLike, wall: datetime, delta: timedelta) -> datetime:
    try:
        return wall + delta
    except OverflowError:
        fail(call, _OUT_OF_RANGE)


def _round_half_away(number: float) -> int:
    return int(to_decimal(number).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _month_shift(call: CallLike, wall: datetime, months: int) -> datetime:
    total = wall.year * 12 + (wall.month - 1) + months
    year, month_index = divmod(total, 12)
    if not 1 <= year <= 9999:
        fail(call, _OUT_OF_RANGE)
    day = min(wall.day, monthrange(year, month_index + 1)[1])
    return wall.replace(year=year, month=month_index + 1, day=day)


# --- add* ----------------------------------------------------------------------------------


def _add_elapsed(call: CallLike, date: Value, amount: Value, unit_ms: int) -> Value:
    if is_nullish(date):
        return date
    moment = to_date(call, date, 1)
    number = to_number(call, amount, 2)
    if not abs(number) < 1e18:
        fail(call, _OUT_OF_RANGE)
    milliseconds = int((to_decimal(number) * unit_ms).to_integral_value(rounding=ROUND_DOWN))
    try:
        return make_date(moment + timedelta(milliseconds=milliseconds))
    except OverflowError:
        fail(call, _OUT_OF_RANGE)


@BUILTINS.register("addSeconds", min_args=2, max_args=2)
def add_seconds(call: CallLike, date: Value, amount: Value) -> Value:
    """Add seconds (elapsed time, fractions allowed) to a date. Negative amounts subtract."""
    return _add_elapsed(call, date, amount, 1000)


@BUILTINS.register("addMinutes", min_args=2, max_args=2)
def add_minutes(call: CallLike, date: Value, amount: Value) -> Value:
    """Add minutes (elapsed time) to a date. Negative amounts subtract."""
    return _add_elapsed(call, date, amount, 60_000)


@BUILTINS.register("addHours", min_args=2, max_args=2)
def add_hours(call: CallLike, date: Value, amount: Value) -> Value:
    """Add hours (elapsed time) to a date. Negative amounts subtract."""
    return _add_elapsed(call, date, amount, 3_600_000)


@BUILTINS.register("addDays", min_args=2, max_args=2)
def add_days(call: CallLike, date: Value, amount: Value) -> Value:
    """Add calendar days to a date, keeping its wall-clock time in the call's timezone."""
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    days = _calendar_amount(call, amount, 4_000_000)
    return _to_instant(call, _shift(call, wall, timedelta(days=days)), zone, offset)


@BUILTINS.register("addMonths", min_args=2, max_args=2)
def add_months(call: CallLike, date: Value, amount: Value) -> Value:
    """Add calendar months, clamping the day to the new month (31 January + 1 is 29 February)."""
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    months = _calendar_amount(call, amount, 120_000)
    return _to_instant(call, _month_shift(call, wall, months), zone, offset)


@BUILTINS.register("addYears", min_args=2, max_args=2)
def add_years(call: CallLike, date: Value, amount: Value) -> Value:
    """Add calendar years. 29 February becomes 28 February in a common year."""
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    years = _calendar_amount(call, amount, 10_000)
    return _to_instant(call, _month_shift(call, wall, years * 12), zone, offset)


# --- set* ----------------------------------------------------------------------------------


def _set_time_field(call: CallLike, date: Value, value: Value, field: str) -> Value:
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    number = to_integer(call, value, 2)
    if abs(number) > 10**10:
        fail(call, _OUT_OF_RANGE)
    if field == "second":
        start, delta = wall.replace(second=0), timedelta(seconds=number)
    elif field == "minute":
        start, delta = wall.replace(minute=0), timedelta(minutes=number)
    else:
        start, delta = wall.replace(hour=0), timedelta(hours=number)
    return _to_instant(call, _shift(call, start, delta), zone, offset)


@BUILTINS.register("setSecond", min_args=2, max_args=2)
def set_second(call: CallLike, date: Value, second: Value) -> Value:
    """Set the seconds (0-59). Other values roll into the neighbouring minutes."""
    return _set_time_field(call, date, second, "second")


@BUILTINS.register("setMinute", min_args=2, max_args=2)
def set_minute(call: CallLike, date: Value, minute: Value) -> Value:
    """Set the minutes (0-59). Other values roll into the neighbouring hours."""
    return _set_time_field(call, date, minute, "minute")


@BUILTINS.register("setHour", min_args=2, max_args=2)
def set_hour(call: CallLike, date: Value, hour: Value) -> Value:
    """Set the hour (0-23) in the call's timezone. Other values roll into neighbouring days."""
    return _set_time_field(call, date, hour, "hour")


def _named_number(call: CallLike, value: Value, names: tuple[str, ...], what: str) -> int:
    """Read a 1-based number or an English name (full or three letters) of a month or weekday."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        for index, name in enumerate(names):
            if lowered in (name.lower(), name[:3].lower()):
                return index + 1
        if lowered and not any(char.isalpha() for char in lowered):
            return to_integer(call, value, 2)
        fail(
            call,
            f"argument 2 must be a number or an English {what} name such as {names[0]}, got text of length {len(value)}.",
        )
    if is_nullish(value) or isinstance(value, (list, dict)):
        wrong_type(call, 2, value, f"a number or an English {what} name")
    return to_integer(call, value, 2)


@BUILTINS.register("setDay", min_args=2, max_args=2)
def set_day(call: CallLike, date: Value, day: Value) -> Value:
    """Move to a weekday of the same Sunday-to-Saturday week (Sunday = 1, or an English name).

    Numbers outside 1-7 move into earlier or later weeks.
    """
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    number = _named_number(call, day, datefmt.WEEKDAY_NAMES, "weekday")
    current = datefmt.sunday_based_weekday(wall.date())
    return _to_instant(call, _shift(call, wall, timedelta(days=number - 1 - current)), zone, offset)


@BUILTINS.register("setDate", min_args=2, max_args=2)
def set_date(call: CallLike, date: Value, day: Value) -> Value:
    """Set the day of the month (1-31). Other values roll into the neighbouring months."""
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    number = to_integer(call, day, 2)
    if abs(number) > 10**7:
        fail(call, _OUT_OF_RANGE)
    return _to_instant(call, _shift(call, wall.replace(day=1), timedelta(days=number - 1)), zone, offset)


@BUILTINS.register("setMonth", min_args=2, max_args=2)
def set_month(call: CallLike, date: Value, month: Value) -> Value:
    """Set the month (1-12 or an English name). Other numbers roll into other years.

    The day is clamped to the length of the new month, as moment does.
    """
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    number = _named_number(call, month, datefmt.MONTH_NAMES, "month")
    if abs(number) > 10**6:
        fail(call, _OUT_OF_RANGE)
    return _to_instant(call, _month_shift(call, wall, number - wall.month), zone, offset)


@BUILTINS.register("setYear", min_args=2, max_args=2)
def set_year(call: CallLike, date: Value, year: Value) -> Value:
    """Set the year. 29 February becomes 28 February in a common year."""
    if is_nullish(date):
        return date
    wall, zone, offset = _wall_clock(call, date)
    number = to_integer(call, year, 2)
    if not 1 <= number <= 9999:
        fail(call, "argument 2 is outside the supported years 1 to 9999.")
    return _to_instant(call, _month_shift(call, wall, (number - wall.year) * 12), zone, offset)
