"""Operator semantics and property access, each case with its exact expected value."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from imlconnect.iml import operators as op
from imlconnect.iml.values import UNDEFINED

DATE = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
LATER = datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC)
DATE_MS = 1714557600000


def same(actual: object, expected: object) -> bool:
    """Compare values including their Python type, with NaN equal to NaN."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (1, 2, 3),
        (0.1, 0.2, 0.3),
        (1.5, 1.5, 3),
        ("a", "b", "ab"),
        ("1", 1, "11"),
        (1, "1", "11"),
        (None, 5, 5),
        (5, None, 5),
        (None, "x", "x"),
        (UNDEFINED, "x", "x"),
        ("Retry in ", UNDEFINED, "Retry in "),
        (None, None, None),
        (True, 1, 2),
        (True, True, 2),
        ("a", True, "atrue"),
        ("n=", 1.5, "n=1.5"),
        ([1, 2], "x", "1,2x"),
        ({"a": 1}, "!", "{object}!"),
        ("[", {"a": 1}, "[{object}"),
        (DATE, 1000, "2024-05-01T10:00:00.000Z1000"),
        ("at ", DATE, "at 2024-05-01T10:00:00.000Z"),
        (b"ab", "c", "abc"),
        (2**53, 1, float(2**53 + 1)),
        (math.inf, 1, math.inf),
        (math.inf, -math.inf, math.nan),
    ],
)
def test_add(left: object, right: object, expected: object) -> None:
    assert same(op.add(left, right), expected)


@pytest.mark.parametrize(
    ("function", "left", "right", "expected"),
    [
        (op.subtract, 5, 3, 2),
        (op.subtract, 0.3, 0.1, 0.2),
        (op.subtract, "10", "4", 6),
        (op.subtract, LATER, DATE, 1000),
        (op.subtract, DATE, 0, DATE_MS),
        (op.subtract, None, 1, -1),
        (op.subtract, UNDEFINED, 1, math.nan),
        (op.subtract, "abc", 1, math.nan),
        (op.subtract, True, False, 1),
        (op.multiply, 12.5, 2, 25),
        (op.multiply, 0.1, 3, 0.3),
        (op.multiply, "3", "4", 12),
        (op.multiply, [], 5, 0),
        (op.multiply, [7], 2, 14),
        (op.multiply, [1, 2], 2, math.nan),
        (op.multiply, {"a": 1}, 2, math.nan),
        (op.multiply, 1e308, 10, math.inf),
        (op.divide, 1, 3, 0.3333333333333333),
        (op.divide, 10, 4, 2.5),
        (op.divide, 9, 3, 3),
        (op.divide, 0.3, 0.1, 3),
        (op.divide, 1, 0, math.inf),
        (op.divide, -1, 0, -math.inf),
        (op.divide, 0, 0, math.nan),
        (op.divide, 1, -0.0, -math.inf),
        (op.remainder, 7, 3, 1),
        (op.remainder, -7, 3, -1),
        (op.remainder, 7, -3, 1),
        (op.remainder, 5.5, 2, 1.5),
        (op.remainder, 0.3, 0.1, 0),
        (op.remainder, 5, 0, math.nan),
        (op.remainder, 5, math.inf, 5),
        (op.remainder, math.inf, 2, math.nan),
        (op.numeric_add, "1", "2", 3),
        (op.numeric_add, "1", None, 1),
    ],
)
def test_arithmetic(function: object, left: object, right: object, expected: object) -> None:
    assert same(function(left, right), expected)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, -5), (-2.5, 2.5), ("3", -3), (None, 0), (0, 0), (True, -1), ("x", math.nan), (UNDEFINED, math.nan)],
)
def test_negate(value: object, expected: object) -> None:
    assert same(op.negate(value), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        (UNDEFINED, True),
        (0, True),
        ("", True),
        (math.nan, True),
        (False, True),
        ("0", False),
        ([], False),
        ({}, False),
        (DATE, False),
    ],
)
def test_logical_not(value: object, expected: bool) -> None:
    assert op.logical_not(value) is expected


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("200", 200, True),
        (200, "200", True),
        (200, 200.0, True),
        (" 200 ", 200, True),
        ("", 0, True),
        ("0", False, True),
        (1, True, True),
        ("true", True, False),
        (None, UNDEFINED, True),
        (None, None, True),
        (UNDEFINED, UNDEFINED, True),
        (None, 0, False),
        (UNDEFINED, "", False),
        (None, False, False),
        (math.nan, math.nan, False),
        ("a", "a", True),
        ("a", "A", False),
        ([1], 1, True),
        ([1, 2], "1,2", True),
        ([], "", True),
        ({"a": 1}, "{object}", True),
        ([1], [1], False),
        ({}, {}, False),
        ([], {}, False),
        (DATE, DATE, True),
        (DATE, LATER, False),
        (DATE, "2024-05-01T10:00:00.000Z", True),
        ("2024-05-01T12:00:00+02:00", DATE, True),
        (DATE, "2024-05-01", False),
        (DATE, DATE_MS, True),
        (DATE, "yesterday", False),
        (b"ab", b"ab", True),
        (b"ab", "ab", True),
        (True, True, True),
        (True, False, False),
    ],
)
def test_loose_equals(left: object, right: object, expected: bool) -> None:
    assert op.loose_equals(left, right) is expected


def test_equals_same_array_object() -> None:
    items = [1, 2]
    assert op.loose_equals(items, items) is True


@pytest.mark.parametrize(("left", "right"), [("200", 200), (1, 2), (None, UNDEFINED), ([1], [1])])
def test_not_equals_negates(left: object, right: object) -> None:
    assert op.loose_not_equals(left, right) is not op.loose_equals(left, right)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        (1, 2, -1),
        (2, 1, 1),
        (2, 2, 0),
        (1.5, 2, -1),
        ("a", "b", -1),
        ("b", "a", 1),
        ("10", "9", -1),
        ("10", 9, 1),
        (10, "9", 1),
        (None, 0, 0),
        (None, 1, -1),
        (UNDEFINED, 1, None),
        (1, UNDEFINED, None),
        ("abc", 1, None),
        (True, 0, 1),
        (math.nan, 1, None),
        ([2], 1, 1),
        ([1, 2], "1,3", -1),
        (DATE, LATER, -1),
        (LATER, DATE, 1),
        (DATE, DATE, 0),
        (DATE, "2024-05-01T10:00:00.500Z", -1),
        ("2024-05-02", DATE, 1),
        (DATE, "2024-05-01T12:00:00+02:00", 0),
        (DATE, DATE_MS + 1, -1),
        (DATE, "not a date", None),
    ],
)
def test_compare(left: object, right: object, expected: int | None) -> None:
    assert op.compare(left, right) == expected


@pytest.mark.parametrize(
    ("function", "left", "right", "expected"),
    [
        (op.less_than, 1, 2, True),
        (op.less_than, 2, 2, False),
        (op.less_equal, 2, 2, True),
        (op.greater_than, 3, 2, True),
        (op.greater_equal, 2, 3, False),
        (op.less_than, UNDEFINED, 1, False),
        (op.greater_equal, UNDEFINED, 1, False),
        (op.less_equal, UNDEFINED, UNDEFINED, False),
        (op.less_equal, None, None, True),
        (op.less_than, "2024-05-01T09:00:00Z", DATE, True),
    ],
)
def test_relational(function: object, left: object, right: object, expected: bool) -> None:
    assert function(left, right) is expected  # type: ignore[operator]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, 5),
        (2.5, 2.5),
        (True, 1),
        (False, 0),
        (None, 0),
        (UNDEFINED, math.nan),
        ("", 0),
        ("  ", 0),
        (" 12 ", 12),
        ("12.50", 12.5),
        ("-3e2", -300),
        (".5", 0.5),
        ("5.", 5),
        ("0x1A", 26),
        ("0b101", 5),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("12px", math.nan),
        ("1,5", math.nan),
        ([], 0),
        (["7"], 7),
        ([1, 2], math.nan),
        ({}, math.nan),
        (DATE, DATE_MS),
    ],
)
def test_to_number(value: object, expected: object) -> None:
    assert same(op.to_number(value), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00.000Z", DATE),
        ("2024-05-01T10:00:00Z", DATE),
        ("2024-05-01T10:00Z", DATE),
        ("2024-05-01T12:00:00+02:00", DATE),
        ("2024-05-01T12:00:00+0200", DATE),
        ("2024-05-01T10:00:00", DATE),
        ("2024-05-01 10:00:00", DATE),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T10:00:00.1239Z", datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)),
        ("2024-13-01", None),
        ("05/01/2024", None),
        ("", None),
        ("2024-05-01T10:00:00Zjunk", None),
    ],
)
def test_parse_iso_date(text: str, expected: datetime | None) -> None:
    assert op.parse_iso_date(text) == expected


ITEMS = ["a", "b", "c"]


@pytest.mark.parametrize(
    ("value", "key", "expected"),
    [
        ({"a": 1}, "a", 1),
        ({"a": None}, "a", None),
        ({"a": 1}, "b", UNDEFINED),
        ({"length": 7}, "length", 7),
        ({}, "length", UNDEFINED),
        (ITEMS, "1", "a"),
        (ITEMS, "3", "c"),
        (ITEMS, "4", UNDEFINED),
        (ITEMS, "0", UNDEFINED),
        (ITEMS, "-1", "c"),
        (ITEMS, "length", 3),
        (ITEMS, "id", UNDEFINED),
        ([{"id": 1}], "id", UNDEFINED),
        ("hello", "length", 5),
        ("h\U0001f600", "length", 3),
        ("hello", "x", UNDEFINED),
        (b"abc", "length", 3),
        (5, "x", UNDEFINED),
        (None, "x", UNDEFINED),
        (UNDEFINED, "x", UNDEFINED),
        (True, "x", UNDEFINED),
        (DATE, "year", UNDEFINED),
    ],
)
def test_get_member(value: object, key: str, expected: object) -> None:
    assert op.get_member(value, key) == expected


@pytest.mark.parametrize(
    ("value", "position", "expected"),
    [
        (ITEMS, 1, "a"),
        (ITEMS, 2, "b"),
        (ITEMS, 3, "c"),
        (ITEMS, 4, UNDEFINED),
        (ITEMS, 0, UNDEFINED),
        (ITEMS, -1, "c"),
        (ITEMS, -3, "a"),
        (ITEMS, -4, UNDEFINED),
        (ITEMS, 2.0, "b"),
        (ITEMS, 1.5, UNDEFINED),
        (ITEMS, "2", "b"),
        (ITEMS, "length", 3),
        (ITEMS, True, UNDEFINED),
        (ITEMS, None, UNDEFINED),
        ([], 1, UNDEFINED),
        ({"a": 1}, "a", 1),
        ({"1": "one"}, 1, "one"),
        ({"a": 1}, 1, UNDEFINED),
        ("abc", 1, UNDEFINED),
        ("abc", "length", 3),
        (None, 1, UNDEFINED),
        (UNDEFINED, 1, UNDEFINED),
    ],
)
def test_get_index(value: object, position: object, expected: object) -> None:
    assert op.get_index(value, position) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(ITEMS, "a"), ([], UNDEFINED), ({"a": 1}, {"a": 1}), ("text", "text"), (None, None), (UNDEFINED, UNDEFINED)],
)
def test_get_first(value: object, expected: object) -> None:
    assert op.get_first(value) == expected


def test_js_length_counts_utf16_units() -> None:
    assert op.js_length("a\U0001f600b") == 4


def test_date_to_milliseconds_exact() -> None:
    moment = datetime(2024, 5, 1, 10, 0, 0, 999000, tzinfo=UTC)
    assert op.date_to_milliseconds(moment) == DATE_MS + 999
