"""Every built-in, fed arbitrary IML values, returns an IML value or raises an IML error.

A raw Python exception (TypeError, OverflowError, decimal.InvalidOperation ...) escaping a
function would surface as a crash instead of a message naming the function, so this test
calls each registered function with random arguments within its arity.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imlconnect.iml.functions  # noqa: F401  (registers the built-ins)
from imlconnect.iml.errors import IMLError
from imlconnect.iml.functions.registry import BUILTINS
from imlconnect.iml.limits import Limits
from imlconnect.iml.values import UNDEFINED

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@dataclass
class StubCall:
    """A stand-in for CallContext with the attributes the functions read."""

    name: str
    timezone: str = "UTC"
    now: datetime = NOW
    limits: Limits = field(default_factory=Limits)
    rng: random.Random = field(default_factory=lambda: random.Random(7))


scalars = st.one_of(
    st.just(UNDEFINED),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "2024-05-01",
            "/a(b)/g",
            "YYYY-MM-DD",
            "hex",
            "base64",
            "asc ci",
            "a.b.1",
            "Europe/Prague",
            "%E0%A4",
            '{"a":1}',
            "1,5",
            "monday",
            "HS256",
            "-1",
            "1e400",
            "[",
            "/(?=x)/",
        ]
    ),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
    st.binary(max_size=12),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=5), children, max_size=4),
    ),
    max_leaves=5,
)


def is_iml_value(value: Any) -> bool:
    if value is UNDEFINED or value is None or isinstance(value, (bool, int, float, str, bytes, datetime)):
        return True
    if isinstance(value, list):
        return all(is_iml_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_iml_value(item) for key, item in value.items())
    return False


def call_builtin(name: str, args: list[Any]) -> Any:
    definition = BUILTINS.get(name)
    assert definition is not None
    call = StubCall(name=name)
    if definition.lazy:
        return definition.func(call, *[(lambda value=value: value) for value in args])
    return definition.func(call, *args)


@pytest.mark.parametrize("name", BUILTINS.names())
def test_builtin_never_crashes(name: str) -> None:
    definition = BUILTINS.get(name)
    assert definition is not None
    low = definition.min_args
    high = definition.max_args if definition.max_args is not None else low + 3

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        st.integers(min_value=low, max_value=high).flatmap(lambda n: st.lists(values, min_size=n, max_size=n))
    )
    def run(args: list[Any]) -> None:
        try:
            result = call_builtin(name, args)
        except IMLError as error:
            assert error.message
            return
        assert is_iml_value(result), f"{name} returned {type(result).__name__}"
        if isinstance(result, float):
            assert not math.isnan(result) or name in {"abs", "ceil", "floor", "round", "trunc", "parseNumber"}

    run()


EDGE = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
FIRST = datetime(1, 1, 1, tzinfo=UTC)
HARD_INPUTS = [
    ("formatNumber", [1e308, 100]),
    ("round", [1e308, 20]),
    ("trunc", [-1.7e308, 15]),
    ("sum", [1e308, 1e308]),
    ("stdevP", [[1e308, -1e308]]),
    ("addDays", [EDGE, 1]),
    ("addMonths", [NOW, 1e300]),
    ("addSeconds", [NOW, math.nan]),
    ("addHours", [NOW, math.inf]),
    ("setHour", [NOW, 1e300]),
    ("setDate", [FIRST, -5]),
    ("formatDate", [FIRST, "X", "America/New_York"]),
    ("formatDate", [EDGE, "YYYY", "Pacific/Kiritimati"]),
    ("formatDate", [1e20, "YYYY"]),
    ("parseDate", ["9999-12-31 24:00", "YYYY-MM-DD HH:mm"]),
    ("parseDate", ["-99999999999999999", "x"]),
    ("parseDate", ["0000-01-01", "YYYY-MM-DD"]),
    ("parseDate", ["9999-W53-7", "GGGG-[W]WW-E"]),
    ("substring", ["abc", 1e300]),
    ("flatten", [[1], 1e300]),
    ("parseJSON", ["[" * 100_000]),
    ("jwt", [{"a": 1}, "s", "HS256", {"expiresIn": "1e400"}]),
]


@pytest.mark.parametrize(
    ("name", "args"), HARD_INPUTS, ids=[f"{name}-{index}" for index, (name, _) in enumerate(HARD_INPUTS)]
)
def test_hard_input_stays_contained(name: str, args: list[Any]) -> None:
    try:
        result = call_builtin(name, args)
    except IMLError as error:
        assert name in str(error)
        return
    assert is_iml_value(result)
