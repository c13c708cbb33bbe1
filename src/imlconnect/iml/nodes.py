"""Syntax tree of IML expressions.

Every node records `column`, the 1-based position in the whole template string (not in the
expression alone) where the construct starts, so errors found after parsing still point at the
right character. Nodes are immutable.

A chain of property accesses and brackets (`body.items[1].id`) is one `Path` node with a flat
tuple of segments, so long chains never nest the tree deeply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from .values import Value

__all__ = [
    "Binary",
    "Call",
    "DynamicIndex",
    "First",
    "Index",
    "Interpolation",
    "Key",
    "Keyword",
    "Literal",
    "Logical",
    "Node",
    "Path",
    "Segment",
    "Unary",
    "Variable",
]


@dataclass(frozen=True, slots=True)
class Literal:
    """A number, string, `true`, `false`, `null` or `undefined` written in the expression."""

    value: Value
    column: int


@dataclass(frozen=True, slots=True)
class Keyword:
    """A built-in name such as `now`, `uuid` or `emptyarray` (see `keywords.KEYWORDS`)."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Variable:
    """A root variable read from the context, such as `parameters` or `statusCode`."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Key:
    """A property access: `.name`, `` .`any name` `` or the dialect `['name']`."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Index:
    """A bracket with a number written in it: `[2]`, `[-1]`, `[0]` (1-based on arrays)."""

    position: int | float
    column: int


@dataclass(frozen=True, slots=True)
class DynamicIndex:
    """A bracket with a computed position or key: `[length(items)]`."""

    expression: Node
    column: int


@dataclass(frozen=True, slots=True)
class First:
    """Empty brackets `[]`: the first item of an array, or the value itself otherwise."""

    column: int


Segment: TypeAlias = Key | Index | DynamicIndex | First


@dataclass(frozen=True, slots=True)
class Path:
    """A base expression followed by property and index segments."""

    base: Node
    segments: tuple[Segment, ...]
    column: int


@dataclass(frozen=True, slots=True)
class Unary:
    """`!x` (op `!`) or `-x` (op `-`)."""

    op: str
    operand: Node
    column: int


@dataclass(frozen=True, slots=True)
class Binary:
    """An arithmetic, comparison or equality operation.

    `op` is the canonical operator: `+ - * / % ++ < <= > >= == !=`. The aliases `===` and `=`
    become `==`, and `!==` becomes `!=`.
    """

    op: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True, slots=True)
class Logical:
    """`&&`/`&`/`and` (op `and`) or `||`/`|`/`or` (op `or`); both return one of the operands."""

    op: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a built-in function by name; `column` is where the name starts."""

    name: str
    args: tuple[Node, ...]
    column: int


Node: TypeAlias = Literal | Keyword | Variable | Path | Unary | Binary | Logical | Call


@dataclass(frozen=True, slots=True)
class Interpolation:
    """One `{{ ... }}` span of a template.

    `start` is the 1-based column of its opening `{{`, and `end` is the 1-based column just
    after its closing `}}`. `source` is the expression text between the braces.
    """

    expression: Node
    source: str
    start: int
    end: int
