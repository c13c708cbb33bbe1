"""General functions: if, ifempty, switch, get, pick and omit, plus the key-path reader.

Key paths (`get`, and the key arguments of `map`, `sort`, `distinct` and `toCollection`) are
dot-separated names. A numeric segment picks an array item counting from 1 (`-1` is the last
item), a segment in backticks may contain dots, and `name[2]` or `name[]` (the first item)
may be written as in IML expressions. A missing step gives undefined, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from ..values import UNDEFINED, Value, is_empty, is_nullish, is_number, to_string, truthy
from .coerce import CallLike, fail, to_collection, wrong_type
from .registry import BUILTINS

Thunk = Callable[[], Value]

# --- key paths -----------------------------------------------------------------------------

_SEGMENT = re.compile(r"`([^`]*)`|([^.\[\]`]+)|\[(-?\d*)\]")


@lru_cache(maxsize=1024)
def parse_path(path: str) -> tuple[str | int | None, ...]:
    """Split a key path into names, 1-based indices (ints) and None for `[]` (first item).

    Raises ValueError for text that is not a key path, such as an unclosed backtick.
    """
    segments: list[str | int | None] = []
    position = 0
    expect_segment = True
    while position < len(path):
        if path[position] == "." and not expect_segment:
            position += 1
            expect_segment = True
            continue
        match = _SEGMENT.match(path, position)
        if match is None:
            raise ValueError(f"unexpected character {path[position]!r} at offset {position}")
        quoted, name, index = match.groups()
        if quoted is not None:
            segments.append(quoted)
        elif name is not None:
            segments.append(name)
        else:
            segments.append(int(index) if index else None)
        position = match.end()
        expect_segment = False
    return tuple(segments)


def step(value: Value, segment: str | int | None) -> Value:
    """Read one path segment from a value. Undefined when it is missing."""
    if isinstance(value, dict):
        if segment is None:
            return value
        key = segment if isinstance(segment, str) else str(segment)
        return value.get(key, UNDEFINED)
    if isinstance(value, list):
        if segment is None:
            return value[0] if value else UNDEFINED
        if isinstance(segment, str):
            if not re.fullmatch(r"-?\d+", segment):
                return UNDEFINED
            segment = int(segment)
        if segment > 0:
            return value[segment - 1] if segment <= len(value) else UNDEFINED
        if segment < 0:
            return value[segment] if -segment <= len(value) else UNDEFINED
        return UNDEFINED
    if segment is None and not is_nullish(value):
        return value  # `[]` on a non-array is the value itself.
    return UNDEFINED


def read_path(value: Value, path: Value) -> Value:
    """Follow a key path (text or a number) through collections and arrays.

    Raises ValueError when a text path is malformed.
    """
    if is_number(path):
        if isinstance(path, float) and not path.is_integer():
            return step(value, to_string(path))
        return step(value, int(path))
    text = to_string(path)
    if text == "":
        return UNDEFINED
    for segment in parse_path(text):
        value = step(value, segment)
        if value is UNDEFINED:
            return UNDEFINED
    return value


def path_argument(call: CallLike, path: Value, position: int) -> Value:
    """Check that an argument can be a key path: text or a number."""
    if isinstance(path, str) or is_number(path):
        return path
    wrong_type(call, position, path, "a key path (text or a number)")


def read_path_checked(call: CallLike, value: Value, path: Value, position: int) -> Value:
    """`read_path` that reports a malformed path as an IMLRuntimeError on argument `position`."""
    try:
        return read_path(value, path)
    except ValueError as error:
        fail(call, f"argument {position} is not a valid key path: {error}.")


# --- conditionals --------------------------------------------------------------------------


@BUILTINS.register("if", min_args=2, max_args=3, lazy=True)
def if_(call: CallLike, condition: Thunk, then: Thunk, otherwise: Thunk | None = None) -> Value:
    """Return the second argument when the condition is truthy, else the third (or undefined).

    Only the returned branch is evaluated.
    """
    if truthy(condition()):
        return then()
    return otherwise() if otherwise is not None else UNDEFINED


@BUILTINS.register("ifempty", min_args=2, lazy=True)
def ifempty(call: CallLike, value: Thunk, *fallbacks: Thunk) -> Value:
    """Return the first value unless it is undefined, null or empty text. Else the second.

    An empty array or collection is not empty here, as in Make. Published apps also pass more
    than two values (`ifempty(a, b, 'default')`); then the first non-empty one is returned, or
    the last one when all are empty. Values after the returned one are never evaluated.
    """
    current = value()
    for fallback in fallbacks:
        if not is_empty(current):
            return current
        current = fallback()
    return current


@BUILTINS.register("switch", min_args=3, lazy=True)
def switch(call: CallLike, expression: Thunk, *cases: Thunk) -> Value:
    """Return the result paired with the first case equal to the expression.

    Arguments: expression, case1, result1, case2, result2, ..., [default]. Cases compare by
    their text form, so `switch(200, '200', 'ok')` matches. Without a match the trailing odd
    argument is returned, or undefined when there is none. Only the needed values are
    evaluated.
    """
    subject = to_string(expression())
    pairs = len(cases) // 2
    for index in range(pairs):
        if to_string(cases[2 * index]()) == subject:
            return cases[2 * index + 1]()
    if len(cases) % 2 == 1:
        return cases[-1]()
    return UNDEFINED


# --- reading and reshaping collections -----------------------------------------------------


@BUILTINS.register("get", min_args=2, max_args=2)
def get(call: CallLike, value: Value, path: Value) -> Value:
    """Return the value at a key path in a collection or array. Undefined when missing."""
    if is_nullish(path):
        return UNDEFINED
    path_argument(call, path, 2)
    return read_path_checked(call, value, path, 2)


def _key_list(call: CallLike, keys: tuple[Value, ...]) -> list[str]:
    names: list[str] = []
    for offset, key in enumerate(keys):
        if isinstance(key, list):
            names.extend(to_string(item) for item in key)
        elif isinstance(key, dict):
            wrong_type(call, offset + 2, key, "a key (text) or an array of keys")
        elif not is_nullish(key):
            names.append(to_string(key))
    return names


@BUILTINS.register("pick", min_args=1)
def pick(call: CallLike, collection: Value, *keys: Value) -> Value:
    """Return a new collection with only the given keys, in the collection's order.

    Keys are separate arguments or one array of keys. Undefined or null is returned unchanged.
    """
    if is_nullish(collection):
        return collection
    source = to_collection(call, collection, 1)
    kept = set(_key_list(call, keys))
    return {key: item for key, item in source.items() if key in kept}


@BUILTINS.register("omit", min_args=1)
def omit(call: CallLike, collection: Value, *keys: Value) -> Value:
    """Return a new collection without the given keys (separate arguments or one array)."""
    if is_nullish(collection):
        return collection
    source = to_collection(call, collection, 1)
    removed = set(_key_list(call, keys))
    return {key: item for key, item in source.items() if key not in removed}
