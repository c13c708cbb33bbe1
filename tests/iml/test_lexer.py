"""Template splitting and tokenizing."""

from __future__ import annotations

import pytest

from imlconnect.iml.errors import IMLSyntaxError
from imlconnect.iml.lexer import Span, split_template, tokenize


def expression_tokens(text: str) -> list[tuple[str, object]]:
    return [(token.kind, token.value) for token in tokenize(text, 0, len(text))]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("plain", ["plain"]),
        ("", []),
        ("{{a}}", [Span(0, 3)]),
        ("x{{a}}y", ["x", Span(1, 4), "y"]),
        ("{{a}}{{b}}", [Span(0, 3), Span(5, 8)]),
        ("{{ '}}' }}", [Span(0, 8)]),
        ("{{ \"{{\" }}", [Span(0, 8)]),
        ("{{ `a}}b` }}", [Span(0, 10)]),
        ("{{ 'it\\'s}}' }}", [Span(0, 13)]),
        ("a }} b", ["a }} b"]),
        ("{{x}}}", [Span(0, 3), "}"]),
        ("path\\{{x}}", ["path\\", Span(5, 8)]),
    ],
)
def test_split_template(source: str, expected: list[object]) -> None:
    assert split_template(source) == expected


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("abc {{x", 5, "never closed"),
        ("{{a}} and {{b", 11, "never closed"),
        ("{{ a {{ b }} }}", 6, "cannot appear inside an expression"),
        ("{{ 'open }}", 4, "Unterminated string"),
        ("{{ `open }}", 4, "Unterminated name"),
    ],
)
def test_split_errors(source: str, column: int, fragment: str) -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        split_template(source)
    assert caught.value.column == column
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("0", 0),
        ("007", 7),
        ("1.5", 1.5),
        ("2.0", 2),
        ("1e3", 1000),
        ("2.5E-1", 0.25),
        ("9007199254740993", 9007199254740992.0),
    ],
)
def test_number_tokens(text: str, value: object) -> None:
    token = tokenize(text, 0, len(text))[0]
    assert token.kind == "number"
    assert token.value == value
    assert type(token.value) is type(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'abc'", "abc"),
        ('"abc"', "abc"),
        ("''", ""),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'a\\nb'", "a\nb"),
        ("'a\\tb\\rc'", "a\tb\rc"),
        ("'back\\\\slash'", "back\\slash"),
        ("'\\u00e9'", "\u00e9"),
        ("'/\\d+/g'", "/\\d+/g"),
        ("'\\bword\\b'", "\\bword\\b"),
        ("'\\u12'", "\\u12"),
        ("'line\nbreak'", "line\nbreak"),
        ("'\"'", '"'),
    ],
)
def test_string_tokens(text: str, value: str) -> None:
    token = tokenize(text, 0, len(text))[0]
    assert token.kind == "string"
    assert token.value == value


def test_names_after_dot_may_start_with_digit() -> None:
    assert expression_tokens("items.1.2fa") == [
        ("name", "items"),
        ("punct", "."),
        ("name", "1"),
        ("punct", "."),
        ("name", "2fa"),
        ("end", None),
    ]


def test_backtick_name() -> None:
    assert expression_tokens("headers.`X-Rate Limit`") == [
        ("name", "headers"),
        ("punct", "."),
        ("quoted_name", "X-Rate Limit"),
        ("end", None),
    ]


def test_operators_longest_match() -> None:
    values = [value for kind, value in expression_tokens("a === b !== c == d != e <= f >= g && h || i ++ j")]
    assert values == ["a", "===", "b", "!==", "c", "==", "d", "!=", "e", "<=", "f", ">=", "g", "&&", "h", "||", "i",
                      "++", "j", None]


def test_single_character_operators() -> None:
    values = [value for kind, value in expression_tokens("a=b&c|d<e>f+g-h*i/j%k!l")]
    assert values == ["a", "=", "b", "&", "c", "|", "d", "<", "e", ">", "f", "+", "g", "-", "h", "*", "i", "/", "j",
                      "%", "k", "!", "l", None]


def test_columns_count_in_template() -> None:
    source = "ab {{ foo + 'x' }}"
    tokens = tokenize(source, 5, 16)
    assert [(token.text, token.column, token.end) for token in tokens] == [
        ("foo", 7, 10),
        ("+", 11, 12),
        ("'x'", 13, 16),
        ("", 17, 17),
    ]


def test_unicode_names() -> None:
    assert expression_tokens("données.clé")[0] == ("name", "données")


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("a ? b : c", 3, "no ternary operator; use if(condition, a, b)"),
        ("{a: 1}", 1, "parseJSON()"),
        ("a # b", 3, "Unexpected character '#'"),
        ("3px", 1, "Invalid number '3px'"),
        ("...", 1, "spread key"),
        ("'abc", 1, "Unterminated string"),
        ("a.`abc", 3, "Unterminated name"),
        ("a @ b", 3, "Unexpected character '@'"),
    ],
)
def test_tokenize_errors(text: str, column: int, fragment: str) -> None:
    with pytest.raises(IMLSyntaxError) as caught:
        tokenize(text, 0, len(text))
    assert caught.value.column == column
    assert fragment in caught.value.message
