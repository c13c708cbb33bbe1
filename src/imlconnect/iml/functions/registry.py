"""The registry of built-in IML functions.

A built-in is a Python callable registered under its IML name. The evaluator looks functions up
here when it compiles a template, so new functions are added by registering them in a module of
this package; the evaluator itself never changes.

Calling convention: `fn(call, *args)`, where `call` is a `CallContext` (timezone, clock, limits,
the function's own name for error messages) and `args` are evaluated IML values. A function
registered with `lazy=True` instead receives zero-argument callables (thunks) that evaluate
each argument on demand, so `if` and `ifempty` evaluate only the branch they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BuiltinFunction = Callable[..., Any]


@dataclass(frozen=True)
class FunctionDef:
    """A registered built-in: its name, callable, arity bounds and laziness."""

    name: str
    func: BuiltinFunction
    min_args: int = 0
    max_args: int | None = None  # None means any number
    lazy: bool = False


class FunctionRegistry:
    """A case-sensitive table of built-in functions."""

    def __init__(self) -> None:
        self._functions: dict[str, FunctionDef] = {}

    def register(
        self,
        name: str,
        *,
        min_args: int = 0,
        max_args: int | None = None,
        lazy: bool = False,
    ) -> Callable[[BuiltinFunction], BuiltinFunction]:
        """Register the decorated callable as the built-in `name`."""

        def decorator(func: BuiltinFunction) -> BuiltinFunction:
            if name in self._functions:
                raise ValueError(f"IML function {name!r} is already registered")
            self._functions[name] = FunctionDef(name, func, min_args, max_args, lazy)
            return func

        return decorator

    def get(self, name: str) -> FunctionDef | None:
        return self._functions.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._functions

    def names(self) -> list[str]:
        return sorted(self._functions)


#: The registry every template uses unless it is given another one.
BUILTINS = FunctionRegistry()

