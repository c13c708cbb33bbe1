"""The evaluation context of IML templates and the call context handed to built-in functions."""

from __future__ import annotations

import random as _random_module
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..errors import UsageError
from .limits import DEFAULT_LIMITS, Limits
from .values import Value, make_date

__all__ = ["CallContext", "Context"]


def _load_zone(name: str) -> ZoneInfo:
    """Load an IANA timezone, accepting any letter case (`utc`, `europe/prague`)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    folded = name.casefold()
    for candidate in available_timezones():
        if candidate.casefold() == folded:
            return ZoneInfo(candidate)
    raise UsageError(
        f"Unknown timezone {name!r}. Use an IANA timezone name such as 'UTC' or 'Europe/Prague'."
    )


class Context:
    """Variables and environment (clock, timezone, limits, random source) of an evaluation.

    `variables` maps root names (`parameters`, `body`, `statusCode`, `temp`, ...) to IML values;
    the mapping is copied at construction (one level deep), so later changes to the caller's
    dict do not leak in. `now` is fixed when the context is built, so every `now` and
    `timestamp` in one verification run gets the same instant. Contexts made with
    `with_variables` share it. A naive `now` is taken as UTC. `rng` makes `random` reproducible.

    Raises `UsageError` for an unknown timezone name.
    """

    __slots__ = (
        "_call_contexts",
        "limits",
        "now",
        "random",
        "rng",
        "timestamp",
        "timezone",
        "tzinfo",
        "variables",
    )

    variables: dict[str, Value]
    now: datetime
    timestamp: int
    timezone: str
    tzinfo: ZoneInfo
    limits: Limits
    rng: _random_module.Random | None
    random: Callable[[], float]
    _call_contexts: dict[str, CallContext]

    def __init__(
        self,
        variables: Mapping[str, Value] | None = None,
        now: datetime | None = None,
        timezone: str = "UTC",
        limits: Limits | None = None,
        rng: _random_module.Random | None = None,
    ) -> None:
        moment = make_date(now if now is not None else datetime.now(UTC))
        self.variables = dict(variables) if variables is not None else {}
        self.now = moment
        self.timestamp = int(moment.timestamp())
        self.timezone = timezone
        self.tzinfo = _load_zone(timezone)
        self.limits = limits if limits is not None else DEFAULT_LIMITS
        self.rng = rng
        self.random = rng.random if rng is not None else _random_module.random
        self._call_contexts = {}

    def with_variables(self, **more: Value) -> Context:
        """Return a new context with `more` added to (or replacing) the root variables.

        The clock, timezone, limits and random generator are shared with this context; only the
        top-level variable table is copied, the values themselves are not.
        """
        child = Context.__new__(Context)
        child.variables = {**self.variables, **more}
        child.now = self.now
        child.timestamp = self.timestamp
        child.timezone = self.timezone
        child.tzinfo = self.tzinfo
        child.limits = self.limits
        child.rng = self.rng
        child.random = self.random
        child._call_contexts = {}
        return child

    def call_context(self, name: str) -> CallContext:
        """Return the `CallContext` for calls of the function `name`, made once per context."""
        call = self._call_contexts.get(name)
        if call is None:
            call = self._call_contexts[name] = CallContext(name, self)
        return call

    def __repr__(self) -> str:
        names = ", ".join(sorted(self.variables))
        return f"Context(variables=[{names}], now={self.now.isoformat()}, timezone={self.timezone!r})"


class CallContext:
    """Call information passed to a built-in function: its own IML name and the running context.

    Functions use `name` in their error messages, `timezone`/`tzinfo` and `now` for dates,
    and `limits` to bound what they build.
    """

    __slots__ = ("context", "limits", "name", "now", "timezone", "tzinfo")

    def __init__(self, name: str, context: Context) -> None:
        self.name = name
        self.context = context
        self.timezone = context.timezone
        self.tzinfo = context.tzinfo
        self.now = context.now
        self.limits = context.limits

    def __repr__(self) -> str:
        return f"CallContext(name={self.name!r}, timezone={self.timezone!r})"
