"""Shared fixtures of the IML tests: a fixed clock and a small registry of test functions.

The real built-in library registers itself on `BUILTINS`; these tests use their own
`FunctionRegistry` so that they exercise the compiler's calling rules independently of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from imlconnect.iml import Context, compile_template
from imlconnect.iml.errors import IMLRuntimeError
from imlconnect.iml.functions.registry import FunctionRegistry
from imlconnect.iml.values import UNDEFINED, is_empty, to_string

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _build_registry() -> FunctionRegistry:
    registry = FunctionRegistry()

    @registry.register("ifempty", min_args=2, lazy=True)
    def ifempty(call: Any, *thunks: Callable[[], Any]) -> Any:
        value = UNDEFINED
        for thunk in thunks:
            value = thunk()
            if not is_empty(value):
                return value
        return value

    @registry.register("if", min_args=2, max_args=3, lazy=True)
    def if_(call: Any, condition: Callable[[], Any], yes: Callable[[], Any], no: Callable[[], Any] = lambda: UNDEFINED) -> Any:
        from imlconnect.iml.values import truthy

        return yes() if truthy(condition()) else no()

    @registry.register("upper", min_args=1, max_args=1)
    def upper(call: Any, value: Any) -> Any:
        return to_string(value).upper()

    @registry.register("join", min_args=1, max_args=2)
    def join(call: Any, items: Any, separator: Any = ",") -> Any:
        return separator.join(to_string(item) for item in items)

    @registry.register("echo")
    def echo(call: Any, *values: Any) -> Any:
        return list(values)

    @registry.register("callname", max_args=0)
    def callname(call: Any) -> Any:
        return f"{call.name}|{call.timezone}|{call.now.isoformat()}"

    @registry.register("repeat", min_args=2, max_args=2)
    def repeat(call: Any, text: Any, count: Any) -> Any:
        return text * count

    @registry.register("items", min_args=1, max_args=1)
    def items(call: Any, count: Any) -> Any:
        return list(range(count))

    @registry.register("brokenpython", min_args=1, max_args=1)
    def brokenpython(call: Any, value: Any) -> Any:
        raise ValueError(f"cannot use {value}")

    @registry.register("brokeniml", min_args=0, max_args=0)
    def brokeniml(call: Any) -> Any:
        raise IMLRuntimeError("the value is not a date")

    @registry.register("recurse", min_args=0, max_args=0)
    def recurse(call: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    return registry


# One registry for the whole session, so compiled templates stay in the cache between tests.
REGISTRY = _build_registry()


@pytest.fixture(scope="session")
def registry() -> FunctionRegistry:
    return REGISTRY


def _make_context(variables: dict[str, Any] | None = None, **options: Any) -> Context:
    options.setdefault("now", NOW)
    return Context(variables or {}, **options)


@pytest.fixture(scope="session")
def make_context() -> Callable[..., Context]:
    """Return a function that builds a context with the fixed test clock unless `now` is given."""
    return _make_context


@pytest.fixture(scope="session")
def render() -> Callable[..., Any]:
    """Return a function that compiles a template with the test registry and renders it."""

    def run(source: str, variables: dict[str, Any] | None = None, **options: Any) -> Any:
        return compile_template(source, registry=REGISTRY).render(_make_context(variables, **options))

    return run
