r"""Splitting templates into text and `{{ ... }}` spans, and tokenizing expressions.

Template text has no escape sequences: a backslash in text outside `{{ }}` is kept as it is.
To write a literal `{{` in a template, put it in an expression: `{{'{{'}}`. An expression ends
at the first `}}` that is not inside a quoted string or a backtick name, so `'}}'` inside a
string literal is fine. A `{{` that is never closed is a syntax error that points at it.

Inside expressions:

- numbers are decimal: `12`, `0.5`, `1e3`, `2.5E-4`. A leading sign is the unary minus operator.
- strings use `'...'` or `"..."`. The escapes `\\`, `\'`, `\"`, `\n`, `\r`, `\t` and `\uXXXX`
  are decoded. Any other backslash is kept together with the character after it, so regular
  expressions such as `'/\d+/g'` and `'/\bword\b/'` reach the function unchanged.
- names are letters, digits, `_` and `$`, not starting with a digit. After a dot a name may start
  with a digit (`items.1`); a backtick name (`` .`Content-Type` ``) may hold any character but a
  backtick.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .errors import IMLSyntaxError
from .values import normalize_number

__all__ = ["Span", "Token", "split_template", "tokenize"]

NO_TERNARY = "IML has no ternary operator; use if(condition, a, b)."
NO_ARRAY_LITERAL = (
    "IML has no array literals; use emptyarray for an empty array, or parseJSON() with JSON text "
    "such as parseJSON('[1, 2]')."
)
NO_OBJECT_LITERAL = (
    "IML has no object literals; build the collection with parseJSON() from JSON text, "
    "for example parseJSON('{\"a\": 1}'), or start from emptyarray for a list."
)
SPREAD_ONLY_AS_KEY = (
    "'{{...}}' is the spread key; it is only valid as a key of an object whose value is the "
    "collection to merge."
)


@dataclass(frozen=True, slots=True)
class Span:
    """One `{{ ... }}` in a template: 0-based indexes of the `{{` and of the closing `}}`."""

    open: int
    close: int


@dataclass(frozen=True, slots=True)
class Token:
    """A token of an expression.

    `kind` is `number`, `string`, `name`, `quoted_name`, `op`, `punct` or `end`. `text` is the
    source text (the operator or punctuation for `op` and `punct`), `value` the decoded literal
    for numbers and strings or the name for names. `column` is 1-based in the template and `end`
    is the 1-based column just after the token.
    """

    kind: str
    text: str
    value: object
    column: int
    end: int


# Characters that matter while looking for the end of an expression.
_EXPRESSION_SCAN = re.compile(r"['\"`{}]")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_OPERATORS = (
    "===", "!==", "...", "==", "!=", "<=", ">=", "&&", "||", "++",
    "=", "!", "<", ">", "&", "|", "+", "-", "*", "/", "%",
)
_PUNCTUATION = frozenset("()[].,;")
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


def _fail(message: str, source: str, index: int) -> IMLSyntaxError:
    return IMLSyntaxError(message, template=source, column=index + 1)


def split_template(source: str) -> list[str | Span]:
    """Split a template into literal text pieces and expression spans, in order.

    Raises `IMLSyntaxError` for a `{{` that is never closed, a `{{` nested inside an expression,
    or a string literal that runs to the end of the template.
    """
    parts: list[str | Span] = []
    position = 0
    while True:
        opening = source.find("{{", position)
        if opening < 0:
            if position < len(source):
                parts.append(source[position:])
            return parts
        if opening > position:
            parts.append(source[position:opening])
        closing = _find_expression_end(source, opening)
        parts.append(Span(opening, closing))
        position = closing + 2


def _find_expression_end(source: str, opening: int) -> int:
    index = opening + 2
    while True:
        match = _EXPRESSION_SCAN.search(source, index)
        if match is None:
            raise _fail("'{{' is never closed; add '}}' after the expression.", source, opening)
        index = match.start()
        char = source[index]
        if char in "'\"`":
            index = _skip_quoted(source, index) + 1
        elif source.startswith("}}", index):
            return index
        elif source.startswith("{{", index):
            raise _fail(
                "'{{' cannot appear inside an expression; expressions do not nest, so write the "
                "inner expression without braces.",
                source,
                index,
            )
        else:
            index += 1


def _skip_quoted(source: str, start: int) -> int:
    """Return the index of the quote that closes the literal opened at `start`."""
    quote = source[start]
    index = start + 1
    length = len(source)
    while index < length:
        char = source[index]
        if char == "\\" and quote != "`":
            index += 2
            continue
        if char == quote:
            return index
        index += 1
    literal_kind = "name" if quote == "`" else "string"
    raise _fail(f"Unterminated {literal_kind} starting here; close it with {quote}.", source, start)


def tokenize(source: str, start: int, stop: int) -> list[Token]:
    """Tokenize the expression `source[start:stop]`, ending with an `end` token.

    Columns are counted in the whole `source`. Raises `IMLSyntaxError` for characters that no
    token starts with, naming the IML alternative for `?`, `{` and `...`.
    """
    tokens: list[Token] = []
    index = start
    while True:
        while index < stop and source[index].isspace():
            index += 1
        if index >= stop:
            tokens.append(Token("end", "", None, index + 1, index + 1))
            return tokens
        char = source[index]
        after_dot = bool(tokens) and tokens[-1].text == "." and tokens[-1].kind == "punct"

        if after_dot and (char.isalnum() or char in "_$"):
            end = _name_end(source, index, stop)
            text = source[index:end]
            tokens.append(Token("name", text, text, index + 1, end + 1))
        elif char.isdigit():
            tokens.append(_number(source, index, stop))
        elif char.isalpha() or char in "_$":
            end = _name_end(source, index, stop)
            text = source[index:end]
            tokens.append(Token("name", text, text, index + 1, end + 1))
        elif char in "'\"":
            tokens.append(_string(source, index, stop))
        elif char == "`":
            closing = source.find("`", index + 1, stop)
            if closing < 0:
                raise _fail("Unterminated name starting here; close it with `.", source, index)
            name = source[index + 1 : closing]
            tokens.append(Token("quoted_name", source[index : closing + 1], name, index + 1, closing + 2))
        elif char in _PUNCTUATION and not source.startswith("...", index):
            tokens.append(Token("punct", char, char, index + 1, index + 2))
        else:
            tokens.append(_operator(source, index, stop))
        index = tokens[-1].end - 1


def _name_end(source: str, index: int, stop: int) -> int:
    while index < stop and (source[index].isalnum() or source[index] in "_$"):
        index += 1
    return index


def _number(source: str, index: int, stop: int) -> Token:
    match = _NUMBER.match(source, index, stop)
    assert match is not None  # the caller saw a digit
    end = match.end()
    if end < stop and (source[end].isalnum() or source[end] in "_$"):
        bad_end = _name_end(source, end, stop)
        raise _fail(
            f"Invalid number '{source[index:bad_end]}'; a name cannot start with a digit. "
            "Write a number, or quote an odd property name with backticks after a dot.",
            source,
            index,
        )
    text = match.group()
    if "." in text or "e" in text or "E" in text:
        value: int | float = normalize_number(Decimal(text))
    else:
        value = normalize_number(int(text))
    return Token("number", text, value, index + 1, end + 1)


def _string(source: str, index: int, stop: int) -> Token:
    quote = source[index]
    pieces: list[str] = []
    position = index + 1
    while position < stop:
        char = source[position]
        if char == quote:
            text = source[index : position + 1]
            return Token("string", text, "".join(pieces), index + 1, position + 2)
        if char == "\\" and position + 1 < stop:
            escaped = source[position + 1]
            if escaped in _SIMPLE_ESCAPES:
                pieces.append(_SIMPLE_ESCAPES[escaped])
                position += 2
                continue
            digits = source[position + 2 : position + 6]
            if escaped == "u" and len(digits) == 4 and all(d in "0123456789abcdefABCDEF" for d in digits):
                pieces.append(chr(int(digits, 16)))
                position += 6
                continue
            pieces.append(char + escaped)
            position += 2
            continue
        pieces.append(char)
        position += 1
    raise _fail(f"Unterminated string starting here; close it with {quote}.", source, index)


def _operator(source: str, index: int, stop: int) -> Token:
    for operator in _OPERATORS:
        if source.startswith(operator, index) and index + len(operator) <= stop:
            if operator == "...":
                raise _fail(SPREAD_ONLY_AS_KEY, source, index)
            return Token("op", operator, operator, index + 1, index + 1 + len(operator))
    char = source[index]
    if char == "?":
        raise _fail(f"Unexpected character '?'. {NO_TERNARY}", source, index)
    if char == "{":
        raise _fail(f"Unexpected character '{{'. {NO_OBJECT_LITERAL}", source, index)
    raise _fail(f"Unexpected character {char!r}.", source, index)
