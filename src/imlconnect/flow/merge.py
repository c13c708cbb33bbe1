"""Deep merge of IML collections, as `temp` and `data` directives apply it."""

from __future__ import annotations

from typing import Any

from ..iml.values import UNDEFINED


def deep_merge(target: Any, source: Any) -> Any:
    """Merge `source` into a copy of `target` and return the result.

    The rules follow lodash's `merge`, which Make's runtime uses for `temp` and `data`.
    Collections merge key by key and recursively. Arrays merge index by index, so they never
    shrink. Undefined values in `source` are skipped, and any other value replaces the old one.
    Neither argument is modified.
    """
    if isinstance(target, dict) and isinstance(source, dict):
        merged = dict(target)
        for key, value in source.items():
            if value is UNDEFINED:
                continue
            merged[key] = deep_merge(merged.get(key, UNDEFINED), value)
        return merged

    if isinstance(target, list) and isinstance(source, list):
        merged_list = list(target)
        for index, value in enumerate(source):
            if value is UNDEFINED:
                continue
            if index < len(merged_list):
                merged_list[index] = deep_merge(merged_list[index], value)
            else:
                merged_list.append(deep_merge(UNDEFINED, value))
        return merged_list

    if source is UNDEFINED:
        return target
    return _copy(source)


def _copy(value: Any) -> Any:
    """Copy collections and arrays so merged results never share mutable state with inputs."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items() if item is not UNDEFINED}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
