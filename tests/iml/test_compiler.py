"""Evaluation of compiled expressions: access rules, keywords, operators, calls and limits."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from imlconnect.iml import Context, Limits, compile_template
from imlconnect.iml.errors import IMLLimitError, IMLRuntimeError, IMLSyntaxError, UnknownFunctionError
from imlconnect.iml.functions.registry import FunctionRegistry
from imlconnect.iml.values import UNDEFINED

Render = Callable[..., Any]
MakeContext = Callable[..., Context]

#: The clock of the `render` and `make_context` fixtures.
NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)

BODY = {
    "list": [{"n": "a", "v": 3}, {"n": "b", "v": 1}],
    "word": "Make",
    "price": 12.5,
    "nested": {"deep": {"value": 42}},
    "odd key": "spaced",
    "X-Rate": "10",
    "empty": [],
    "xml": [{"text": ["hello"]}],
    "zero": 0,
    "null": None,
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{body.list[2].n}}", "b"),
        ("{{body.list[1].v}}", 3),
        ("{{body.list[-1].n}}", "b"),
        ("{{body.list[-2].n}}", "a"),
        ("{{body.list[-3]}}", UNDEFINED),
        ("{{body.list[0]}}", UNDEFINED),
        ("{{body.list[3]}}", UNDEFINED),
        ("{{body.list[].n}}", "a"),
        ("{{body.list.`2`.n}}", "b"),
        ("{{body.list.2.n}}", "b"),
        ("{{body.list.n}}", UNDEFINED),
        ("{{body.list.length}}", 2),
        ("{{body.word.length}}", 4),
        ("{{body.word[]}}", "Make"),
        ("{{body.empty[]}}", UNDEFINED),
        ("{{body.xml[].text[]}}", "hello"),
        ("{{body.nested.deep.value}}", 42),
        ("{{body.nested.missing.value}}", UNDEFINED),
        ("{{body.missing}}", UNDEFINED),
        ("{{missing.a.b.c}}", UNDEFINED),
        ("{{missing}}", UNDEFINED),
        ("{{body.`odd key`}}", "spaced"),
        ("{{body.`X-Rate`}}", "10"),
        ("{{body['X-Rate']}}", "10"),
        ("{{body.null}}", None),
        ("{{body.null.x}}", UNDEFINED),
        ("{{body.zero.x}}", UNDEFINED),
        ("{{body.list[1 + 1].n}}", "b"),
        ("{{body.list[idx].n}}", "b"),
        ("{{body.list[-idx].n}}", "a"),
        ("{{body[key]}}", "Make"),
        ("{{body.list[1.5]}}", UNDEFINED),
        ("{{(body.list)[2].v}}", 1),
        ("{{echo(body.word).1}}", "Make"),
        ("{{echo(1, 2)[-1]}}", 2),
        ("{{'abc'.length}}", 3),
    ],
)
def test_access(render: Render, source: str, expected: object) -> None:
    assert render(source, {"body": BODY, "idx": 2, "key": "word"}) == expected


def test_access_returns_same_object(render: Render) -> None:
    nested = {"a": [1, 2]}
    assert render("{{body.a}}", {"body": nested}) is nested["a"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{1 + 2 * 3}}", 7),
        ("{{(1 + 2) * 3}}", 9),
        ("{{0.1 + 0.2}}", 0.3),
        ("{{body.price * 2}}", 25),
        ("{{10 / 4}}", 2.5),
        ("{{7 % 3}}", 1),
        ("{{'1' + 1}}", "11"),
        ("{{1 + '1'}}", "11"),
        ("{{null + 'x'}}", "x"),
        ("{{'n' + body.missing}}", "n"),
        ("{{'10' - 4}}", 6),
        ("{{'[' + status + '] ' + body.word}}", "[404] Make"),
        ("{{1 - 2 + 3 - 4}}", -2),
        ("{{-body.price}}", -12.5),
        ("{{- -2}}", 2),
        ("{{!body.missing}}", True),
        ("{{!body.word}}", False),
        ("{{!!body.zero}}", False),
        ("{{status == '404'}}", True),
        ("{{status === 404}}", True),
        ("{{status = 404}}", True),
        ("{{status != 404}}", False),
        ("{{status !== '404'}}", False),
        ("{{status >= 400 && status < 500}}", True),
        ("{{status >= 400 and status < 500}}", True),
        ("{{status < 300 || status > 500}}", False),
        ("{{status < 300 or body.word}}", "Make"),
        ("{{body.word && body.price}}", 12.5),
        ("{{body.zero && body.price}}", 0),
        ("{{body.missing || 'fallback'}}", "fallback"),
        ("{{body.zero | 5}}", 5),
        ("{{body.word & 1}}", 1),
        ("{{'' || null || 0}}", 0),
        ("{{1 && 2 && 3}}", 3),
        ("{{1 && 0 && 3}}", 0),
        ("{{0 || '' || 'x' || 'y'}}", "x"),
        ("{{1 / 0}}", math.inf),
        ("{{-1 / 0}}", -math.inf),
        ("{{'2' ++ '3'}}", 5),
        ("{{1 < 2 == true}}", True),
        ("{{'b' > 'a'}}", True),
        ("{{undefined == null}}", True),
        ("{{undefined}}", UNDEFINED),
        ("{{null}}", None),
        ("{{1e3}}", 1000),
    ],
)
def test_operators(render: Render, source: str, expected: object) -> None:
    result = render(source, {"body": BODY, "status": 404})
    assert result == expected
    assert type(result) is type(expected)


def test_nan_result(render: Render) -> None:
    assert math.isnan(render("{{0 / 0}}"))


def test_and_is_lazy(render: Render) -> None:
    assert render("{{false && brokeniml()}}") is False


def test_or_is_lazy(render: Render) -> None:
    assert render("{{'x' || brokeniml()}}") == "x"


def test_long_chains_evaluate(render: Render) -> None:
    assert render("{{" + " + ".join(["1"] * 400) + "}}") == 400
    assert render("{{" + " && ".join(["1"] * 300) + " && 'end'}}") == "end"
    assert render("{{" + " || ".join(["0"] * 300) + " || 'end'}}") == "end"


def test_date_comparisons(render: Render) -> None:
    variables = {"data": {"expires": "2024-05-01T10:10:00.000Z"}, "stored": datetime(2024, 5, 1, 9, tzinfo=UTC)}
    assert render("{{data.expires < now}}", variables) is False
    assert render("{{stored < now}}", variables) is True
    assert render("{{stored == '2024-05-01T09:00:00.000Z'}}", variables) is True
    assert render("{{now - stored}}", variables) == 3_600_000


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{now}}", NOW),
        ("{{timestamp}}", 1714557600),
        ("{{emptyarray}}", []),
        ("{{emptystring}}", ""),
        ("{{space}}", " "),
        ("{{tab}}", "\t"),
        ("{{newline}}", "\n"),
        ("{{nbsp}}", "\u00a0"),
        ("{{carriagereturn}}", "\r"),
        ("{{pi}}", math.pi),
        ("{{erase}}", None),
        ("{{ignore}}", UNDEFINED),
        ("a{{space}}b", "a b"),
    ],
)
def test_keywords(render: Render, source: str, expected: object) -> None:
    assert render(source) == expected


def test_keyword_wins_over_variable(render: Render) -> None:
    assert render("{{now}}", {"now": "shadow"}) == NOW


def test_keyword_is_key_after_dot(render: Render) -> None:
    assert render("{{body.now}}", {"body": {"now": "value"}}) == "value"


def test_keywords_not_root_names(registry: FunctionRegistry) -> None:
    template = compile_template("{{now}} {{uuid}} {{parameters.a}}", registry=registry)
    assert template.root_names == frozenset({"parameters"})


def test_uuid_fresh_each_use(render: Render) -> None:
    first, second = render("{{uuid}} {{uuid}}").split(" ")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert first != second


def test_emptyarray_fresh_each_render(render: Render, registry: FunctionRegistry, make_context: MakeContext) -> None:
    template = compile_template("{{emptyarray}}", registry=registry)
    context = make_context()
    first = template.render(context)
    first.append(1)
    assert template.render(context) == []


def test_random_seeded(registry: FunctionRegistry, make_context: MakeContext) -> None:
    template = compile_template("{{random}}", registry=registry)
    first = template.render(make_context(rng=random.Random(7)))
    second = template.render(make_context(rng=random.Random(7)))
    assert first == second
    assert 0 <= first < 1


def test_timestamp_matches_now() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert compile_template("{{timestamp}}").render(Context({}, now=moment)) == int(moment.timestamp())


def test_now_fixed_across_contexts() -> None:
    context = Context({})
    child = context.with_variables(body={})
    template = compile_template("{{now}}")
    assert template.render(context) == template.render(child)


# --- function calls -----------------------------------------------------------------------------


def test_call_passes_call_context(render: Render) -> None:
    assert render("{{callname()}}", timezone="Europe/Prague") == "callname|Europe/Prague|2024-05-01T10:00:00+00:00"


def test_lazy_function_skips_branch(render: Render) -> None:
    assert render("{{if(true, 'yes', brokeniml())}}") == "yes"
    assert render("{{ifempty(body.word, brokeniml())}}", {"body": BODY}) == "Make"


def test_lazy_function_with_three_arguments(render: Render) -> None:
    assert render("{{ifempty(a, b, 'c')}}", {"a": "", "b": None}) == "c"


def test_eager_arguments_in_order(render: Render) -> None:
    assert render("{{echo(1, 'a', null, body.missing)}}", {"body": {}}) == [1, "a", None, UNDEFINED]


def test_nested_calls(render: Render) -> None:
    assert render("{{upper(ifempty(body.missing, join(echo('a', 'b'), '-')))}}", {"body": {}}) == "A-B"


def test_unknown_function_suggests_close_name(registry: FunctionRegistry) -> None:
    with pytest.raises(UnknownFunctionError) as caught:
        compile_template("x {{ifemty(a, b)}}", registry=registry)
    assert caught.value.name == "ifemty"
    assert caught.value.suggestion == "ifempty"
    assert caught.value.column == 5
    assert "Did you mean 'ifempty'?" in caught.value.message


def test_unknown_function_case_suggestion(registry: FunctionRegistry) -> None:
    with pytest.raises(UnknownFunctionError) as caught:
        compile_template("{{IfEmpty(a, b)}}", registry=registry)
    assert caught.value.suggestion == "ifempty"


def test_unknown_function_custom_message(registry: FunctionRegistry) -> None:
    with pytest.raises(UnknownFunctionError) as caught:
        compile_template("{{getApiURL(connection.token)}}", registry=registry)
    assert caught.value.suggestion is None
    assert "Custom IML functions" in caught.value.message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{upper()}}", "Function 'upper' takes 1 argument, but the call passes 0."),
        ("{{upper(1, 2)}}", "Function 'upper' takes 1 argument, but the call passes 2."),
        ("{{if(1)}}", "Function 'if' takes 2 to 3 arguments, but the call passes 1."),
        ("{{ifempty(1)}}", "Function 'ifempty' takes at least 2 arguments, but the call passes 1."),
        ("{{callname(1)}}", "Function 'callname' takes 0 arguments, but the call passes 1."),
    ],
)
def test_arity_checked_at_compile(source: str, message: str, registry: FunctionRegistry) -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        compile_template(source, registry=registry)
    assert caught.value.message == message
    assert caught.value.column == 3


def test_python_exception_wrapped(render: Render) -> None:
    with pytest.raises(IMLRuntimeError) as caught:
        render("{{brokenpython(parameters.password)}}", {"parameters": {"password": "hunter2"}})
    assert caught.value.function == "brokenpython"
    assert "arguments of types (text)" in caught.value.message
    assert "ValueError" in caught.value.message
    assert "hunter2" not in str(caught.value)


def test_runtime_error_keeps_message(render: Render) -> None:
    with pytest.raises(IMLRuntimeError) as caught:
        render("{{brokeniml()}}")
    assert caught.value.message == "the value is not a date"
    assert caught.value.function == "brokeniml"
    assert caught.value.template == "{{brokeniml()}}"


def test_inner_function_named_in_error(render: Render) -> None:
    with pytest.raises(IMLRuntimeError) as caught:
        render("{{ifempty(null, upper(brokenpython(1)))}}")
    assert caught.value.function == "brokenpython"


def test_recursion_in_function_is_limit_error(render: Render) -> None:
    with pytest.raises(IMLLimitError) as caught:
        render("{{recurse()}}")
    assert caught.value.function == "recurse"


def test_function_names_collected(registry: FunctionRegistry) -> None:
    template = compile_template("{{ifempty(upper(a), join(b))}}", registry=registry)
    assert template.function_names == frozenset({"ifempty", "upper", "join"})
    assert template.root_names == frozenset({"a", "b"})


def test_registry_resolved_at_compile_time(make_context: MakeContext) -> None:
    registry = FunctionRegistry()

    @registry.register("twice", min_args=1, max_args=1)
    def twice(call: Any, value: Any) -> Any:
        return value * 2

    template = compile_template("{{twice(21)}}", registry=registry)
    assert template.render(make_context()) == 42


def test_same_text_other_registry_compiles_again(registry: FunctionRegistry, make_context: MakeContext) -> None:
    with pytest.raises(UnknownFunctionError):
        compile_template("{{upper('a')}}", registry=FunctionRegistry())
    assert compile_template("{{upper('a')}}", registry=registry).render(make_context()) == "A"


# --- limits -------------------------------------------------------------------------------------


def test_function_string_limit(registry: FunctionRegistry, make_context: MakeContext) -> None:
    context = make_context(limits=Limits(max_string_length=100))
    with pytest.raises(IMLLimitError) as caught:
        compile_template("{{repeat('ab', 60)}}", registry=registry).render(context)
    assert "Limits.max_string_length" in caught.value.message
    assert caught.value.function == "repeat"


def test_function_array_limit(registry: FunctionRegistry, make_context: MakeContext) -> None:
    context = make_context(limits=Limits(max_array_length=10))
    with pytest.raises(IMLLimitError) as caught:
        compile_template("{{items(11)}}", registry=registry).render(context)
    assert "Limits.max_array_length" in caught.value.message


def test_concatenation_limit(make_context: MakeContext) -> None:
    context = make_context({"a": "x" * 60}, limits=Limits(max_string_length=100))
    with pytest.raises(IMLLimitError):
        compile_template("{{a + a}}").render(context)


def test_concatenation_chain_limit(make_context: MakeContext) -> None:
    context = make_context({"a": "x" * 40}, limits=Limits(max_string_length=100))
    with pytest.raises(IMLLimitError):
        compile_template("{{a + a + a}}").render(context)


def test_mixed_text_limit(make_context: MakeContext) -> None:
    context = make_context({"a": "x" * 60}, limits=Limits(max_string_length=100))
    with pytest.raises(IMLLimitError):
        compile_template("{{a}}{{a}}").render(context)


def test_deep_value_render_is_limit_error(make_context: MakeContext) -> None:
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(IMLLimitError):
        compile_template("x {{value}}").render(make_context({"value": deep}))


def test_limits_validation() -> None:
    with pytest.raises(ValueError):
        Limits(max_depth=0)


# --- context ------------------------------------------------------------------------------------


def test_with_variables_adds_and_replaces(make_context: MakeContext) -> None:
    context = make_context({"a": 1, "b": 2})
    child = context.with_variables(b=3, c=4)
    assert child.variables == {"a": 1, "b": 3, "c": 4}
    assert context.variables == {"a": 1, "b": 2}
    assert child.now == context.now


def test_context_copies_variables(make_context: MakeContext) -> None:
    variables = {"a": 1}
    context = make_context(variables)
    variables["a"] = 2
    assert context.variables["a"] == 1


def test_context_naive_now_is_utc() -> None:
    context = Context({}, now=datetime(2024, 5, 1, 10, 0, 0, 123456))
    assert context.now == datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)


def test_context_timezone_case_insensitive() -> None:
    assert Context({}, timezone="europe/prague").tzinfo.key == "Europe/Prague"


def test_context_unknown_timezone() -> None:
    from imlconnect.errors import UsageError

    with pytest.raises(UsageError) as caught:
        Context({}, timezone="Mars/Olympus")
    assert "Mars/Olympus" in str(caught.value)


def test_call_context_cached_per_name(make_context: MakeContext) -> None:
    context = make_context()
    assert context.call_context("upper") is context.call_context("upper")
    assert context.call_context("upper").context is context
