"""Compiled IML templates and compiled JSON values of a spec.

A template is one JSON string, of one of three kinds:

- static: it contains no `{{` and renders to itself.
- single expression: exactly one `{{ expr }}` with nothing around the braces (spaces inside
  them are fine). It renders to the typed value of the expression.
- mixed text: anything else. It renders to a string, with every value converted by
  `values.to_string`, so undefined and null become empty text.

See `lexer` for the rules on `{{`, `}}` and escapes.

Compiled templates are cached by their text, registry and limits, because the same spec is
compiled again for every verification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final

from .compiler import ExpressionCompiler
from .context import Context
from .errors import IMLError, IMLLimitError, IMLRuntimeError, IMLSyntaxError
from .functions.registry import BUILTINS, FunctionRegistry
from .limits import DEFAULT_LIMITS, Limits
from .nodes import Interpolation
from .parser import parse_template
from .values import UNDEFINED, Value, to_string, type_name

__all__ = ["CompiledValue", "Template", "child_path", "compile_template", "compile_value", "is_spread_key"]

_CACHE_SIZE: Final = 4096
_SPREAD_KEY = re.compile(r"\{\{\s*\.\.\.\s*\}\}")
_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")

Renderer = Callable[[Context], Value]


class Template:
    """One compiled IML string. Immutable, and shared between every user of the same text.

    `parts` contains the literal text pieces and `Interpolation`s in order. `warnings` lists the
    non-portable dialects the template uses, each prefixed with its column.
    """

    __slots__ = (
        "_evaluate",
        "_warnings",
        "function_names",
        "is_static",
        "parts",
        "root_names",
        "single_expression",
        "source",
    )

    source: str
    is_static: bool
    single_expression: bool
    parts: tuple[str | Interpolation, ...]
    root_names: frozenset[str]
    function_names: frozenset[str]
    _warnings: tuple[str, ...]
    _evaluate: Renderer

    @property
    def warnings(self) -> list[str]:
        """Notes on non-portable dialects (`;`, single `=`, `and`/`or`, `['key']`), as a new list."""
        return list(self._warnings)

    def render(self, context: Context) -> Value:
        """Evaluate the template in `context`.

        Returns the text itself when static, the typed value for a single expression, and a str
        for mixed text. Values read from the context are returned as they are, not copied.
        Raises `IMLRuntimeError` (or its subclass `IMLLimitError`) with `template` set.
        """
        try:
            return self._evaluate(context)
        except IMLError as exc:
            if exc.template is None:
                exc.template = self.source
            raise
        except RecursionError:
            raise IMLLimitError(
                "A value is nested too deeply to render; flatten the data or pick a part of it.",
                template=self.source,
            ) from None
        except MemoryError:
            raise IMLLimitError("The rendered value does not fit in memory.", template=self.source) from None

    def __repr__(self) -> str:
        return f"Template({self.source!r})"


def compile_template(
    source: str, *, registry: FunctionRegistry | None = None, limits: Limits | None = None
) -> Template:
    """Compile an IML string once; later calls with the same text return the cached template.

    `registry` defaults to the built-in functions; `limits` (default `DEFAULT_LIMITS`) bounds
    the template's length and nesting. Raises `IMLSyntaxError` (with a 1-based column),
    `UnknownFunctionError` for a function the registry lacks, and `ExpressionTooComplexError`.
    """
    if not isinstance(source, str):
        raise TypeError(f"compile_template() needs a str, got {type(source).__name__}")
    return _compile_cached(
        source,
        BUILTINS if registry is None else registry,
        DEFAULT_LIMITS if limits is None else limits,
    )


@lru_cache(maxsize=_CACHE_SIZE)
def _compile_cached(source: str, registry: FunctionRegistry, limits: Limits) -> Template:
    template = Template.__new__(Template)
    template.source = source
    if "{{" not in source:
        template.is_static = True
        template.single_expression = False
        template.parts = (source,) if source else ()
        template.root_names = frozenset()
        template.function_names = frozenset()
        template._warnings = ()
        template._evaluate = _static_renderer(source)
        return template

    parsed = parse_template(source, limits)
    compiler = ExpressionCompiler(source, registry)
    pieces: list[str | Renderer] = []
    for part in parsed.parts:
        pieces.append(part if isinstance(part, str) else compiler.compile(part.expression))

    template.is_static = False
    template.single_expression = len(pieces) == 1 and not isinstance(pieces[0], str)
    template.parts = parsed.parts
    template.root_names = frozenset(compiler.root_names)
    template.function_names = frozenset(compiler.function_names)
    template._warnings = parsed.warnings
    if template.single_expression:
        evaluate = pieces[0]
        assert not isinstance(evaluate, str)
        template._evaluate = evaluate
    else:
        template._evaluate = _mixed_renderer(pieces)
    return template


def _static_renderer(text: str) -> Renderer:
    def static(context: Context) -> Value:
        return text

    return static


def _mixed_renderer(pieces: list[str | Renderer]) -> Renderer:
    frozen = tuple(pieces)
    if len(frozen) == 2 and isinstance(frozen[0], str):
        prefix, evaluate = frozen
        assert isinstance(prefix, str) and not isinstance(evaluate, str)

        def prefixed(context: Context) -> Value:
            value = evaluate(context)
            text = prefix + (value if type(value) is str else to_string(value))
            if len(text) > context.limits.max_string_length:
                context.limits.check_string(len(text), "rendered text")
            return text

        return prefixed

    def mixed(context: Context) -> Value:
        texts = []
        for piece in frozen:
            if type(piece) is str:
                texts.append(piece)
            else:
                value = piece(context)  # type: ignore[operator]
                texts.append(value if type(value) is str else to_string(value))
        text = "".join(texts)
        if len(text) > context.limits.max_string_length:
            context.limits.check_string(len(text), "rendered text")
        return text

    return mixed


# --- JSON values ---------------------------------------------------------------------------------


def is_spread_key(key: str) -> bool:
    """Return True for the spread key `{{...}}` (spaces inside the braces allowed)."""
    return _SPREAD_KEY.fullmatch(key) is not None


def child_path(path: str, key: str | int) -> str:
    """Return the JSON path of `key` inside `path`: `a.b`, `a[2]` (0-based) or `a["x.y"]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


class CompiledValue:
    """A JSON value of a spec with every IML string in it compiled.

    `render` returns a fresh structure on every call: dicts and lists are new, including those
    a template returned from the context, so callers may change the result freely. Undefined
    values stay in dicts and lists; consumers drop them where the format requires.
    """

    __slots__ = ("_render", "_templates", "path", "source")

    def __init__(self, source: Any, path: str, render: Renderer, templates: list[tuple[str, Template]]) -> None:
        self.source = source
        self.path = path
        self._render = render
        self._templates = templates

    @property
    def is_static(self) -> bool:
        """True when the value contains no IML expression at all."""
        return all(template.is_static for _, template in self._templates)

    def render(self, context: Context) -> Value:
        """Evaluate every template and merge spread keys.

        Raises `IMLRuntimeError` with `.json_path` naming the failing string.
        """
        try:
            return self._render(context)
        except RecursionError:
            error = IMLLimitError("A value is nested too deeply to copy; flatten the data.")
            error.json_path = self.path  # type: ignore[attr-defined]
            raise error from None

    def templates(self) -> list[tuple[str, Template]]:
        """List the JSON path and template of every string (dict keys included), in order."""
        return list(self._templates)

    def __repr__(self) -> str:
        return f"CompiledValue(path={self.path!r}, templates={len(self._templates)})"


def compile_value(
    json_value: Any,
    *,
    path: str = "",
    registry: FunctionRegistry | None = None,
    limits: Limits | None = None,
) -> CompiledValue:
    """Compile every IML string inside a JSON value (dict keys that contain `{{` too).

    `path` is the JSON path of `json_value` in its spec file and prefixes the paths of errors
    and of `templates()`. Raises the errors of `compile_template` with `.json_path` set to the
    string that failed, and `IMLSyntaxError` for a spread key whose value is neither an IML
    expression nor an object.
    """
    builder = _ValueBuilder(BUILTINS if registry is None else registry, DEFAULT_LIMITS if limits is None else limits)
    render = builder.build(json_value, path)
    return CompiledValue(json_value, path, render, builder.templates)


class _ValueBuilder:
    def __init__(self, registry: FunctionRegistry, limits: Limits) -> None:
        self.registry = registry
        self.limits = limits
        self.templates: list[tuple[str, Template]] = []

    def build(self, value: Any, path: str) -> Renderer:
        if isinstance(value, str):
            return self._string(value, path)
        if isinstance(value, Mapping):
            return self._object(value, path)
        if isinstance(value, (list, tuple)):
            items = [self.build(item, child_path(path, index)) for index, item in enumerate(value)]

            def array(context: Context) -> Value:
                return [item(context) for item in items]

            return array
        return _static_value(value)

    def _compile(self, text: str, path: str) -> Template:
        try:
            template = compile_template(text, registry=self.registry, limits=self.limits)
        except IMLError as exc:
            exc.json_path = path  # type: ignore[attr-defined]
            raise
        self.templates.append((path, template))
        return template

    def _string(self, text: str, path: str) -> Renderer:
        template = self._compile(text, path)
        if template.is_static:
            return _static_value(text)
        render = template.render
        expects_container = template.single_expression

        def string(context: Context) -> Value:
            try:
                value = render(context)
            except IMLError as exc:
                if getattr(exc, "json_path", None) is None:
                    exc.json_path = path  # type: ignore[attr-defined]
                raise
            if expects_container and (type(value) is list or type(value) is dict):
                return _fresh_copy(value)
            return value

        return string

    def _object(self, mapping: Mapping[str, Any], path: str) -> Renderer:
        entries: list[tuple[int, Any, Renderer, str]] = []
        for key, item in mapping.items():
            key = str(key)
            item_path = child_path(path, key)
            if is_spread_key(key):
                self._check_spread_value(item, item_path)
                entries.append((2, None, self.build(item, item_path), item_path))
            elif "{{" in key:
                key_template = self._compile(key, item_path)
                entries.append((1, key_template.render, self.build(item, item_path), item_path))
            else:
                entries.append((0, key, self.build(item, item_path), item_path))

        if all(kind == 0 for kind, _, _, _ in entries):
            static_entries = tuple((key, render) for _, key, render, _ in entries)

            def plain_object(context: Context) -> Value:
                return {key: render(context) for key, render in static_entries}

            return plain_object

        frozen = tuple(entries)

        def object_with_templates(context: Context) -> Value:
            result: dict[str, Value] = {}
            for kind, key, render, item_path in frozen:
                if kind == 0:
                    result[key] = render(context)
                elif kind == 1:
                    result[_render_key(key, context, item_path)] = render(context)
                else:
                    _merge_spread(result, render(context), item_path)
            return result

        return object_with_templates

    def _check_spread_value(self, item: Any, path: str) -> None:
        if isinstance(item, Mapping):
            return
        if isinstance(item, str) and "{{" in item:
            return
        error = IMLSyntaxError(
            "The spread key '{{...}}' needs an IML expression that gives a collection, such as "
            "\"{{omit(parameters, 'id')}}\", or an object as its value; got "
            f"{_json_kind(item)}.",
        )
        error.json_path = path  # type: ignore[attr-defined]
        raise error


def _json_kind(item: Any) -> str:
    if isinstance(item, str):
        return "plain text without '{{'"
    if isinstance(item, (list, tuple)):
        return "an array"
    return type_name(item)


def _render_key(render: Renderer, context: Context, path: str) -> str:
    try:
        value = render(context)
    except IMLError as exc:
        if getattr(exc, "json_path", None) is None:
            exc.json_path = path  # type: ignore[attr-defined]
        raise
    return value if type(value) is str else to_string(value)


def _merge_spread(result: dict[str, Value], value: Value, path: str) -> None:
    if value is None or value is UNDEFINED:
        return
    if isinstance(value, Mapping):
        result.update(value)
        return
    error = IMLRuntimeError(f"The spread key '{{{{...}}}}' needs a collection to merge, got {type_name(value)}.")
    error.json_path = path  # type: ignore[attr-defined]
    raise error


def _static_value(value: Any) -> Renderer:
    def static(context: Context) -> Value:
        return value

    return static


def _fresh_copy(value: Value) -> Value:
    """Copy nested lists and dicts; other values are immutable and are shared."""
    kind = type(value)
    if kind is dict:
        return {key: _fresh_copy(item) for key, item in value.items()}
    if kind is list:
        return [_fresh_copy(item) for item in value]
    if kind is bytearray:
        return bytes(value)
    return value
