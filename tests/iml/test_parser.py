"""Parsing: tree shapes, precedence, dialects with warnings, error messages and columns."""

from __future__ import annotations

import pytest

from imlconnect.iml.errors import IMLLimitError, IMLSyntaxError
from imlconnect.iml.limits import ExpressionTooComplexError, Limits
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
from imlconnect.iml.parser import parse_expression, parse_template
from imlconnect.iml.values import UNDEFINED


def shape(node: Node) -> object:
    """Reduce a node to nested tuples without columns, for compact expectations."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Variable):
        return node.name
    if isinstance(node, Keyword):
        return ("kw", node.name)
    if isinstance(node, Unary):
        return (node.op, shape(node.operand))
    if isinstance(node, (Binary, Logical)):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, Call):
        return ("call", node.name, *[shape(arg) for arg in node.args])
    if isinstance(node, Path):
        segments: list[object] = []
        for segment in node.segments:
            if isinstance(segment, Key):
                segments.append(segment.name)
            elif isinstance(segment, Index):
                segments.append(("index", segment.position))
            elif isinstance(segment, DynamicIndex):
                segments.append(("dynamic", shape(segment.expression)))
            elif isinstance(segment, First):
                segments.append(("first",))
        return ("path", shape(node.base), *segments)
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", ("+", 1, ("*", 2, 3))),
        ("(1 + 2) * 3", ("*", ("+", 1, 2), 3)),
        ("1 - 2 - 3", ("-", ("-", 1, 2), 3)),
        ("a / b % c", ("%", ("/", "a", "b"), "c")),
        ("a < b == c > d", ("==", ("<", "a", "b"), (">", "c", "d"))),
        ("a == b && c != d", ("and", ("==", "a", "b"), ("!=", "c", "d"))),
        ("a && b || c && d", ("or", ("and", "a", "b"), ("and", "c", "d"))),
        ("a || b && c", ("or", "a", ("and", "b", "c"))),
        ("!a == b", ("==", ("!", "a"), "b")),
        ("!(a == b)", ("!", ("==", "a", "b"))),
        ("-a * b", ("*", ("-", "a"), "b")),
        ("- -a", ("-", ("-", "a"))),
        ("!!a", ("!", ("!", "a"))),
        ("-5", -5),
        ("-1.5", -1.5),
        ("2 - -3", ("-", 2, -3)),
        ("a + b - c + d", ("+", ("-", ("+", "a", "b"), "c"), "d")),
        ("a & b | c", ("or", ("and", "a", "b"), "c")),
        ("a === b", ("==", "a", "b")),
        ("a !== b", ("!=", "a", "b")),
        ("a ++ b", ("++", "a", "b")),
    ],
)
def test_precedence(text: str, expected: object) -> None:
    assert shape(parse_expression(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("undefined", UNDEFINED),
        ("'x'", "x"),
        ("now", ("kw", "now")),
        ("emptyarray", ("kw", "emptyarray")),
        ("parameters", "parameters"),
        ("`odd name`", "odd name"),
        ("body.a.b", ("path", "body", "a", "b")),
        ("body.`X-Key`", ("path", "body", "X-Key")),
        ("body.items[1].id", ("path", "body", "items", ("index", 1), "id")),
        ("body.items[-1]", ("path", "body", "items", ("index", -1))),
        ("body.items[0]", ("path", "body", "items", ("index", 0))),
        ("body.items[]", ("path", "body", "items", ("first",))),
        ("body.data[].text[]", ("path", "body", "data", ("first",), "text", ("first",))),
        ("items[n + 1]", ("path", "items", ("dynamic", ("+", "n", 1)))),
        ("items[-n]", ("path", "items", ("dynamic", ("-", "n")))),
        ("items.1", ("path", "items", "1")),
        ("items.`1`", ("path", "items", "1")),
        ("body.now", ("path", "body", "now")),
        ("f(a).b", ("path", ("call", "f", "a"), "b")),
        ("(a.b).c", ("path", "a", "b", "c")),
        ("'abc'.length", ("path", "abc", "length")),
        ("f()", ("call", "f")),
        ("f(1, 'a', g(b))", ("call", "f", 1, "a", ("call", "g", "b"))),
        ("ifempty(a, if(b, c, d))", ("call", "ifempty", "a", ("call", "if", "b", "c", "d"))),
    ],
)
def test_primaries_and_paths(text: str, expected: object) -> None:
    assert shape(parse_expression(text)) == expected


def test_columns_of_nodes() -> None:
    parsed = parse_template("ab {{ f(x.y, 2) }}")
    interpolation = parsed.parts[1]
    assert isinstance(interpolation, Interpolation)
    call = interpolation.expression
    assert isinstance(call, Call)
    assert call.column == 7
    assert call.args[0].column == 9
    assert call.args[1].column == 14


def test_interpolation_span() -> None:
    parsed = parse_template("x{{ a }}y")
    interpolation = parsed.parts[1]
    assert isinstance(interpolation, Interpolation)
    assert (interpolation.start, interpolation.end, interpolation.source) == (2, 9, " a ")


def test_template_parts() -> None:
    parsed = parse_template("[{{statusCode}}] {{body.error}}")
    assert [part if isinstance(part, str) else shape(part.expression) for part in parsed.parts] == [
        "[",
        "statusCode",
        "] ",
        ("path", "body", "error"),
    ]


@pytest.mark.parametrize(
    ("source", "expected_shape", "warning"),
    [
        ("{{ifempty(a; b)}}", ("call", "ifempty", "a", "b"), "Column 12: ';' between function arguments"),
        ("{{statusCode = 200}}", ("==", "statusCode", 200), "Column 14: a single '=' for equality"),
        ("{{a >= 1 and a < 3}}", ("and", (">=", "a", 1), ("<", "a", 3)), "Column 10: infix 'and'"),
        ("{{a or b}}", ("or", "a", "b"), "Column 5: infix 'or'"),
        ("{{headers['Content-Type']}}", ("path", "headers", "Content-Type"), "Column 10: bracket access"),
        ('{{headers["X"]}}', ("path", "headers", "X"), "Column 10: bracket access"),
        ("{{a ++ b}}", ("++", "a", "b"), "Column 5: '++' (numeric addition)"),
        (
            "{{headers.content-type}}",
            ("-", ("path", "headers", "content"), "type"),
            "Column 11: 'content-type' reads as 'content - type'",
        ),
    ],
)
def test_dialect_warnings(source: str, expected_shape: object, warning: str) -> None:
    parsed = parse_template(source)
    interpolation = parsed.parts[0]
    assert isinstance(interpolation, Interpolation)
    assert shape(interpolation.expression) == expected_shape
    assert len(parsed.warnings) == 1
    assert parsed.warnings[0].startswith(warning)


@pytest.mark.parametrize(
    "source",
    ["{{a == b}}", "{{a && b || c}}", "{{headers.`content-type`}}", "{{a - b}}", "{{a.b - c}}", "{{f(a, b)}}"],
)
def test_portable_templates_have_no_warnings(source: str) -> None:
    assert parse_template(source).warnings == ()


def test_warning_once_per_kind() -> None:
    parsed = parse_template("{{f(a; b; c)}} {{g(d; e)}} {{x = 1}}")
    assert len(parsed.warnings) == 2
    assert parsed.warnings[0].startswith("Column 6: ';'")


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ("{{ifempty(a, b}}", 15, "Expected ')' to close the call of 'ifempty' opened at column 3, found the end"),
        ("{{a ? b : c}}", 5, "Unexpected character '?'. IML has no ternary operator; use if(condition, a, b)."),
        ("{{[1, 2]}}", 3, "Unexpected '['. IML has no array literals; use emptyarray"),
        ("{{a[1, 2]}}", 6, "Unexpected ',' inside brackets. IML has no array literals"),
        ("{{ {a: 1} }}", 4, "Unexpected character '{'. IML has no object literals; build the collection with parseJSON()"),
        ("{{body.list[}}", 13, "Expected a value"),
        ("{{body.list[1}}", 14, "Expected ']' to close the '[' opened at column 12"),
        ("{{(a + b}}", 9, "Expected ')' to close the '(' opened at column 3"),
        ("{{a)}}", 4, "Unexpected ')' without a matching '('"),
        ("{{a b}}", 5, "Unexpected name 'b'; expected an operator"),
        ("{{a 'x'}}", 5, "Unexpected string 'x'"),
        ("{{a +}}", 6, "Expected a value"),
        ("{{* a}}", 3, "Unexpected '*'"),
        ("{{a.}}", 5, "Expected a property name after '.'"),
        ("{{a.(b)}}", 5, "Expected a property name after '.'"),
        ("{{a.b(1)}}", 5, "'.b(' calls a method, and IML has none"),
        ("{{(a)(b)}}", 6, "Only built-in functions can be called"),
        ("{{f(a,)}}", 7, "Expected an argument after the separator in the call of 'f'"),
        ("{{f(,a)}}", 5, "Unexpected ','"),
        ("{{now()}}", 3, "'now' is a keyword, not a function"),
        ("{{true(1)}}", 3, "'true' is a keyword"),
        ("{{}}", 1, "Empty expression"),
        ("x {{   }}", 3, "Empty expression"),
        ("{{...}}", 3, "'{{...}}' is the spread key; it is only valid as a key of an object"),
        ("ok {{a", 4, "'{{' is never closed"),
        ("{{a +* b}}", 6, "Unexpected '*'"),
    ],
)
def test_syntax_errors(source: str, column: int, message: str) -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        parse_template(source)
    assert caught.value.column == column
    assert caught.value.message.startswith(message)
    assert caught.value.template == source


def test_caret_points_at_column() -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        parse_template("{{a ? b : c}}")
    assert caught.value.caret() == "{{a ? b : c}}\n    ^"


def test_error_string_has_column() -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        parse_template("{{a b}}")
    assert str(caught.value).endswith("(column 5)")


def test_parse_expression_rejects_empty() -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        parse_expression("   ")
    assert caught.value.column == 1


def test_depth_limit_on_parentheses() -> None:
    source = "{{" + "(" * 70 + "a" + ")" * 70 + "}}"
    with pytest.raises(ExpressionTooComplexError) as caught:
        parse_template(source)
    assert caught.value.column == 67
    assert "64 levels" in caught.value.message


def test_depth_limit_is_limit_and_syntax_error() -> None:
    source = "{{" + "f(" * 80 + "a" + ")" * 80 + "}}"
    with pytest.raises(IMLSyntaxError) as caught:
        parse_template(source)
    assert isinstance(caught.value, IMLLimitError)


def test_depth_limit_on_unary_run() -> None:
    with pytest.raises(ExpressionTooComplexError):
        parse_template("{{" + "!" * 70 + "a}}")


def test_depth_within_limit_parses() -> None:
    source = "{{" + "(" * 60 + "a" + ")" * 60 + "}}"
    interpolation = parse_template(source).parts[0]
    assert isinstance(interpolation, Interpolation)
    assert shape(interpolation.expression) == "a"


def test_long_operator_run_is_shallow() -> None:
    interpolation = parse_template("{{" + " + ".join(["a"] * 500) + "}}").parts[0]
    assert isinstance(interpolation, Interpolation)
    assert isinstance(interpolation.expression, Binary)


def test_long_path_is_flat() -> None:
    interpolation = parse_template("{{a" + ".b" * 300 + "}}").parts[0]
    assert isinstance(interpolation, Interpolation)
    assert isinstance(interpolation.expression, Path)
    assert len(interpolation.expression.segments) == 300


def test_custom_depth_limit() -> None:
    with pytest.raises(ExpressionTooComplexError):
        parse_template("{{((a))}}", Limits(max_depth=1))


def test_template_length_limit() -> None:
    with pytest.raises(ExpressionTooComplexError) as caught:
        parse_template("{{a}}" + "x" * 100, Limits(max_template_length=50))
    assert "Limits.max_template_length" in caught.value.message


def test_deep_nesting_never_recursion_error() -> None:
    for opener in ("(", "f(", "a[", "!", "-"):
        with pytest.raises(IMLSyntaxError):
            parse_template("{{" + opener * 5000 + "}}")
