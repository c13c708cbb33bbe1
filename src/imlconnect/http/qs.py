"""Query-string encoding with the default conventions of the npm `qs` package (`qs.stringify`).

Make's runtime encodes `qs` and `urlencoded` bodies this way, so the same value produces the same
bytes here:

- undefined values are left out; null becomes `key=`; an empty object or array adds nothing,
- booleans are `true`/`false`, numbers print as JavaScript prints them, dates as ISO 8601 text,
  bytes as their UTF-8 text,
- nested objects become `a[b]=c` and arrays `a[0]=x&a[1]=y` (brackets encoded as `%5B`/`%5D`),
- keys and values are percent-encoded as UTF-8 except the RFC 3986 unreserved characters
  (`A-Z a-z 0-9 - . _ ~`), so a space is `%20`,
- pairs are joined with `&` in the order the keys were written.

NOTE: JavaScript objects list integer-like keys (`"1"`, `"20"`) first and in numeric order. Make
may therefore order such keys differently, while here every key keeps the written order.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from ..iml.values import UNDEFINED, Value, to_string
from .urls import without_lone_surrogates


def encode_component(text: str) -> str:
    """Percent-encode every character except the RFC 3986 unreserved ones, as UTF-8."""
    return quote(without_lone_surrogates(text), safe="")


def iter_pairs(value: Value, prefix: str) -> Iterator[tuple[str, str]]:
    """Yield the unencoded `(key, value)` pairs that `value` contributes under the key `prefix`."""
    if value is UNDEFINED:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from iter_pairs(item, f"{prefix}[{key}]")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_pairs(item, f"{prefix}[{index}]")
        return
    yield prefix, to_string(value)  # null is "", so it encodes as `key=`


def top_level_pairs(value: Value) -> Iterator[tuple[str, str]]:
    """Yield the unencoded pairs of a whole object (or array, keyed by index).

    Any other value contributes nothing, as `qs.stringify` returns an empty string for it.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            yield from iter_pairs(item, str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_pairs(item, str(index))


def stringify(value: Value) -> str:
    """Encode an object as a query string exactly as `qs.stringify(value)` does by default."""
    return "&".join(
        f"{encode_component(key)}={encode_component(text)}" for key, text in top_level_pairs(value)
    )
