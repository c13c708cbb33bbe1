"""Array and collection functions.

Every function returns a new array and never changes its input. When the array argument is
undefined or null, the function returns it unchanged (`first` and `last` return undefined).
Key arguments are key paths as `get` reads them (see `general.py`).

Decisions where Make documents nothing:

- `merge` ignores arguments that are not arrays, as Make's IML library does.
- `keys` of an array gives the 1-based positions as numbers, so `get(arr, key)` reads them back.
- `map` leaves out items where the key is missing, instead of putting undefined in the array.
- `sort` compares numbers as numbers and text by UTF-16 code units, puts numbers before text,
  text before other values, and undefined and null last. It is stable.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from functools import cmp_to_key
from typing import Any

from ..values import UNDEFINED, Value, is_nullish, is_number, to_string
from .coerce import (
    CallLike,
    check_array,
    check_length,
    check_text,
    fail,
    identity_key,
    max_array_length,
    same_value,
    to_array,
    to_collection,
    to_integer,
    to_text,
    wrong_type,
)
from .general import path_argument, read_path_checked
from .registry import BUILTINS
from .text import from_code_units, to_code_units

# --- picking items -------------------------------------------------------------------------


@BUILTINS.register("isArray", min_args=1, max_args=1)
def is_array(call: CallLike, value: Value) -> bool:
    """Return True when the value is an array. Make's app runtime provides this helper."""
    return isinstance(value, list)


@BUILTINS.register("first", min_args=1, max_args=1)
def first(call: CallLike, array: Value) -> Value:
    """Return the first item of an array, or undefined when it is empty."""
    if is_nullish(array):
        return UNDEFINED
    items = to_array(call, array, 1)
    return items[0] if items else UNDEFINED


@BUILTINS.register("last", min_args=1, max_args=1)
def last(call: CallLike, array: Value) -> Value:
    """Return the last item of an array, or undefined when it is empty."""
    if is_nullish(array):
        return UNDEFINED
    items = to_array(call, array, 1)
    return items[-1] if items else UNDEFINED


def _js_position(call: CallLike, value: Value, position: int, size: int, default: int) -> int:
    if is_nullish(value):
        return default
    index = to_integer(call, value, position)
    if index < 0:
        return max(size + index, 0)
    return min(index, size)


@BUILTINS.register("slice", min_args=2, max_args=3)
def slice_(call: CallLike, array: Value, start: Value, end: Value = UNDEFINED) -> Value:
    """Return items from `start` up to `end` (exclusive), 0-based as JavaScript's slice.

    Negative positions count from the end. Text is sliced by UTF-16 code units.
    """
    if is_nullish(array):
        return array
    if isinstance(array, str):
        units = to_code_units(array)
        begin = _js_position(call, start, 2, len(units), 0)
        stop = _js_position(call, end, 3, len(units), len(units))
        return from_code_units(units[begin:stop])
    items = to_array(call, array, 1)
    begin = _js_position(call, start, 2, len(items), 0)
    stop = _js_position(call, end, 3, len(items), len(items))
    return items[begin:stop]


# --- building arrays -----------------------------------------------------------------------


@BUILTINS.register("merge", min_args=1)
def merge(call: CallLike, *arrays: Value) -> Value:
    """Concatenate arrays into one. Arguments that are not arrays are ignored."""
    lists = [array for array in arrays if isinstance(array, list)]
    check_length(call, sum(len(array) for array in lists), "array")
    result: list[Value] = []
    for array in lists:
        result.extend(array)
    return result


@BUILTINS.register("add", min_args=1)
def add(call: CallLike, array: Value, *values: Value) -> Value:
    """Return the array with the values appended."""
    if is_nullish(array):
        return array
    items = to_array(call, array, 1)
    return check_array(call, [*items, *values])


@BUILTINS.register("remove", min_args=1)
def remove(call: CallLike, array: Value, *values: Value) -> Value:
    """Return the array without every item equal to one of the values (strict, deep equality)."""
    if is_nullish(array):
        return array
    items = to_array(call, array, 1)
    return [item for item in items if not any(same_value(item, value) for value in values)]


def _unique(call: CallLike, items: list[Value], key: Value) -> list[Value]:
    seen: set[str] = set()
    result: list[Value] = []
    for item in items:
        identity = item if is_nullish(key) else read_path_checked(call, item, key, 2)
        marker = identity_key(identity)
        if marker not in seen:
            seen.add(marker)
            result.append(item)
    return result


@BUILTINS.register("distinct", min_args=1, max_args=2)
def distinct(call: CallLike, array: Value, key: Value = UNDEFINED) -> Value:
    """Remove duplicate items, keeping the first. With a key path, compare the values at it.

    Scalars compare by their text form (`1` and `"1"` are duplicates). Arrays and collections
    compare deeply.
    """
    if is_nullish(array):
        return array
    items = to_array(call, array, 1)
    if not is_nullish(key):
        path_argument(call, key, 2)
    return _unique(call, items, key)


@BUILTINS.register("deduplicate", min_args=1, max_args=1)
def deduplicate(call: CallLike, array: Value) -> Value:
    """Remove duplicate items, keeping the first (the same rules as distinct without a key)."""
    if is_nullish(array):
        return array
    return _unique(call, to_array(call, array, 1), UNDEFINED)


@BUILTINS.register("flatten", min_args=1, max_args=2)
def flatten(call: CallLike, array: Value, depth: Value = 1) -> Value:
    """Flatten nested arrays up to `depth` levels (default 1), as JavaScript's Array.flat."""
    if is_nullish(array):
        return array
    items = to_array(call, array, 1)
    levels = 1 if is_nullish(depth) else to_integer(call, depth, 2)
    limit = max_array_length(call)
    result: list[Value] = []

    def walk(values: list[Value], remaining: int) -> None:
        for value in values:
            if isinstance(value, list) and remaining > 0:
                walk(value, remaining - 1)
            else:
                result.append(value)
                if len(result) > limit:
                    check_array(call, result)

    walk(items, min(levels, 1000))
    return result


# --- keys, map and collections -------------------------------------------------------------


@BUILTINS.register("keys", min_args=1, max_args=1)
def keys(call: CallLike, value: Value) -> Value:
    """Return the keys of a collection, or the 1-based positions of an array's items."""
    if is_nullish(value):
        return value
    if isinstance(value, dict):
        return list(value.keys())
    if isinstance(value, list):
        return list(range(1, len(value) + 1))
    wrong_type(call, 1, value, "a collection or an array")


def _filter_values(call: CallLike, value: Value) -> set[str]:
    if isinstance(value, list):
        return {to_string(item) for item in value}
    if isinstance(value, dict):
        wrong_type(call, 4, value, "comma-separated text or an array")
    return {piece.strip() for piece in to_string(value).split(",")}


@BUILTINS.register("map", min_args=2, max_args=4)
def map_(
    call: CallLike, array: Value, key: Value, filter_key: Value = UNDEFINED, filter_values: Value = UNDEFINED
) -> Value:
    """Return the values at a key path of each item of an array of collections.

    With `filter_key` and `filter_values` (comma-separated text or an array), only items
    whose value at `filter_key` is one of them count. Values compare by their text form.
    Items without the key are left out.
    """
    if is_nullish(array):
        return array
    items = to_array(call, array, 1)
    path_argument(call, key, 2)
    selected: set[str] | None = None
    if not is_nullish(filter_key):
        path_argument(call, filter_key, 3)
        selected = _filter_values(call, filter_values) if not is_nullish(filter_values) else set()
    result: list[Value] = []
    for item in items:
        if selected is not None:
            tested = read_path_checked(call, item, filter_key, 3)
            if is_nullish(tested) or to_string(tested) not in selected:
                continue
        value = read_path_checked(call, item, key, 2)
        if value is not UNDEFINED:
            result.append(value)
    return result


@BUILTINS.register("toArray", min_args=1, max_args=1)
def to_array_(call: CallLike, collection: Value) -> Value:
    """Turn a collection into an array of `{key, value}` collections, in key order."""
    if is_nullish(collection):
        return collection
    source = to_collection(call, collection, 1)
    return check_array(call, [{"key": key, "value": value} for key, value in source.items()])


@BUILTINS.register("toCollection", min_args=3, max_args=3)
def to_collection_(call: CallLike, array: Value, key_field: Value, value_field: Value) -> Value:
    """Build a collection from an array of collections, using one field as key and one as value.

    `toCollection(arr, 'name', 'age')` turns `[{name: 'Bob', age: 22}]` into `{Bob: 22}`.
    Items without the key field are skipped. A later item with the same key wins.
    """
    if is_nullish(array):
        return array
    items = to_array(call, array, 1)
    path_argument(call, key_field, 2)
    path_argument(call, value_field, 3)
    result: dict[str, Value] = {}
    for item in items:
        key = read_path_checked(call, item, key_field, 2)
        if is_nullish(key):
            continue
        if isinstance(key, (list, dict)):
            fail(call, "argument 2 names a key field whose value is an array or a collection, not text.")
        result[to_string(key)] = read_path_checked(call, item, value_field, 3)
    return result


@BUILTINS.register("join", min_args=1, max_args=2)
def join(call: CallLike, array: Value, separator: Value = ",") -> Value:
    """Join the text forms of an array's items with a separator (default `,`).

    Undefined and null items become empty text. A value that is not an array is joined as a
    one-item array, as Make coerces a single value into an array field.
    """
    if is_nullish(array):
        return array
    if isinstance(array, dict):
        wrong_type(call, 1, array, "an array")
    items = array if isinstance(array, list) else [array]
    glue = "," if is_nullish(separator) else to_text(call, separator, 2)
    check_length(call, sum(len(to_string(item)) for item in items) + len(glue) * max(len(items) - 1, 0))
    return check_text(call, glue.join(to_string(item) for item in items))


# --- ordering ------------------------------------------------------------------------------

_ORDERS = {"asc": (False, False), "desc": (True, False), "asc ci": (False, True), "desc ci": (True, True)}


def _rank(value: Value) -> int:
    if is_number(value):
        return 0
    if isinstance(value, str):
        return 1
    if isinstance(value, datetime):
        return 2
    if isinstance(value, bool):
        return 3
    if is_nullish(value):
        return 5
    return 4


def _comparator(ignore_case: bool) -> Callable[[Value, Value], int]:
    def compare(left: Value, right: Value) -> int:
        left_rank, right_rank = _rank(left), _rank(right)
        if left_rank != right_rank:
            return -1 if left_rank < right_rank else 1
        if left_rank == 1:
            a, b = (left.lower(), right.lower()) if ignore_case else (left, right)
            a, b = to_code_units(a), to_code_units(b)
        elif left_rank in (0, 2, 3):
            a, b = left, right
        else:
            a, b = to_string(left), to_string(right)
        if a < b:
            return -1
        if a > b:
            return 1
        return 0

    return compare


@BUILTINS.register("sort", min_args=1, max_args=3)
def sort(call: CallLike, array: Value, order: Value = "asc", key: Value = UNDEFINED) -> Value:
    """Sort an array. Order is `asc` (default), `desc`, `asc ci` or `desc ci` (case-insensitive).

    With a key path, items are ordered by the value at it. Equal items keep their order.
    Undefined and null sort last in both directions.
    """
    if is_nullish(array):
        return array
    items = to_array(call, array, 1)
    order_name = "asc" if is_nullish(order) else to_text(call, order, 2).strip().lower()
    if order_name not in _ORDERS:
        fail(call, "argument 2 must be the order asc, desc, asc ci or desc ci.")
    descending, ignore_case = _ORDERS[order_name]
    keyed: list[tuple[Value, Value]]
    if not is_nullish(key):
        path_argument(call, key, 3)
        keyed = [(read_path_checked(call, item, key, 3), item) for item in items]
    else:
        keyed = [(item, item) for item in items]

    present = [pair for pair in keyed if not is_nullish(pair[0])]
    missing = [pair for pair in keyed if is_nullish(pair[0])]
    compare = _comparator(ignore_case)

    def compare_pairs(left: tuple[Value, Value], right: tuple[Value, Value]) -> int:
        return compare(left[0], right[0])

    ordered = sorted(present, key=cmp_to_key(compare_pairs), reverse=descending)
    return [item for _, item in ordered + missing]


@BUILTINS.register("reverse", min_args=1, max_args=1)
def reverse(call: CallLike, array: Value) -> Value:
    """Return the items in reverse order."""
    if is_nullish(array):
        return array
    return list(reversed(to_array(call, array, 1)))


@BUILTINS.register("shuffle", min_args=1, max_args=1)
def shuffle(call: CallLike, array: Value) -> Value:
    """Return the items in random order, using the `rng` of the call or its context when set."""
    if is_nullish(array):
        return array
    items = list(to_array(call, array, 1))
    generator: Any = (
        getattr(call, "rng", None) or getattr(getattr(call, "context", None), "rng", None) or random
    )
    generator.shuffle(items)
    return items
