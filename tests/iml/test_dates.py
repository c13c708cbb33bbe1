"""Date functions across DST changes, and format-then-parse round trips for every token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import imlconnect.iml.functions  # noqa: F401  (registers the built-ins)
from imlconnect.iml.functions import datefmt
from imlconnect.iml.functions.registry import BUILTINS
from imlconnect.iml.limits import Limits

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
PRAGUE = "Europe/Prague"
NEW_YORK = "America/New_York"


@dataclass
class StubCall:
    """A stand-in for CallContext with the attributes the date functions read."""

    name: str
    timezone: str = "UTC"
    now: datetime = NOW
    limits: Limits = field(default_factory=Limits)


def call(name: str, zone: str, *args: Any) -> Any:
    definition = BUILTINS.get(name)
    assert definition is not None
    return definition.func(StubCall(name=name, timezone=zone), *args)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- DST changes ---------------------------------------------------------------------------
# Europe/Prague: 2024-03-31 02:00 CET -> 03:00 CEST, 2024-10-27 03:00 CEST -> 02:00 CET.
# America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT, 2024-11-03 02:00 EDT -> 01:00 EST.

DST_CASES = [
    # (function, zone, date, argument, expected UTC instant)
    ("addDays", PRAGUE, "2024-03-30T12:00:00Z", 1, "2024-03-31T11:00:00Z"),
    ("addDays", PRAGUE, "2024-10-26T12:00:00Z", 1, "2024-10-27T13:00:00Z"),
    ("addDays", PRAGUE, "2024-03-31T11:00:00Z", -1, "2024-03-30T12:00:00Z"),
    ("addHours", PRAGUE, "2024-03-31T00:30:00Z", 1, "2024-03-31T01:30:00Z"),
    ("addHours", PRAGUE, "2024-03-30T12:00:00Z", 24, "2024-03-31T12:00:00Z"),
    ("addMinutes", PRAGUE, "2024-10-27T00:30:00Z", 60, "2024-10-27T01:30:00Z"),
    ("addMonths", PRAGUE, "2024-03-15T12:00:00Z", 1, "2024-04-15T11:00:00Z"),
    ("addMonths", PRAGUE, "2024-10-15T11:00:00Z", 1, "2024-11-15T12:00:00Z"),
    ("addYears", PRAGUE, "2023-07-01T10:00:00Z", 1, "2024-07-01T10:00:00Z"),
    ("addDays", PRAGUE, "2024-03-30T01:30:00Z", 1, "2024-03-31T01:30:00Z"),
    ("setHour", PRAGUE, "2024-03-31T00:00:00Z", 2, "2024-03-31T01:00:00Z"),
    ("setHour", PRAGUE, "2024-03-31T00:00:00Z", 4, "2024-03-31T02:00:00Z"),
    ("setMinute", PRAGUE, "2024-10-27T00:00:00Z", 30, "2024-10-27T00:30:00Z"),
    ("setMinute", PRAGUE, "2024-10-27T01:00:00Z", 30, "2024-10-27T01:30:00Z"),
    ("setSecond", PRAGUE, "2024-10-27T01:59:59Z", 61, "2024-10-27T02:00:01Z"),
    ("setDate", PRAGUE, "2024-03-30T12:00:00Z", 31, "2024-03-31T11:00:00Z"),
    ("setDay", PRAGUE, "2024-03-29T12:00:00Z", 8, "2024-03-31T11:00:00Z"),
    ("setMonth", PRAGUE, "2024-01-15T12:00:00Z", 7, "2024-07-15T11:00:00Z"),
    ("setMonth", PRAGUE, "2015-08-07T11:36:39.138Z", "january", "2015-01-07T12:36:39.138Z"),
    ("setYear", PRAGUE, "2024-07-01T10:00:00Z", 2023, "2023-07-01T10:00:00Z"),
    ("addDays", NEW_YORK, "2024-03-09T17:00:00Z", 1, "2024-03-10T16:00:00Z"),
    ("addDays", NEW_YORK, "2024-11-02T16:00:00Z", 1, "2024-11-03T17:00:00Z"),
    ("addHours", NEW_YORK, "2024-03-10T06:30:00Z", 1, "2024-03-10T07:30:00Z"),
    ("addMinutes", NEW_YORK, "2024-11-03T05:30:00Z", 60, "2024-11-03T06:30:00Z"),
    ("addMonths", NEW_YORK, "2024-02-10T17:00:00Z", 1, "2024-03-10T16:00:00Z"),
    ("setHour", NEW_YORK, "2024-03-10T05:00:00Z", 2, "2024-03-10T07:00:00Z"),
    ("setHour", NEW_YORK, "2024-11-03T04:00:00Z", 1, "2024-11-03T05:00:00Z"),
    ("setMinute", NEW_YORK, "2024-11-03T06:10:00Z", 40, "2024-11-03T06:40:00Z"),
    ("setDate", NEW_YORK, "2024-11-02T16:00:00Z", 3, "2024-11-03T17:00:00Z"),
    ("setDay", NEW_YORK, "2024-03-09T17:00:00Z", "Sunday", "2024-03-03T17:00:00Z"),
    ("setMonth", NEW_YORK, "2024-01-15T17:00:00Z", 7, "2024-07-15T16:00:00Z"),
]


@pytest.mark.parametrize(
    ("name", "zone", "start", "argument", "expected"),
    DST_CASES,
    ids=[f"{case[0]}-{case[1].split('/')[1]}-{case[2][:10]}" for case in DST_CASES],
)
def test_dst_change(name: str, zone: str, start: str, argument: Any, expected: str) -> None:
    assert call(name, zone, utc(start), argument) == utc(expected)


def test_wall_clock_kept_across_spring() -> None:
    result = call("addDays", PRAGUE, utc("2024-03-30T12:00:00Z"), 1)
    assert call("formatDate", PRAGUE, result, "HH:mm Z") == "13:00 +02:00"


def test_wall_clock_kept_across_autumn() -> None:
    result = call("addDays", NEW_YORK, utc("2024-11-02T16:00:00Z"), 1)
    assert call("formatDate", NEW_YORK, result, "HH:mm z") == "12:00 EST"


def test_repeated_hour_second_pass() -> None:
    result = call("addMinutes", NEW_YORK, utc("2024-11-03T05:30:00Z"), 60)
    assert call("formatDate", NEW_YORK, result, "HH:mm z") == "01:30 EST"


def test_gap_time_moves_forward() -> None:
    result = call("parseDate", PRAGUE, "2024-03-31 02:30", "YYYY-MM-DD HH:mm")
    assert call("formatDate", PRAGUE, result, "HH:mm") == "03:30"


def test_set_hour_keeps_day_across_dst() -> None:
    result = call("setHour", NEW_YORK, utc("2024-03-10T05:00:00Z"), 12)
    assert call("formatDate", NEW_YORK, result, "YYYY-MM-DD HH:mm") == "2024-03-10 12:00"


# --- format and parse round trips ----------------------------------------------------------

SAMPLES = [
    "2024-05-01T10:00:00.000Z",
    "2024-02-29T23:59:59.999Z",
    "2023-12-31T00:00:00.000Z",
    "2021-01-01T12:34:56.789Z",
    "2020-12-28T06:07:08.009Z",
    "1999-07-04T18:30:00.500Z",
    "2024-03-31T01:30:00.000Z",
    "2024-10-27T00:30:00.000Z",
    "2024-10-27T01:30:00.000Z",
    "2068-06-15T21:05:00.000Z",
]
ZONES = ["UTC", PRAGUE, NEW_YORK, "Asia/Kolkata", "America/St_Johns"]

Keep = Callable[[datetime], datetime]


def keep_all(local: datetime) -> datetime:
    return local


def keep_seconds(local: datetime) -> datetime:
    return local.replace(microsecond=0)


def keep_minutes(local: datetime) -> datetime:
    return local.replace(second=0, microsecond=0)


def keep_tenths(local: datetime) -> datetime:
    return local.replace(microsecond=local.microsecond // 100_000 * 100_000)


def keep_hundredths(local: datetime) -> datetime:
    return local.replace(microsecond=local.microsecond // 10_000 * 10_000)


def keep_day(local: datetime) -> datetime:
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def keep_quarter(local: datetime) -> datetime:
    return keep_day(local).replace(month=(local.month - 1) // 3 * 3 + 1, day=1)


def keep_month(local: datetime) -> datetime:
    return keep_day(local).replace(day=1)


# Formats grouped so that together they use every format token at least once.
ROUND_TRIPS: list[tuple[str, Keep]] = [
    ("YYYY-MM-DDTHH:mm:ss.SSSZ", keep_all),
    ("YYYY-MM-DD HH:mm:ss.SSS ZZ", keep_all),
    ("x", keep_all),
    ("X", keep_seconds),
    ("YYYYMMDD HHmmss SSS", keep_all),
    ("YY-M-D H:m:s", keep_seconds),
    ("Y-MM-DD", keep_day),
    ("MMMM Do YYYY, h:mm:ss a", keep_seconds),
    ("MMM D YYYY hh:mm A", keep_minutes),
    ("ddd, DD MMM YYYY HH:mm:ss", keep_seconds),
    ("dddd, MMMM D, YYYY kk:mm", keep_minutes),
    ("dd D Mo YYYY k:mm", keep_minutes),
    ("DDDD YYYY HH:mm", keep_minutes),
    ("DDD YYYY", keep_day),
    ("DDDo [day of] YYYY", keep_day),
    ("GGGG-[W]WW-E HH:mm", keep_minutes),
    ("GG W E", keep_day),
    ("GGGG [week] Wo E", keep_day),
    ("gggg-[w]ww-e HH:mm", keep_minutes),
    ("gg w d", keep_day),
    ("gggg wo do", keep_day),
    ("YYYY-MM-DD HH:mm:ss.S", keep_tenths),
    ("YYYY-MM-DD HH:mm:ss.SS", keep_hundredths),
    ("YYYY-MM-DD HH:mm:ss.SSSS", keep_all),
    ("YYYY-MM-DD HH:mm:ss.SSSSSSSSS", keep_all),
    ("YYYY Q", keep_quarter),
    ("Qo [quarter] YYYY", keep_quarter),
    ("MM/YYYY", keep_month),
    ("[Date:] DD.MM.YYYY [at] HH:mm", keep_minutes),
]


def expected_instant(moment: datetime, zone: str, keep: Keep, has_offset: bool) -> datetime:
    """Return the instant a format keeps; text without an offset names the first of two repeated hours."""
    local = moment.astimezone(ZoneInfo(zone))
    kept = keep(local.replace(tzinfo=None))
    return datefmt.localize(kept, ZoneInfo(zone), local.utcoffset() if has_offset else None)


@pytest.mark.parametrize(("format_text", "keep"), ROUND_TRIPS, ids=[item[0] for item in ROUND_TRIPS])
@pytest.mark.parametrize("zone", ZONES)
def test_round_trip(format_text: str, keep: Keep, zone: str) -> None:
    tokens = {piece.text for piece in datefmt.tokenize(format_text) if piece.is_token}
    has_offset = bool(tokens & {"Z", "ZZ", "X", "x"})
    for sample in SAMPLES:
        moment = utc(sample)
        text = call("formatDate", zone, moment, format_text)
        parsed = call("parseDate", zone, text, format_text)
        assert parsed == expected_instant(moment, zone, keep, has_offset), f"{sample} -> {text!r}"


def test_round_trips_cover_every_token() -> None:
    used = {
        piece.text
        for format_text, _ in ROUND_TRIPS
        for piece in datefmt.tokenize(format_text)
        if piece.is_token
    }
    printable_only = {"z", "zz"}
    missing = set(datefmt._FIXED_TOKENS) - used - printable_only
    assert missing == set()


def test_timezone_name_is_printed() -> None:
    assert call("formatDate", PRAGUE, utc("2024-01-15T12:00:00Z"), "z") == "CET"
