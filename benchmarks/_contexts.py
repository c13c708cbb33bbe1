"""Plausible context variables for one IML template, shaped so that its paths resolve.

`build_variables` walks the parsed template and records, for every path such as
`body.errors[1].message`, which values must be collections, which must be arrays and what kind
of leaf the template expects (text, a number, a date, JSON text). Hints come from the functions
the values are passed to (`join` wants an array, `parseJSON` JSON text, `addSeconds` a number),
from comparisons (`statusCode >= 200` wants a number) and from the key name (`baseUrl`,
`expires_in`, `full_page`). The result is deterministic: the same template always gets the same
variables.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from imlconnect.iml.functions.registry import BUILTINS
from imlconnect.iml.nodes import (
    Binary,
    Call,
    DynamicIndex,
    First,
    Index,
    Interpolation,
    Key,
    Keyword,
    Literal,
    Logical,
    Node,
    Path,
    Unary,
    Variable,
)
from imlconnect.iml.parser import ParsedTemplate
from imlconnect.iml.values import date_to_iso

__all__ = ["ROOT_NAMES", "build_variables"]

#: The root variables every context gets, whether or not the template reads them.
ROOT_NAMES = (
    "parameters",
    "connection",
    "common",
    "data",
    "temp",
    "body",
    "headers",
    "statusCode",
    "query",
    "oauth",
)

_ARRAY_OF_TEXT = "array-of-text"
_ARRAY = "array"
_TEXT = "text"
_NUMBER = "number"
_BOOLEAN = "boolean"
_DATE = "date"
_JSON = "json"

# Hints for the arguments of built-ins, by position. The last entry repeats for the rest.
_ARGUMENT_HINTS: dict[str, tuple[str | None, ...]] = {
    "join": (_ARRAY_OF_TEXT, _TEXT),
    "length": (_ARRAY_OF_TEXT,),
    "first": (_ARRAY,),
    "last": (_ARRAY,),
    "distinct": (_ARRAY_OF_TEXT,),
    "merge": (_ARRAY_OF_TEXT,),
    "isArray": (_ARRAY,),
    "parseJSON": (_JSON,),
    "addSeconds": (_DATE, _NUMBER),
    "addMinutes": (_DATE, _NUMBER),
    "addHours": (_DATE, _NUMBER),
    "addDays": (_DATE, _NUMBER),
    "addMonths": (_DATE, _NUMBER),
    "addYears": (_DATE, _NUMBER),
    "formatDate": (_DATE, _TEXT),
    "substring": (_TEXT, _NUMBER),
    "contains": (_TEXT, _TEXT),
    "base64": (_TEXT,),
    "sha256": (_TEXT, _TEXT),
    "lower": (_TEXT,),
    "upper": (_TEXT,),
    "trim": (_TEXT,),
}
_DATE_FUNCTIONS = frozenset(
    {"addSeconds", "addMinutes", "addHours", "addDays", "addMonths", "addYears", "parseDate"}
)
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})

_NUMBER_NAMES = re.compile(
    r"(?i)(expires_in|expiresin|retry_after|retryafter|width|height|limit|delay|quality|ttl|timeout|"
    r"count|page|scale_factor|maxconcurrency|status_code|code)$"
)
_BOOLEAN_NAMES = re.compile(
    r"(?i)^(no_.*|is_.*|full_page|transparent|fresh|dryrun|deduplicated|success|sandbox|hidden|"
    r"required|extract_html|extract_text|scroll_page|element_overlap)$"
)
_URL_NAMES = re.compile(r"(?i)(url|uri|domain)$")
_SECRET_NAMES = re.compile(r"(?i)(token|key|secret|password|^pw$|verifier|accesskey)")


class _Shape:
    """The requirement of a template on one value: a collection, an array, or a leaf with a hint."""

    __slots__ = ("children", "choice", "hint", "item", "kind")

    def __init__(self) -> None:
        self.kind: str | None = None  # "object", "array" or None for a leaf
        self.children: dict[str, _Shape] = {}
        self.item: _Shape | None = None
        self.hint: str | None = None
        self.choice: str | None = None  # value the first array item takes (a `map` filter)

    def child(self, name: str) -> _Shape:
        if self.kind is None:
            self.kind = "object"
        if self.kind != "object":
            return _Shape()  # a conflicting use, so the first one wins
        return self.children.setdefault(name, _Shape())

    def array_item(self) -> _Shape:
        if self.kind is None:
            self.kind = "array"
        if self.kind != "array":
            return _Shape()
        if self.item is None:
            self.item = _Shape()
        return self.item

    def add_hint(self, hint: str | None) -> None:
        if hint is not None and self.hint is None:
            self.hint = hint


class _Walker:
    def __init__(self) -> None:
        self.roots: dict[str, _Shape] = {}

    def walk(self, node: Node, hint: str | None = None) -> _Shape | None:
        """Record what `node` needs of the context, and return the shape of its value if known."""
        if isinstance(node, (Literal, Keyword)):
            return None
        if isinstance(node, Variable):
            shape = self.roots.setdefault(node.name, _Shape())
            shape.add_hint(hint)
            return shape
        if isinstance(node, Path):
            return self._path(node, hint)
        if isinstance(node, Unary):
            self.walk(node.operand, _BOOLEAN if node.op == "!" else _NUMBER)
            return None
        if isinstance(node, Binary):
            self._binary(node)
            return None
        if isinstance(node, Logical):
            self.walk(node.left, hint)
            self.walk(node.right, hint)
            return None
        if isinstance(node, Call):
            return self._call(node, hint)
        return None

    def _path(self, node: Path, hint: str | None) -> _Shape | None:
        shape = self.walk(node.base)
        last = len(node.segments) - 1
        for position, segment in enumerate(node.segments):
            if shape is None:
                if isinstance(segment, DynamicIndex):
                    self.walk(segment.expression, _NUMBER)
                continue
            if isinstance(segment, Key):
                if segment.name == "length" and position == last:
                    if shape.kind is None:
                        shape.kind = "array"
                        shape.item = shape.item or _Shape()
                    return None
                if segment.name.lstrip("-").isdigit():
                    shape = shape.array_item()
                else:
                    shape = shape.child(segment.name)
            elif isinstance(segment, (Index, First)):
                shape = shape.array_item()
            elif isinstance(segment, DynamicIndex):
                self.walk(segment.expression, _NUMBER)
                shape = shape.array_item()
        if shape is not None:
            shape.add_hint(hint)
        return shape

    def _binary(self, node: Binary) -> None:
        if node.op not in _COMPARISONS:
            self.walk(node.left)
            self.walk(node.right)
            return
        self.walk(node.left, _operand_hint(node.right))
        self.walk(node.right, _operand_hint(node.left))

    def _call(self, node: Call, hint: str | None) -> _Shape | None:
        if node.name in ("if", "ifempty"):
            start = 1 if node.name == "if" else 0
            if node.name == "if":
                self.walk(node.args[0])
            for argument in node.args[start:]:
                self.walk(argument, hint)
            return None
        if node.name in ("map", "toCollection") and node.args:
            self._array_of_collections(node)
            return None
        hints = _ARGUMENT_HINTS.get(node.name, ())
        shapes = []
        for position, argument in enumerate(node.args):
            argument_hint = hints[min(position, len(hints) - 1)] if hints else None
            shapes.append(self.walk(argument, argument_hint))
        if node.name in ("first", "last") and shapes and shapes[0] is not None:
            return shapes[0].array_item()
        return None

    def _array_of_collections(self, node: Call) -> None:
        shape = self.walk(node.args[0])
        keys = [argument.value for argument in node.args[1:] if isinstance(argument, Literal)]
        for argument in node.args[1:]:
            if not isinstance(argument, Literal):
                self.walk(argument, _TEXT)
        if shape is None:
            return
        item = shape.array_item()
        for key in keys[:2]:
            if isinstance(key, str):
                item.child(key)
        if node.name == "map" and len(keys) >= 3 and isinstance(keys[1], str) and isinstance(keys[2], str):
            item.child(keys[1]).choice = keys[2].split(",")[0]


def _operand_hint(other: Node) -> str | None:
    """Hint for one side of a comparison from the other side."""
    if isinstance(other, Literal):
        if isinstance(other.value, bool):
            return _BOOLEAN
        if isinstance(other.value, (int, float)):
            return _NUMBER
        if isinstance(other.value, str):
            return _TEXT
    if isinstance(other, Keyword) and other.name == "now":
        return _DATE
    if isinstance(other, Call) and other.name in _DATE_FUNCTIONS:
        return _DATE
    if isinstance(other, Call) and other.name == "length":
        return _NUMBER
    return None


# --- building values -------------------------------------------------------------------------


def build_variables(parsed: ParsedTemplate, now: datetime) -> dict[str, Any]:
    """Return the root variables of a context in which every path of `parsed` resolves."""
    walker = _Walker()
    for part in parsed.parts:
        if isinstance(part, Interpolation):
            walker.walk(part.expression)
    variables: dict[str, Any] = {name: _default_root(name) for name in ROOT_NAMES}
    for name, shape in walker.roots.items():
        if name == "statusCode":
            variables[name] = 200 if shape.hint == _NUMBER else 400
            continue
        if shape.kind is None and name not in ROOT_NAMES:
            if name in BUILTINS:
                continue  # a function name read as a variable, as in `headers.content-length`
            variables[name] = _leaf(name, shape, now, 0)
            continue
        if shape.kind is None:
            continue  # a whole root such as `{{body}}` keeps its default content
        value = _materialize(name, shape, now, 0)
        base = variables.get(name)
        if isinstance(base, dict) and isinstance(value, dict):
            value = {**base, **value}
        variables[name] = value
    return variables


def _default_root(name: str) -> Any:
    if name == "statusCode":
        return 200
    if name == "headers":
        return {"content-type": "application/json; charset=utf-8", "x-request-id": "req-7f3a"}
    if name == "body":
        return {"id": "obj_81f2", "status": "ok", "message": "Request accepted."}
    if name == "oauth":
        return {
            "scope": ["read", "write"],
            "redirectUri": "https://www.integromat.com/oauth/cb/app",
            "state": "st_5d1c",
        }
    if name == "parameters":
        return {"apiKey": "sk_test_4f9a2c7e1b3d5f60"}
    return {}


def _materialize(name: str, shape: _Shape, now: datetime, index: int) -> Any:
    if shape.kind == "object":
        return {key: _materialize(key, child, now, index) for key, child in shape.children.items()}
    if shape.kind == "array":
        item = shape.item or _Shape()
        if item.kind is None and item.hint is None and item.choice is None:
            item.hint = _TEXT
        return [_materialize(_singular(name), item, now, position) for position in range(3)]
    return _leaf(name, shape, now, index)


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and len(name) > 1 else name


def _leaf(name: str, shape: _Shape, now: datetime, index: int) -> Any:
    if shape.choice is not None:
        return shape.choice if index == 0 else "false"
    hint = shape.hint
    if hint == _ARRAY_OF_TEXT or hint == _ARRAY:
        return [f"{_singular(name)}-{position + 1}" for position in range(3)]
    if hint == _JSON:
        return '{"name": "Sample", "tags": ["a", "b"], "count": 2}'
    if hint == _DATE or name.lower() in ("expires", "expires_at", "expiresat"):
        return date_to_iso(now + timedelta(hours=1))
    if hint == _BOOLEAN:
        return False
    if hint == _NUMBER or _NUMBER_NAMES.search(name):
        return 3600 if "expire" in name.lower() else 30 + index
    if _BOOLEAN_NAMES.match(name):
        return index % 2 == 0
    if hint == _TEXT:
        return _text_for(name, index)
    return _text_for(name, index)


def _text_for(name: str, index: int) -> str:
    lowered = name.lower()
    if lowered == "content-type":
        return "application/json; charset=utf-8"
    if _URL_NAMES.search(name):
        return "https://api.example.com/v1"
    if "email" in lowered:
        return "ada@example.com"
    if lowered == "region":
        return "eu"
    if _SECRET_NAMES.search(name):
        return "sk_test_4f9a2c7e1b3d5f60"
    if lowered in ("message", "error", "detail", "title", "msg", "error_description", "error_message"):
        return "The request was rejected: field 'email' is invalid."
    if lowered.endswith("id"):
        return f"id_{index + 1}a9c"
    return f"sample {name} {index + 1}"
