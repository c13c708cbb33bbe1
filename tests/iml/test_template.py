"""Templates and compiled JSON values: kinds of templates, rendering, spread keys, JSON paths, corpus."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import json5
import pytest

from imlconnect.iml import Context, compile_template, compile_value, is_spread_key
from imlconnect.iml.errors import IMLRuntimeError, IMLSyntaxError, UnknownFunctionError
from imlconnect.iml.functions.registry import FunctionDef, FunctionRegistry
from imlconnect.iml.nodes import Interpolation
from imlconnect.iml.values import UNDEFINED

Render = Callable[..., Any]
MakeContext = Callable[..., Context]

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
DATE = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


# --- kinds of templates -------------------------------------------------------------------------


def test_static_template(render: Render) -> None:
    template = compile_template("Bearer token")
    assert template.is_static is True
    assert template.single_expression is False
    assert template.root_names == frozenset()
    assert render("Bearer token") == "Bearer token"


def test_single_expression_typed(render: Render) -> None:
    template = compile_template("{{ body.items }}")
    assert template.single_expression is True
    assert template.is_static is False
    assert render("{{ body.items }}", {"body": {"items": [1, 2]}}) == [1, 2]


@pytest.mark.parametrize("source", [" {{a}}", "{{a}} ", "x{{a}}", "{{a}}{{a}}"])
def test_text_around_is_mixed(source: str) -> None:
    assert compile_template(source).single_expression is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "[]"),
        (UNDEFINED, "[]"),
        (True, "[true]"),
        (False, "[false]"),
        (200, "[200]"),
        (1.0, "[1]"),
        (0.5, "[0.5]"),
        (1e21, "[1e+21]"),
        (float("nan"), "[NaN]"),
        ("text", "[text]"),
        (DATE, "[2024-05-01T10:00:00.000Z]"),
        ([1, "a", None], "[1,a,]"),
        ({"a": 1}, "[{object}]"),
        (b"bin", "[bin]"),
    ],
)
def test_mixed_text_to_string(render: Render, value: object, expected: str) -> None:
    assert render("[{{value}}]", {"value": value}) == expected


def test_mixed_arithmetic_renders_js_number(render: Render) -> None:
    assert render("total {{0.1 + 0.2}}") == "total 0.3"


def test_mixed_text_prefix_only(render: Render) -> None:
    assert render("Bearer {{parameters.apiKey}}", {"parameters": {"apiKey": "k-1"}}) == "Bearer k-1"


def test_mixed_text_many_parts(render: Render) -> None:
    source = "[{{statusCode}}] {{body.error}} (code: {{body.code}})"
    assert render(source, {"statusCode": 400, "body": {"error": "bad", "code": 7}}) == "[400] bad (code: 7)"


def test_literal_braces_through_expression(render: Render) -> None:
    assert render("{{'{{'}}x{{'}}'}}") == "{{x}}"


def test_backslash_in_text_kept(render: Render) -> None:
    assert render("C:\\path\\{{name}}", {"name": "file"}) == "C:\\path\\file"


def test_compile_cached() -> None:
    assert compile_template("cache {{me}}") is compile_template("cache {{me}}")


def test_warnings_list_is_copy() -> None:
    template = compile_template("{{a = 1}}")
    template.warnings.append("changed")
    assert len(template.warnings) == 1


def test_parts_exposed() -> None:
    template = compile_template("a{{b}}")
    assert template.parts[0] == "a"
    assert isinstance(template.parts[1], Interpolation)


def test_compile_rejects_non_string() -> None:
    with pytest.raises(TypeError):
        compile_template(5)  # type: ignore[arg-type]


def test_runtime_error_names_template(render: Render) -> None:
    with pytest.raises(IMLRuntimeError) as caught:
        render("x {{brokeniml()}}")
    assert caught.value.template == "x {{brokeniml()}}"


# --- compile_value ------------------------------------------------------------------------------


def test_value_walks_structure(registry: FunctionRegistry, make_context: MakeContext) -> None:
    spec = {
        "url": "https://api.example.com/{{parameters.id}}",
        "method": "POST",
        "headers": {"Authorization": "Bearer {{parameters.key}}"},
        "body": {"count": 3, "flag": True, "none": None, "items": ["{{parameters.id}}", 2]},
    }
    compiled = compile_value(spec, path="communication", registry=registry)
    result = compiled.render(make_context({"parameters": {"id": 7, "key": "k"}}))
    assert result == {
        "url": "https://api.example.com/7",
        "method": "POST",
        "headers": {"Authorization": "Bearer k"},
        "body": {"count": 3, "flag": True, "none": None, "items": [7, 2]},
    }


def test_value_keeps_undefined(make_context: MakeContext) -> None:
    compiled = compile_value({"a": "{{parameters.missing}}", "b": ["{{missing}}"]})
    assert compiled.render(make_context({"parameters": {}})) == {"a": UNDEFINED, "b": [UNDEFINED]}


def test_value_renders_fresh_structures(make_context: MakeContext) -> None:
    compiled = compile_value({"static": {"list": [1]}, "copy": "{{body.items}}"})
    context = make_context({"body": {"items": [{"id": 1}]}})
    first = compiled.render(context)
    first["static"]["list"].append(2)
    first["copy"][0]["id"] = 99
    second = compiled.render(context)
    assert second["static"]["list"] == [1]
    assert second["copy"] == [{"id": 1}]
    assert context.variables["body"]["items"] == [{"id": 1}]


def test_value_templates_paths() -> None:
    spec = {
        "url": "{{a}}",
        "headers": {"X-Key": "{{b}}", "a.b": "{{c}}", "plain": "text"},
        "list": ["x", "{{d}}"],
        "{{key}}": 1,
    }
    compiled = compile_value(spec, path="communication")
    paths = [path for path, _ in compiled.templates()]
    assert paths == [
        "communication.url",
        "communication.headers.X-Key",
        'communication.headers["a.b"]',
        "communication.headers.plain",
        "communication.list[0]",
        "communication.list[1]",
        'communication["{{key}}"]',
    ]


def test_value_is_static() -> None:
    assert compile_value({"a": [1, "x"]}).is_static is True
    assert compile_value({"a": [1, "{{x}}"]}).is_static is False


def test_value_plain_string(make_context: MakeContext) -> None:
    assert compile_value("{{1 + 1}}", path="valid").render(make_context()) == 2


def test_dynamic_key(make_context: MakeContext) -> None:
    compiled = compile_value({"{{name}}": "{{value}}", "n{{index}}": 1})
    assert compiled.render(make_context({"name": "k", "value": [1], "index": 2})) == {"k": [1], "n2": 1}


@pytest.mark.parametrize("key", ["{{...}}", "{{ ... }}", "{{...  }}"])
def test_spread_key_forms(key: str) -> None:
    assert is_spread_key(key) is True


@pytest.mark.parametrize("key", ["{{..}}", "{{....}}", "x{{...}}", "{{...}}x", "..."])
def test_not_spread_keys(key: str) -> None:
    assert is_spread_key(key) is False


def test_spread_later_keys_win(make_context: MakeContext) -> None:
    spec = {"a": "literal", "{{...}}": "{{extra}}", "c": "last"}
    extra = {"a": "spread", "b": 2, "c": "spread"}
    result = compile_value(spec).render(make_context({"extra": extra}))
    assert result == {"a": "spread", "b": 2, "c": "last"}
    assert list(result) == ["a", "b", "c"]


def test_spread_does_not_mutate_source(make_context: MakeContext) -> None:
    extra = {"b": [1]}
    result = compile_value({"{{...}}": "{{extra}}"}).render(make_context({"extra": extra}))
    result["b"].append(2)
    assert extra == {"b": [1]}


def test_spread_of_object_literal(make_context: MakeContext) -> None:
    spec = {"x": 1, "{{...}}": {"x": "{{value}}", "y": 2}}
    assert compile_value(spec).render(make_context({"value": 5})) == {"x": 5, "y": 2}


@pytest.mark.parametrize("value", [None, UNDEFINED])
def test_spread_of_nothing(make_context: MakeContext, value: object) -> None:
    assert compile_value({"a": 1, "{{...}}": "{{extra}}"}).render(make_context({"extra": value})) == {"a": 1}


def test_spread_of_array_fails(make_context: MakeContext) -> None:
    compiled = compile_value({"{{...}}": "{{extra}}"}, path="communication.headers")
    with pytest.raises(IMLRuntimeError) as caught:
        compiled.render(make_context({"extra": [1]}))
    assert caught.value.json_path == 'communication.headers["{{...}}"]'  # type: ignore[attr-defined]
    assert "got array" in caught.value.message


@pytest.mark.parametrize("value", ["plain", ["{{a}}"], 5])
def test_spread_value_checked(value: object) -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        compile_value({"{{...}}": value}, path="body")
    assert caught.value.json_path == 'body["{{...}}"]'  # type: ignore[attr-defined]


def test_compile_error_json_path() -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        compile_value({"headers": {"Authorization": "Bearer {{parameters.key"}}, path="communication")
    assert caught.value.json_path == "communication.headers.Authorization"  # type: ignore[attr-defined]
    assert caught.value.column == 8


def test_compile_error_json_path_in_array() -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        compile_value([{"url": "ok"}, {"url": "ok"}, {"url": "{{a ? b : c}}"}], path="communication")
    assert caught.value.json_path == "communication[2].url"  # type: ignore[attr-defined]


def test_unknown_function_json_path() -> None:
    with pytest.raises(UnknownFunctionError) as caught:
        compile_value({"url": "{{nosuchfunction(1)}}"}, path="communication", registry=FunctionRegistry())
    assert caught.value.json_path == "communication.url"  # type: ignore[attr-defined]


def test_dynamic_key_error_json_path() -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        compile_value({"{{a b}}": 1}, path="temp")
    assert caught.value.json_path == 'temp["{{a b}}"]'  # type: ignore[attr-defined]


def test_render_error_json_path(registry: FunctionRegistry, make_context: MakeContext) -> None:
    compiled = compile_value({"body": {"list": ["{{brokeniml()}}"]}}, path="communication", registry=registry)
    with pytest.raises(IMLRuntimeError) as caught:
        compiled.render(make_context())
    assert caught.value.json_path == "communication.body.list[0]"  # type: ignore[attr-defined]
    assert caught.value.function == "brokeniml"


# --- corpus -------------------------------------------------------------------------------------


class _AnyFunction(FunctionRegistry):
    """A registry where every name is a function of any arity that returns undefined."""

    def get(self, name: str) -> FunctionDef | None:
        return FunctionDef(name, lambda call, *args: UNDEFINED)


def _corpus_specs() -> list[tuple[str, Any]]:
    specs = []
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.suffix not in (".json", ".imljson", ".jsonc") or path.name == "MANIFEST.json":
            continue
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except ValueError:
            data = json5.loads(text)
        specs.append((str(path.relative_to(CORPUS)), data))
    return specs


@pytest.fixture(scope="module")
def corpus_specs() -> list[tuple[str, Any]]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder not found at {CORPUS}")
    return _corpus_specs()


def test_corpus_compiles_and_renders(corpus_specs: list[tuple[str, Any]], make_context: MakeContext) -> None:
    registry = _AnyFunction()
    context = make_context(
        {
            "parameters": {"apiKey": "key", "baseUrl": "https://example.com"},
            "connection": {"apiKey": "key"},
            "common": {},
            "data": {},
            "temp": {},
            "body": {"message": "m", "error": {"message": "e"}, "list": [1]},
            "headers": {"content-type": "application/json"},
            "statusCode": 401,
            "oauth": {"scope": ["a"]},
            "query": {},
        }
    )
    template_count = 0
    for name, spec in corpus_specs:
        compiled = compile_value(spec, path=name, registry=registry)
        template_count += len([t for _, t in compiled.templates() if not t.is_static])
        compiled.render(context)
        for path, template in compiled.templates():
            if not template.is_static and not template.single_expression:
                assert isinstance(template.render(context), str), path
    assert template_count > 300


def test_corpus_dialects_warned(corpus_specs: list[tuple[str, Any]]) -> None:
    registry = _AnyFunction()
    warnings: list[str] = []
    for name, spec in corpus_specs:
        for _, template in compile_value(spec, path=name, registry=registry).templates():
            warnings.extend(template.warnings)
    text = "\n".join(warnings)
    assert "';' between function arguments" in text
    assert "a single '=' for equality" in text
    assert "infix 'and'" in text
    assert "bracket access with a string" in text
