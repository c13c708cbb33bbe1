"""Formatting and parsing of dates with moment.js format tokens, English names only.

This module is pure. It does not depend on IML calls, and it raises `DateFormatError` (a
`ValueError`) for text that does not hold a valid date. `dates.py` turns that into an
`IMLRuntimeError` naming the function.

Tokens follow moment.js 2.x (the library behind Make's IML): `YYYY YY Y Q Qo M Mo MM MMM MMMM
D Do DD DDD DDDo DDDD d do dd ddd dddd e E w wo ww W Wo WW gg gggg GG GGGG H HH h hh k kk A a
m mm s ss S`..`SSSSSSSSS` `Z ZZ z zz X x`, with `[text]` for literal text. Locale weeks
(`w`, `gg`, `e`) use the English locale: weeks start on Sunday and week 1 contains 1 January.
ISO weeks (`W`, `GG`, `E`) start on Monday and week 1 contains 4 January.
"""

from __future__ import annotations

import re
from calendar import isleap, monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

#: Default output of `formatDate` without a format: ISO 8601 with the zone offset.
DEFAULT_FORMAT = "YYYY-MM-DDTHH:mm:ss.SSSZ"


class DateFormatError(ValueError):
    """Text does not hold a valid date for the given format."""


# --- tokens --------------------------------------------------------------------------------

_FIXED_TOKENS = sorted(
    (
        "YYYY",
        "YY",
        "Y",
        "Qo",
        "Q",
        "MMMM",
        "MMM",
        "Mo",
        "MM",
        "M",
        "DDDD",
        "DDDo",
        "DDD",
        "Do",
        "DD",
        "D",
        "dddd",
        "ddd",
        "do",
        "dd",
        "d",
        "E",
        "e",
        "wo",
        "ww",
        "w",
        "Wo",
        "WW",
        "W",
        "gggg",
        "gg",
        "GGGG",
        "GG",
        "HH",
        "H",
        "hh",
        "h",
        "kk",
        "k",
        "A",
        "a",
        "mm",
        "m",
        "ss",
        "s",
        "ZZ",
        "Z",
        "zz",
        "z",
        "X",
        "x",
    ),
    key=len,
    reverse=True,
)


@dataclass(frozen=True)
class Piece:
    """One part of a format string: a token such as `YYYY`, or literal text."""

    text: str
    is_token: bool


@lru_cache(maxsize=512)
def tokenize(format_text: str) -> tuple[Piece, ...]:
    """Split a moment.js format string into tokens and literal text."""
    pieces: list[Piece] = []
    literal: list[str] = []
    position = 0
    length = len(format_text)

    def flush() -> None:
        if literal:
            pieces.append(Piece("".join(literal), False))
            literal.clear()

    while position < length:
        char = format_text[position]
        if char == "[":
            end = format_text.find("]", position + 1)
            if end != -1:
                literal.append(format_text[position + 1 : end])
                position = end + 1
                continue
        if char == "S":
            run = 1
            while position + run < length and format_text[position + run] == "S" and run < 9:
                run += 1
            flush()
            pieces.append(Piece("S" * run, True))
            position += run
            continue
        for token in _FIXED_TOKENS:
            if format_text.startswith(token, position):
                flush()
                pieces.append(Piece(token, True))
                position += len(token)
                break
        else:
            literal.append(char)
            position += 1
    flush()
    return tuple(pieces)


# --- calendar helpers ----------------------------------------------------------------------


def ordinal(number: int) -> str:
    """Return the English ordinal of a number: 1st, 2nd, 3rd, 4th, 11th, 21st, 112th."""
    if (number % 100) // 10 == 1:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def sunday_based_weekday(day: date) -> int:
    """Return the weekday with Sunday = 0 and Saturday = 6, as JavaScript's getDay()."""
    return day.isoweekday() % 7


def week_of_year(day: date, first_weekday: int, anchor_day: int) -> tuple[int, int]:
    """Return (week-year, week) of a date.

    Weeks start on `first_weekday` (Sunday = 0). Week 1 is the week that contains
    `anchor_day` January (1 for the English locale, 4 for ISO 8601). The week belongs to the
    year of its day number `7 - anchor_day` (counted from 0), which is Thursday for ISO.
    """
    week_start = day - timedelta(days=(sunday_based_weekday(day) - first_weekday) % 7)
    deciding_day = week_start + timedelta(days=7 - anchor_day)
    week = (deciding_day.timetuple().tm_yday - 1) // 7 + 1
    return deciding_day.year, week


def first_week_start(week_year: int, first_weekday: int, anchor_day: int) -> date:
    """Return the first day of week 1 of a week-year (see `week_of_year`)."""
    anchor = date(week_year, 1, anchor_day)
    return anchor - timedelta(days=(sunday_based_weekday(anchor) - first_weekday) % 7)


ISO_WEEK = (1, 4)
LOCALE_WEEK = (0, 1)


def _offset_text(moment: datetime, separator: str) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{separator}{minutes:02d}"


# --- formatting ----------------------------------------------------------------------------


def _format_token(token: str, moment: datetime) -> str:
    """Render one token for a datetime that is already in the target zone."""
    year = moment.year
    day = moment.date()
    if token == "YYYY":
        return f"{year:04d}"
    if token == "YY":
        return f"{year % 100:02d}"
    if token == "Y":
        return str(year)

    if token in ("Q", "Qo"):
        quarter = (moment.month - 1) // 3 + 1
        return ordinal(quarter) if token == "Qo" else str(quarter)

    if token == "M":
        return str(moment.month)
    if token == "Mo":
        return ordinal(moment.month)
    if token == "MM":
        return f"{moment.month:02d}"
    if token == "MMM":
        return MONTH_NAMES[moment.month - 1][:3]
    if token == "MMMM":
        return MONTH_NAMES[moment.month - 1]

    if token == "D":
        return str(moment.day)
    if token == "Do":
        return ordinal(moment.day)
    if token == "DD":
        return f"{moment.day:02d}"
    if token in ("DDD", "DDDo", "DDDD"):
        day_of_year = day.timetuple().tm_yday
        if token == "DDDo":
            return ordinal(day_of_year)
        return f"{day_of_year:03d}" if token == "DDDD" else str(day_of_year)

    if token in ("d", "e"):
        return str(sunday_based_weekday(day))
    if token == "do":
        return ordinal(sunday_based_weekday(day))
    if token == "dd":
        return WEEKDAY_NAMES[sunday_based_weekday(day)][:2]
    if token == "ddd":
        return WEEKDAY_NAMES[sunday_based_weekday(day)][:3]
    if token == "dddd":
        return WEEKDAY_NAMES[sunday_based_weekday(day)]
    if token == "E":
        return str(day.isoweekday())

    if token in ("w", "wo", "ww", "gg", "gggg"):
        week_year, week = week_of_year(day, *LOCALE_WEEK)
        return _format_week(token.lower(), week_year, week)
    if token in ("W", "Wo", "WW", "GG", "GGGG"):
        week_year, week = week_of_year(day, *ISO_WEEK)
        return _format_week(token.lower(), week_year, week)

    if token == "H":
        return str(moment.hour)
    if token == "HH":
        return f"{moment.hour:02d}"
    if token in ("h", "hh"):
        hour = moment.hour % 12 or 12
        return f"{hour:02d}" if token == "hh" else str(hour)
    if token in ("k", "kk"):
        hour = moment.hour or 24
        return f"{hour:02d}" if token == "kk" else str(hour)
    if token == "A":
        return "AM" if moment.hour < 12 else "PM"
    if token == "a":
        return "am" if moment.hour < 12 else "pm"

    if token == "m":
        return str(moment.minute)
    if token == "mm":
        return f"{moment.minute:02d}"
    if token == "s":
        return str(moment.second)
    if token == "ss":
        return f"{moment.second:02d}"

    if token.startswith("S"):
        # moment prints milliseconds and pads with zeros beyond them.
        return f"{moment.microsecond // 1000:03d}{'0' * 6}"[: len(token)]

    if token == "Z":
        return _offset_text(moment, ":")
    if token == "ZZ":
        return _offset_text(moment, "")
    if token in ("z", "zz"):
        return moment.tzname() or ""
    if token == "X":
        return str(_epoch_milliseconds(moment) // 1000)
    if token == "x":
        return str(_epoch_milliseconds(moment))
    raise AssertionError(f"unhandled token {token}")  # pragma: no cover - tokenize lists them


def _format_week(token: str, week_year: int, week: int) -> str:
    if token == "w":
        return str(week)
    if token == "wo":
        return ordinal(week)
    if token == "ww":
        return f"{week:02d}"
    if token == "gg":
        return f"{week_year % 100:02d}"
    return f"{week_year:04d}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_milliseconds(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def format_date(moment: datetime, format_text: str, zone: tzinfo) -> str:
    """Render an aware datetime in `zone` with a moment.js format string."""
    local = moment.astimezone(zone)
    parts = []
    for piece in tokenize(format_text):
        parts.append(_format_token(piece.text, local) if piece.is_token else piece.text)
    return "".join(parts)


# --- parsing with a format -----------------------------------------------------------------

_MONTH_PATTERN = "|".join([name for name in MONTH_NAMES] + [name[:3] for name in MONTH_NAMES])
_WEEKDAY_PATTERN = "|".join(
    list(WEEKDAY_NAMES) + [name[:3] for name in WEEKDAY_NAMES] + [name[:2] for name in WEEKDAY_NAMES]
)
_TWO = r"\d\d?"

_PARSE_PATTERNS: dict[str, str] = {
    "YYYY": r"\d{1,4}",
    "YY": _TWO,
    "Y": r"[+-]?\d+",
    "Q": r"[1-4]",
    "Qo": r"[1-4](?:st|nd|rd|th)?",
    "M": _TWO,
    "MM": _TWO,
    "Mo": r"\d\d?(?:st|nd|rd|th)?",
    "MMM": _MONTH_PATTERN,
    "MMMM": _MONTH_PATTERN,
    "D": _TWO,
    "DD": _TWO,
    "Do": r"\d\d?(?:st|nd|rd|th)?",
    "DDD": r"\d{1,3}",
    "DDDD": r"\d{1,3}",
    "DDDo": r"\d{1,3}(?:st|nd|rd|th)?",
    "d": r"[0-6]",
    "e": r"[0-6]",
    "do": r"[0-6](?:st|nd|rd|th)?",
    "E": r"[1-7]",
    "dd": _WEEKDAY_PATTERN,
    "ddd": _WEEKDAY_PATTERN,
    "dddd": _WEEKDAY_PATTERN,
    "w": _TWO,
    "wo": r"\d\d?(?:st|nd|rd|th)?",
    "ww": _TWO,
    "W": _TWO,
    "Wo": r"\d\d?(?:st|nd|rd|th)?",
    "WW": _TWO,
    "gg": _TWO,
    "gggg": r"\d{1,4}",
    "GG": _TWO,
    "GGGG": r"\d{1,4}",
    "H": _TWO,
    "HH": _TWO,
    "h": _TWO,
    "hh": _TWO,
    "k": _TWO,
    "kk": _TWO,
    "a": r"[ap]\.?m?\.?",
    "A": r"[ap]\.?m?\.?",
    "m": _TWO,
    "mm": _TWO,
    "s": _TWO,
    "ss": _TWO,
    "Z": r"Z|[+-]\d\d(?::?\d\d)?",
    "ZZ": r"Z|[+-]\d\d(?::?\d\d)?",
    "X": r"[+-]?\d+(?:\.\d{1,3})?",
    "x": r"[+-]?\d+",
}


@lru_cache(maxsize=128)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _pattern_for(token: str) -> re.Pattern[str] | None:
    if token.startswith("S"):
        return _compiled(r"\d{1,3}" if len(token) <= 3 else r"\d+")
    pattern = _PARSE_PATTERNS.get(token)
    return None if pattern is None else _compiled(pattern)


def _two_digit_year(text: str) -> int:
    # moment's rule: 69-99 are 1969-1999 and 00-68 are 2000-2068.
    value = int(text)
    return value + (1900 if value > 68 else 2000)


def _year_value(text: str) -> int:
    digits = text.lstrip("+-")
    return _two_digit_year(digits) if len(digits) == 2 else int(text)


def _name_index(names: tuple[str, ...], text: str) -> int:
    lowered = text.lower()
    for index, name in enumerate(names):
        if name.lower() == lowered or name[:3].lower() == lowered or name[:2].lower() == lowered:
            return index
    raise DateFormatError(f"'{text}' is not an English name")  # pragma: no cover - regex limits it


@dataclass
class _Fields:
    """The values read from the text, None where the format had no token for them."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    day_of_year: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    millisecond: int | None = None
    pm: bool | None = None
    offset_minutes: int | None = None
    epoch_ms: int | None = None
    weekday: int | None = None  # Sunday = 0, from d / dd / ddd / dddd / e
    iso_weekday: int | None = None  # Monday = 1, from E
    iso_week: int | None = None
    iso_week_year: int | None = None
    locale_week: int | None = None
    locale_week_year: int | None = None


def _store(fields: _Fields, token: str, text: str) -> None:
    """Record the value of one matched token."""
    if token in ("YYYY", "GGGG", "gggg"):
        value = _year_value(text)
        if token == "YYYY":
            fields.year = value
        elif token == "GGGG":
            fields.iso_week_year = value
        else:
            fields.locale_week_year = value
    elif token in ("YY", "GG", "gg"):
        value = _two_digit_year(text)
        if token == "YY":
            fields.year = value
        elif token == "GG":
            fields.iso_week_year = value
        else:
            fields.locale_week_year = value
    elif token == "Y":
        fields.year = int(text)
    elif token in ("Q", "Qo"):
        fields.month = (int(text[0]) - 1) * 3 + 1
    elif token in ("M", "MM", "Mo"):
        fields.month = int(re.sub(r"\D", "", text))
    elif token in ("MMM", "MMMM"):
        fields.month = _name_index(MONTH_NAMES, text) + 1
    elif token in ("D", "DD", "Do"):
        fields.day = int(re.sub(r"\D", "", text))
    elif token in ("DDD", "DDDD", "DDDo"):
        fields.day_of_year = int(re.sub(r"\D", "", text))
    elif token in ("d", "e", "do"):
        fields.weekday = int(text[0])
    elif token in ("dd", "ddd", "dddd"):
        fields.weekday = _name_index(WEEKDAY_NAMES, text)
    elif token == "E":
        fields.iso_weekday = int(text)
    elif token in ("W", "WW", "Wo"):
        fields.iso_week = int(re.sub(r"\D", "", text))
    elif token in ("w", "ww", "wo"):
        fields.locale_week = int(re.sub(r"\D", "", text))
    elif token in ("k", "kk"):
        fields.hour = int(text) % 24  # k counts hours 1-24, so 24 is midnight at the start of the day.
    elif token in ("H", "HH", "h", "hh"):
        fields.hour = int(text)
    elif token in ("a", "A"):
        fields.pm = text[0].lower() == "p"
    elif token in ("m", "mm"):
        fields.minute = int(text)
    elif token in ("s", "ss"):
        fields.second = int(text)
    elif token.startswith("S"):
        fields.millisecond = int((text + "000")[:3])
    elif token in ("Z", "ZZ"):
        fields.offset_minutes = parse_offset(text)
    elif token == "X":
        seconds, _, fraction = text.partition(".")
        sign = -1 if seconds.startswith("-") else 1
        fields.epoch_ms = int(seconds) * 1000 + sign * int((fraction + "000")[:3])
    elif token == "x":
        fields.epoch_ms = int(text)


def parse_offset(text: str) -> int:
    """Read `Z`, `+02`, `+0200` or `+02:00` as minutes east of UTC."""
    if text.upper() == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    if hours > 23 or minutes > 59:
        raise DateFormatError(f"the offset {text} is out of range")
    return sign * (hours * 60 + minutes)


def parse_date(text: str, format_text: str, zone: tzinfo, now: datetime) -> datetime:
    """Read text with a moment.js format and return an aware datetime.

    Parsing is forgiving like moment's default mode: each token is searched for in the rest of
    the text, characters before it are skipped, literal text that is missing is ignored and
    text after the last token is ignored. At least one token must match. Fields the format
    does not set default as in moment: the year, month and day that come before the first one
    given are taken from `now` in `zone`, the rest start at their lowest value. Text without
    an offset is wall-clock time in `zone`.
    """
    fields = _Fields()
    position = 0
    matched = 0
    for piece in tokenize(format_text):
        if not piece.is_token:
            found = text.find(piece.text, position)
            if found != -1 and text[position:found].strip() == "":
                position = found + len(piece.text)
            continue
        pattern = _pattern_for(piece.text)
        if pattern is None:  # z and zz print names but cannot be read back.
            continue
        match = pattern.search(text, position)
        if match is None:
            continue
        _store(fields, piece.text, match.group(0))
        position = match.end()
        matched += 1
    if matched == 0:
        raise DateFormatError(f"the text does not match the format '{format_text}'")
    return _build(fields, zone, now)


def _build(fields: _Fields, zone: tzinfo, now: datetime) -> datetime:
    if fields.epoch_ms is not None:
        return _EPOCH + timedelta(milliseconds=fields.epoch_ms)

    today = now.astimezone(zone).date()
    day = _calendar_day(fields, today)

    hour = fields.hour if fields.hour is not None else 0
    if fields.pm is not None:
        # As in moment, PM adds 12 to hours 1-11 and AM turns 12 into 0. Other hours stay.
        if fields.pm and hour < 12:
            hour += 12
        elif not fields.pm and hour == 12:
            hour = 0
    minute = fields.minute if fields.minute is not None else 0
    second = fields.second if fields.second is not None else 0
    millisecond = fields.millisecond if fields.millisecond is not None else 0
    _check_range("minute", minute, 0, 59)
    _check_range("second", second, 0, 59)
    next_day = False
    if hour == 24 and minute == 0 and second == 0 and millisecond == 0:
        hour, next_day = 0, True  # moment reads 24:00:00 as midnight at the end of the day.
    _check_range("hour", hour, 0, 23)

    wall = datetime(day.year, day.month, day.day, hour, minute, second, millisecond * 1000)
    if next_day:
        wall += timedelta(days=1)
    if fields.offset_minutes is not None:
        return (wall - timedelta(minutes=fields.offset_minutes)).replace(tzinfo=UTC)
    return localize(wall, zone)


def _check_range(name: str, value: int, lowest: int, highest: int) -> None:
    if not lowest <= value <= highest:
        raise DateFormatError(f"{name} {value} is out of range {lowest}-{highest}")


def _calendar_day(fields: _Fields, today: date) -> date:
    """Work out the calendar day from the date, day-of-year and week fields."""
    uses_iso_week = (
        fields.iso_week is not None or fields.iso_week_year is not None or fields.iso_weekday is not None
    )
    uses_locale_week = fields.locale_week is not None or fields.locale_week_year is not None
    has_calendar = fields.month is not None or fields.day is not None

    if fields.day_of_year is not None and not has_calendar:
        year = fields.year if fields.year is not None else today.year
        _check_range("day of year", fields.day_of_year, 1, 366 if isleap(year) else 365)
        return date(year, 1, 1) + timedelta(days=fields.day_of_year - 1)

    if not has_calendar and (uses_iso_week or uses_locale_week or fields.weekday is not None):
        return _week_day(fields, today, uses_iso_week)

    month, day = fields.month, fields.day
    # moment fills the units before the first one given from today, the rest from their start.
    if fields.year is None:
        year = today.year
        if month is None:
            month = today.month
            if day is None:
                day = today.day
    else:
        year = fields.year
    month = month if month is not None else 1
    day = day if day is not None else 1
    if not 1 <= year <= 9999:
        raise DateFormatError(f"year {year} is out of the supported range 1-9999")
    _check_range("month", month, 1, 12)
    _check_range("day", day, 1, monthrange(year, month)[1])
    result = date(year, month, day)
    if fields.weekday is not None and sunday_based_weekday(result) != fields.weekday:
        raise DateFormatError(
            f"the weekday {WEEKDAY_NAMES[fields.weekday]} does not match {result.isoformat()}"
        )
    return result


def _week_day(fields: _Fields, today: date, iso: bool) -> date:
    if iso:
        current_year, _ = week_of_year(today, *ISO_WEEK)
        week_year = fields.iso_week_year or fields.year or current_year
        week = fields.iso_week if fields.iso_week is not None else 1
        iso_weekday = fields.iso_weekday if fields.iso_weekday is not None else 1
        _check_range("ISO weekday", iso_weekday, 1, 7)
        offset_in_week = iso_weekday - 1
        first_weekday, anchor_day = ISO_WEEK
    else:
        current_year, current_week = week_of_year(today, *LOCALE_WEEK)
        week_year = fields.locale_week_year or fields.year or current_year
        week = fields.locale_week if fields.locale_week is not None else current_week
        offset_in_week = fields.weekday if fields.weekday is not None else 0
        first_weekday, anchor_day = LOCALE_WEEK
    _check_range("week", week, 1, 53)
    if not 1 <= week_year <= 9998:
        raise DateFormatError(f"week-year {week_year} is out of the supported range")
    start = first_week_start(week_year, first_weekday, anchor_day)
    return start + timedelta(days=7 * (week - 1) + offset_in_week)


def localize(wall: datetime, zone: tzinfo, prefer_offset: timedelta | None = None) -> datetime:
    """Attach `zone` to a naive wall-clock time and return the instant in UTC.

    A time that falls in a gap (clocks jumped forward) moves forward by the gap. A time that
    occurs twice (clocks went back) takes the occurrence whose offset is `prefer_offset`,
    else the first one. This is how moment-timezone resolves wall-clock times.
    """
    first = wall.replace(tzinfo=zone, fold=0)
    if prefer_offset is not None:
        second = wall.replace(tzinfo=zone, fold=1)
        if second.utcoffset() == prefer_offset and first.utcoffset() != prefer_offset:
            return second.astimezone(UTC)
    return first.astimezone(UTC)


# --- parsing without a format --------------------------------------------------------------

_TIME = (
    r"(?:(?:[T ]|,?\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"\s*(?P<meridiem>[ap]\.?m\.?)?)?"
)
_ZONE = r"\s*(?P<zone>Z|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2})?|GMT|UTC)?"
_WEEKDAY_PREFIX = rf"(?:(?:{_WEEKDAY_PATTERN})\.?,?\s+)?"

_AUTO_LAYOUTS = tuple(
    re.compile(layout + _TIME + _ZONE, re.IGNORECASE)
    for layout in (
        r"(?P<year>\d{4})-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?",
        r"(?P<year>\d{4})[/.](?P<month>\d{1,2})[/.](?P<day>\d{1,2})",
        r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})",
        r"(?P<day>\d{1,2})\.\s?(?P<month>\d{1,2})\.\s?(?P<year>\d{4})",
        _WEEKDAY_PREFIX
        + rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month_name>{_MONTH_PATTERN})\.?,?\s+(?P<year>\d{{4}})",
        _WEEKDAY_PREFIX
        + rf"(?P<month_name>{_MONTH_PATTERN})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})",
    )
)


def parse_auto(text: str, zone: tzinfo) -> datetime | None:
    """Read a date written in a common layout, or return None when no layout fits.

    Layouts: ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00.000Z`, a space instead of `T`),
    `2024/05/01`, `05/01/2024` (month first), `1.5.2024` (day first), and English month names
    as in `1 May 2024` or `Wed, 01 May 2024 10:00:00 GMT` (RFC 2822). Each may carry a time
    (`17:26`, `5:26 PM`, seconds and fractions) and an offset (`Z`, `+02:00`, `GMT+02:00`).
    Text without an offset is wall-clock time in `zone`. Raises `DateFormatError` when a
    layout fits but a field is out of range (month 13, 31 April).
    """
    stripped = text.strip()
    if len(stripped) > 100:
        return None
    for layout in _AUTO_LAYOUTS:
        match = layout.fullmatch(stripped)
        if match is not None:
            return _from_auto_match(match, zone)
    return None


def _from_auto_match(match: re.Match[str], zone: tzinfo) -> datetime:
    parts = match.groupdict()
    year = int(parts["year"])
    if parts.get("month_name"):
        month = _name_index(MONTH_NAMES, parts["month_name"]) + 1
    else:
        month = int(parts["month"])
    day = int(parts["day"]) if parts.get("day") else 1
    _check_range("month", month, 1, 12)
    if year < 1:
        raise DateFormatError("year 0 is out of the supported range 1-9999")
    _check_range("day", day, 1, monthrange(year, month)[1])

    hour = int(parts["hour"]) if parts["hour"] else 0
    minute = int(parts["minute"]) if parts["minute"] else 0
    second = int(parts["second"]) if parts["second"] else 0
    millisecond = int((parts["fraction"] + "000")[:3]) if parts["fraction"] else 0
    if parts["meridiem"]:
        _check_range("hour", hour, 1, 12)
        is_pm = parts["meridiem"][0].lower() == "p"
        hour = hour % 12 + (12 if is_pm else 0)
    _check_range("hour", hour, 0, 23)
    _check_range("minute", minute, 0, 59)
    _check_range("second", second, 0, 59)
    wall = datetime(year, month, day, hour, minute, second, millisecond * 1000)

    zone_text = parts["zone"]
    if zone_text:
        cleaned = re.sub(r"^(?:GMT|UTC)\s*", "", zone_text.strip(), flags=re.IGNORECASE)
        if cleaned == "":
            offset = 0
        else:
            if re.fullmatch(r"[+-]\d(?::?\d{2})?", cleaned):
                cleaned = cleaned[0] + "0" + cleaned[1:]
            offset = parse_offset(cleaned)
        return (wall - timedelta(minutes=offset)).replace(tzinfo=UTC)
    return localize(wall, zone)
