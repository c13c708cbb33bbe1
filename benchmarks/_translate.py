"""Translation of parsed IML templates into equivalent Jinja2 templates.

The translation walks the syntax tree that `imlconnect.iml.parser.parse_template` returns and
writes Jinja2 source whose output equals `to_string()` of the IML result. Both engines then do
the same work per value:

- Property access (`a.b`) stays Jinja2 attribute syntax. `IMLEnvironment` replaces Jinja2's
  `getattr` and `getitem` with IML's `get_member`, so a missing key gives IML's undefined, as in
  imlconnect. Keys that are not plain identifiers become `a["key"]`.
- Positions (`a[1]`, `a[]`, `a[expr]`) are 1-based in IML, so they become calls of
  `_iml_index` and `_iml_first`, which are `operators.get_index` and `operators.get_first`.
- Operators whose JavaScript meaning differs from Python's (`+`, `-`, `*`, `/`, `%`, `++`, the
  comparisons and the loose equalities) become calls of the functions in
  `imlconnect.iml.operators`. `!x` is `not _iml_truthy(x)`.
- `&&` and `||` stay Jinja2's lazy `and` and `or`. An operand whose Python truthiness could
  differ from JavaScript's (an empty array or collection, NaN) is wrapped by `_iml_js`, which
  gives it JavaScript's truthiness, and `_iml_unwrap` takes the value back out of the result.
- Built-in function calls become calls of the globals `_iml_f_<name>`: `functools.partial`
  over the same function from `imlconnect.iml.functions`, bound to a fixed call context.
- The lazy built-ins `if` and `ifempty` become Jinja2 conditional expressions and `or` chains,
  because Jinja2 has no closures to pass as thunks. They evaluate only what imlconnect
  evaluates.
  `switch` is not translated.
- Keywords: `now` and `timestamp` are template variables set from the IML context, `uuid`,
  `random` and `emptyarray` are calls of globals that run the same keyword functions, and the
  constant keywords become literals.
- Every `{{ }}` output goes through `finalize=to_string`, so values print as IML prints them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from jinja2 import Environment

from imlconnect.iml import Context, operators, to_string, truthy
from imlconnect.iml.functions.registry import BUILTINS, FunctionRegistry
from imlconnect.iml.keywords import CONSTANT_KEYWORDS, DYNAMIC_KEYWORDS
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
from imlconnect.iml.values import UNDEFINED, is_empty

__all__ = [
    "IMLEnvironment",
    "Translation",
    "TranslationError",
    "helper_globals",
    "make_environment",
    "translate",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names that Jinja2 parses as operators or constants, so they cannot be variable names.
_JINJA_RESERVED = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"}
)
_BINARY_HELPERS = {
    "+": "_iml_add",
    "++": "_iml_numeric_add",
    "-": "_iml_subtract",
    "*": "_iml_multiply",
    "/": "_iml_divide",
    "%": "_iml_remainder",
    "==": "_iml_eq",
    "!=": "_iml_ne",
    "<": "_iml_lt",
    "<=": "_iml_le",
    ">": "_iml_gt",
    ">=": "_iml_ge",
}
_BOOLEAN_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_FUNCTION_PREFIX = "_iml_f_"
_ROOT_PREFIX = "_iml_root_"
_KEYWORD_VARIABLES = {"now": "_iml_now", "timestamp": "_iml_timestamp"}


class TranslationError(Exception):
    """The template uses a construct that has no Jinja2 translation here."""


class Translation:
    """Jinja2 source of one IML template, the helpers it calls and the variables it reads.

    `variables` maps each Jinja2 variable name to the IML root name it stands for, or to a
    keyword (`now`, `timestamp`) prefixed with `keyword:`. `helpers` names the globals of
    `helper_globals` the source calls.
    """

    __slots__ = ("helpers", "source", "variables")

    def __init__(self, source: str, variables: dict[str, str], helpers: frozenset[str]) -> None:
        self.source = source
        self.variables = variables
        self.helpers = helpers

    def template_globals(self, helpers: Mapping[str, Any]) -> dict[str, Any]:
        """Pick the helpers this template calls from `helper_globals()`."""
        return {name: helpers[name] for name in sorted(self.helpers)}

    def render_variables(self, context: Context) -> dict[str, Any]:
        """Build the keyword arguments of Jinja2's `render()` from an IML context."""
        values: dict[str, Any] = {}
        for jinja_name, origin in self.variables.items():
            if origin == "keyword:now":
                values[jinja_name] = context.now
            elif origin == "keyword:timestamp":
                values[jinja_name] = context.timestamp
            else:
                values[jinja_name] = context.variables.get(origin, UNDEFINED)
        return values


# --- Jinja2 environment ----------------------------------------------------------------------


class IMLEnvironment(Environment):
    """A Jinja2 environment whose attribute and item access follow IML's `get_member`."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            return obj.get(attribute, UNDEFINED)
        return operators.get_member(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is dict and type(argument) is str:
            return obj.get(argument, UNDEFINED)
        return operators.get_index(obj, argument)


class _JSTruth:
    """A wrapper that gives a value its JavaScript truthiness where Python's differs."""

    __slots__ = ("truth", "value")

    def __init__(self, value: Any, truth: bool) -> None:
        self.value = value
        self.truth = truth

    def __bool__(self) -> bool:
        return self.truth


def _js(value: Any) -> Any:
    truth = truthy(value)
    if bool(value) is truth:
        return value
    return _JSTruth(value, truth)


def _unwrap(value: Any) -> Any:
    return value.value if type(value) is _JSTruth else value


def _non_empty(value: Any) -> Any:
    """Return a stand-in that is falsy when `ifempty` would skip `value`, else truthy."""
    if is_empty(value):
        return False
    if value:
        return value
    return _JSTruth(value, True)


def make_environment() -> IMLEnvironment:
    """Create the Jinja2 environment: no autoescaping, no template cache, IML output rules.

    The environment keeps Jinja2's default globals only. Jinja2 copies every global into a
    new dict on each `render()`, so each template gets just the helpers it calls, as template
    globals (see `Translation.template_globals`).
    """
    return IMLEnvironment(
        autoescape=False,
        cache_size=0,
        keep_trailing_newline=True,
        finalize=to_string,
    )


def helper_globals(context: Context, registry: FunctionRegistry = BUILTINS) -> dict[str, Any]:
    """Return every helper a translation may call, bound to `context`'s clock and limits.

    Every eager built-in of `registry` gets a `functools.partial` with the call context that
    imlconnect's compiled templates get from `context`, so dates and limits behave the same.
    """
    helpers: dict[str, Any] = {
        "_iml_add": operators.add,
        "_iml_numeric_add": operators.numeric_add,
        "_iml_subtract": operators.subtract,
        "_iml_multiply": operators.multiply,
        "_iml_divide": operators.divide,
        "_iml_remainder": operators.remainder,
        "_iml_eq": operators.loose_equals,
        "_iml_ne": operators.loose_not_equals,
        "_iml_lt": operators.less_than,
        "_iml_le": operators.less_equal,
        "_iml_gt": operators.greater_than,
        "_iml_ge": operators.greater_equal,
        "_iml_negate": operators.negate,
        "_iml_truthy": truthy,
        "_iml_index": operators.get_index,
        "_iml_first": operators.get_first,
        "_iml_js": _js,
        "_iml_unwrap": _unwrap,
        "_iml_non_empty": _non_empty,
    }
    for name, keyword in DYNAMIC_KEYWORDS.items():
        if name not in _KEYWORD_VARIABLES:
            helpers[f"_iml_kw_{name}"] = partial(keyword, context)
    for name in registry.names():
        definition = registry.get(name)
        if definition is not None and not definition.lazy:
            helpers[_FUNCTION_PREFIX + name] = partial(definition.func, context.call_context(name))
    helpers["_iml_undefined"] = UNDEFINED
    return helpers


# --- translation -----------------------------------------------------------------------------


def translate(parsed: ParsedTemplate, registry: FunctionRegistry = BUILTINS) -> Translation:
    """Translate a parsed IML template into Jinja2 source.

    Raises `TranslationError` for a construct without a translation.
    """
    writer = _Writer(registry)
    pieces: list[str] = []
    for part in parsed.parts:
        if isinstance(part, Interpolation):
            pieces.append("{{ " + writer.expression(part.expression) + " }}")
        else:
            pieces.append(_text(part))
    return Translation("".join(pieces), writer.variables, frozenset(writer.helpers))


def _text(text: str) -> str:
    """Write literal template text so that Jinja2 outputs it unchanged."""
    if "\r" in text:
        # Jinja2 normalises line endings in template data, so keep them in a string literal.
        return "{{ " + _string_literal(text) + " }}"
    if "{{" in text or "{%" in text or "{#" in text:
        if "endraw" in text:
            return "{{ " + _string_literal(text) + " }}"
        return "{% raw %}" + text + "{% endraw %}"
    return text


def _string_literal(text: str) -> str:
    # Jinja2 decodes string literals with Python's unicode-escape codec.
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return '"' + escaped + '"'


class _Writer:
    def __init__(self, registry: FunctionRegistry) -> None:
        self.registry = registry
        self.variables: dict[str, str] = {}
        self.helpers: set[str] = set()

    def use(self, helper: str) -> str:
        self.helpers.add(helper)
        return helper

    def expression(self, node: Node) -> str:
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, Variable):
            return self._variable(node.name)
        if isinstance(node, Keyword):
            return self._keyword(node.name)
        if isinstance(node, Path):
            return self._path(node)
        if isinstance(node, Unary):
            operand = self.expression(node.operand)
            if node.op == "!":
                return f"(not {self.use('_iml_truthy')}({operand}))"
            return f"{self.use('_iml_negate')}({operand})"
        if isinstance(node, Binary):
            helper = self.use(_BINARY_HELPERS[node.op])
            return f"{helper}({self.expression(node.left)}, {self.expression(node.right)})"
        if isinstance(node, Logical):
            return self._logical(node)
        if isinstance(node, Call):
            return self._call(node)
        raise TranslationError(f"unknown syntax node {type(node).__name__}")

    def _variable(self, name: str) -> str:
        jinja_name = name
        if not _IDENTIFIER.fullmatch(name) or name in _JINJA_RESERVED or name.startswith("_iml_"):
            jinja_name = f"{_ROOT_PREFIX}{len(self.variables)}"
        self.variables[jinja_name] = name
        return jinja_name

    def _keyword(self, name: str) -> str:
        if name in _KEYWORD_VARIABLES:
            jinja_name = _KEYWORD_VARIABLES[name]
            self.variables[jinja_name] = f"keyword:{name}"
            return jinja_name
        if name in DYNAMIC_KEYWORDS:
            return f"{self.use(f'_iml_kw_{name}')}()"
        return self.literal(CONSTANT_KEYWORDS[name])

    def _path(self, node: Path) -> str:
        text = self.expression(node.base)
        for segment in node.segments:
            if isinstance(segment, Key):
                if _IDENTIFIER.fullmatch(segment.name) and segment.name not in _JINJA_RESERVED:
                    text = f"{text}.{segment.name}"
                else:
                    text = f"{text}[{_string_literal(segment.name)}]"
            elif isinstance(segment, Index):
                text = f"{self.use('_iml_index')}({text}, {self.literal(segment.position)})"
            elif isinstance(segment, DynamicIndex):
                text = f"{self.use('_iml_index')}({text}, {self.expression(segment.expression)})"
            elif isinstance(segment, First):
                text = f"{self.use('_iml_first')}({text})"
            else:
                raise TranslationError(f"unknown path segment {type(segment).__name__}")
        return text

    def _logical(self, node: Logical) -> str:
        operands: list[Node] = []
        current: Node = node
        # Flatten a left-leaning run of the same operator, because `a || b || c` is `(a || b) || c`.
        while isinstance(current, Logical) and current.op == node.op:
            operands.append(current.right)
            current = current.left
        operands.append(current)
        operands.reverse()
        wrapped = False
        texts: list[str] = []
        for position, operand in enumerate(operands):
            text = self.expression(operand)
            last = position == len(operands) - 1
            if not last and not _same_truthiness(operand):
                text = f"{self.use('_iml_js')}({text})"
                wrapped = True
            texts.append(f"({text})")
        joined = f" {node.op} ".join(texts)
        return f"{self.use('_iml_unwrap')}({joined})" if wrapped else f"({joined})"

    def _call(self, node: Call) -> str:
        definition = self.registry.get(node.name)
        if definition is None:
            raise TranslationError(f"function {node.name!r} is not a built-in")
        arguments = [self.expression(argument) for argument in node.args]
        if node.name == "if":
            otherwise = arguments[2] if len(arguments) > 2 else self.literal(UNDEFINED)
            return f"(({arguments[1]}) if {self.use('_iml_truthy')}({arguments[0]}) else ({otherwise}))"
        if node.name == "ifempty":
            # The first non-empty value, or the last value when all are empty.
            non_empty = self.use("_iml_non_empty")
            tests = [f"{non_empty}({argument})" for argument in arguments[:-1]]
            return f"{self.use('_iml_unwrap')}({' or '.join(tests)} or ({arguments[-1]}))"
        if definition.lazy:
            raise TranslationError(f"lazy built-in {node.name!r} has no Jinja2 translation")
        return f"{self.use(_FUNCTION_PREFIX + node.name)}({', '.join(arguments)})"

    def literal(self, value: Any) -> str:
        if value is UNDEFINED:
            return self.use("_iml_undefined")
        return _literal(value)


def _same_truthiness(node: Node) -> bool:
    """Tell whether Python and JavaScript agree on the truthiness of every value of `node`."""
    if isinstance(node, Literal):
        value = node.value
        return isinstance(value, (str, bool, int, float)) or value is None or value is UNDEFINED
    if isinstance(node, Unary):
        return node.op == "!"
    if isinstance(node, Binary):
        return node.op in _BOOLEAN_OPERATORS
    return False


def _literal(value: Any) -> str:
    if value is None:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string_literal(value)
    if isinstance(value, int):
        return f"({value})" if value < 0 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TranslationError(f"number {value!r} has no Jinja2 literal")
        text = repr(value)
        return f"({text})" if value < 0 else text
    if isinstance(value, (Mapping, list, bytes)):
        raise TranslationError(f"literal of type {type(value).__name__} has no Jinja2 form")
    raise TranslationError(f"literal {value!r} has no Jinja2 form")
