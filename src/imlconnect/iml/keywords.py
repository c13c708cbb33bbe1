"""Literal names and built-in keywords of IML.

Keywords are reserved: a context variable that happens to share a keyword's name (a root
variable called `now`, say) cannot be read by that name, because the keyword always wins. The
root variables of a connection (`parameters`, `connection`, `common`, `data`, `temp`, `body`,
`headers`, `statusCode`, `oauth`, `query`) do not clash with any keyword. Resolving keywords
while compiling keeps rendering fast and the meaning of a template independent of its data. After a dot the names are
ordinary keys again (`body.now` reads the key `now`).
"""

from __future__ import annotations

import math
import uuid as _uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from .values import UNDEFINED, Value

if TYPE_CHECKING:
    from .context import Context

__all__ = ["CONSTANT_KEYWORDS", "DYNAMIC_KEYWORDS", "KEYWORDS", "LITERAL_NAMES", "keyword_evaluator"]

#: Names that the parser turns into literal values.
LITERAL_NAMES: Final[dict[str, Value]] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": UNDEFINED,
}

#: Keywords whose value never changes. All of them are immutable values.
CONSTANT_KEYWORDS: Final[dict[str, Value]] = {
    "emptystring": "",
    "space": " ",
    "tab": "\t",
    "newline": "\n",
    "nbsp": "\u00a0",
    "carriagereturn": "\r",
    "pi": math.pi,
    "erase": None,
    "ignore": UNDEFINED,
}


def _now(context: Context) -> Value:
    return context.now


def _timestamp(context: Context) -> Value:
    return context.timestamp


def _uuid4(context: Context) -> Value:
    return str(_uuid.uuid4())


def _empty_array(context: Context) -> Value:
    return []


def _random(context: Context) -> Value:
    return context.random()


#: Keywords evaluated on every use: `now` and `timestamp` read the context's fixed clock,
#: `uuid` and `random` give a fresh value each time, `emptyarray` a fresh list.
DYNAMIC_KEYWORDS: Final[dict[str, Callable[[Context], Value]]] = {
    "now": _now,
    "timestamp": _timestamp,
    "uuid": _uuid4,
    "emptyarray": _empty_array,
    "random": _random,
}

#: Every keyword name.
KEYWORDS: Final[frozenset[str]] = frozenset(CONSTANT_KEYWORDS) | frozenset(DYNAMIC_KEYWORDS)


def keyword_evaluator(name: str) -> Callable[[Context], Value]:
    """Return a function that evaluates the keyword `name` in a context.

    Raises `KeyError` for a name that is not a keyword.
    """
    if name in DYNAMIC_KEYWORDS:
        return DYNAMIC_KEYWORDS[name]
    value = CONSTANT_KEYWORDS[name]

    def constant(context: Context) -> Value:
        return value

    return constant
