"""Parser of IML templates and expressions into the syntax tree of `nodes`.

Operators, from the highest precedence to the lowest: `!` and unary `-`; `* / %`; `+ - ++`;
`< <= > >=`; `== === = != !==`; `&& &`; `|| |`. Binary operators associate to the left.
IML has no ternary operator and no array or object literals; the errors for them name `if()`,
`emptyarray` and `parseJSON()`.

Dialects that published apps use are accepted and reported in the warnings: `;` between
arguments, a single `=` for equality, infix `and`/`or`, bracket access with a string
(`headers['Content-Type']`) and the undocumented numeric addition `++`. A hyphenated name
after a dot (`headers.content-type`) parses as a subtraction, as in JavaScript, and also gets a
warning, because the author usually meant the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import IMLSyntaxError
from .keywords import KEYWORDS, LITERAL_NAMES
from .lexer import NO_ARRAY_LITERAL, Span, Token, split_template, tokenize
from .limits import DEFAULT_LIMITS, ExpressionTooComplexError, Limits
from .nodes import (
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
    Segment,
    Unary,
    Variable,
)
from .values import is_number

__all__ = ["ParsedTemplate", "parse_expression", "parse_template"]

# Binary operators: token text -> (canonical operator, precedence). Higher binds tighter.
_BINARY: dict[str, tuple[str, int]] = {
    "||": ("or", 1),
    "|": ("or", 1),
    "&&": ("and", 2),
    "&": ("and", 2),
    "==": ("==", 3),
    "===": ("==", 3),
    "=": ("==", 3),
    "!=": ("!=", 3),
    "!==": ("!=", 3),
    "<": ("<", 4),
    "<=": ("<=", 4),
    ">": (">", 4),
    ">=": (">=", 4),
    "+": ("+", 5),
    "-": ("-", 5),
    "++": ("++", 5),
    "*": ("*", 6),
    "/": ("/", 6),
    "%": ("%", 6),
}
_WORD_OPERATORS: dict[str, tuple[str, int]] = {"or": ("or", 1), "and": ("and", 2)}


@dataclass(frozen=True, slots=True)
class ParsedTemplate:
    """A parsed template: literal text pieces and interpolations in order, plus dialect warnings."""

    source: str
    parts: tuple[str | Interpolation, ...]
    warnings: tuple[str, ...]


@dataclass(slots=True)
class _Warnings:
    """Dialect warnings of one template, at most one per kind (the first occurrence)."""

    kinds: set[str] = field(default_factory=set)
    messages: list[str] = field(default_factory=list)

    def add(self, kind: str, column: int, message: str) -> None:
        if kind not in self.kinds:
            self.kinds.add(kind)
            self.messages.append(f"Column {column}: {message}")


def parse_template(source: str, limits: Limits = DEFAULT_LIMITS) -> ParsedTemplate:
    """Parse a template string into text pieces and `{{ ... }}` interpolations.

    Raises `IMLSyntaxError` with the 1-based column of the problem, and
    `ExpressionTooComplexError` for a template longer than `limits.max_template_length` or an
    expression nested deeper than `limits.max_depth`.
    """
    if len(source) > limits.max_template_length:
        raise ExpressionTooComplexError(
            f"The template is {len(source)} characters long, more than the limit of "
            f"{limits.max_template_length} (Limits.max_template_length).",
            template=source[:200],
            column=1,
        )
    warnings = _Warnings()
    parts: list[str | Interpolation] = []
    for part in split_template(source):
        if isinstance(part, str):
            parts.append(part)
        else:
            parts.append(_parse_span(source, part, limits, warnings))
    return ParsedTemplate(source, tuple(parts), tuple(warnings.messages))


def parse_expression(source: str, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Parse a bare expression (the text that goes between `{{` and `}}`).

    Columns in errors count from 1 at the start of `source`. Warnings are discarded; use
    `parse_template` to get them.
    """
    tokens = tokenize(source, 0, len(source))
    if tokens[0].kind == "end":
        raise IMLSyntaxError("The expression is empty.", template=source, column=1)
    return _Parser(source, tokens, limits, _Warnings()).parse()


def _parse_span(source: str, span: Span, limits: Limits, warnings: _Warnings) -> Interpolation:
    start = span.open + 2
    tokens = tokenize(source, start, span.close)
    if tokens[0].kind == "end":
        raise IMLSyntaxError(
            "Empty expression; write an expression between '{{' and '}}'.",
            template=source,
            column=span.open + 1,
        )
    expression = _Parser(source, tokens, limits, warnings).parse()
    return Interpolation(expression, source[start : span.close], span.open + 1, span.close + 3)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "name":
        return f"name '{token.text}'"
    if token.kind == "number":
        return f"number {token.text}"
    if token.kind == "string":
        return f"string {token.text}"
    if token.kind == "quoted_name":
        return f"name {token.text}"
    return f"'{token.text}'"


class _Parser:
    """Precedence-climbing parser over the tokens of one expression.

    Every parse method returns the node and its height (1 for a leaf), so the depth limit is
    checked as the tree grows, before anything recurses on it. `_nesting` counts open
    parentheses, call argument lists and brackets, which is what the parser itself recurses on.
    """

    __slots__ = ("_nesting", "limits", "position", "source", "tokens", "warnings")

    def __init__(self, source: str, tokens: list[Token], limits: Limits, warnings: _Warnings) -> None:
        self.source = source
        self.tokens = tokens
        self.position = 0
        self.limits = limits
        self.warnings = warnings
        self._nesting = 0

    # --- helpers -----------------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def _peek(self, offset: int = 1) -> Token:
        index = min(self.position + offset, len(self.tokens) - 1)
        return self.tokens[index]

    def _advance(self) -> Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def _is_punct(self, text: str) -> bool:
        token = self.tokens[self.position]
        return token.kind == "punct" and token.text == text

    def _error(self, message: str, column: int) -> IMLSyntaxError:
        return IMLSyntaxError(message, template=self.source, column=column)

    def _height(self, height: int, column: int) -> int:
        if height > self.limits.max_depth:
            raise ExpressionTooComplexError(
                f"The expression is nested more than {self.limits.max_depth} levels deep "
                "(Limits.max_depth); split it into temp variables.",
                template=self.source,
                column=column,
            )
        return height

    def _enter(self, column: int) -> None:
        self._nesting += 1
        self._height(self._nesting, column)

    def _leave(self) -> None:
        self._nesting -= 1

    # --- grammar -----------------------------------------------------------------------------

    def parse(self) -> Node:
        node, _ = self._binary(1)
        token = self.current
        if token.kind != "end":
            if token.kind == "punct" and token.text == ")":
                raise self._error("Unexpected ')' without a matching '('.", token.column)
            raise self._error(
                f"Unexpected {_describe(token)}; expected an operator or the end of the expression.",
                token.column,
            )
        return node

    def _binary_operator(self) -> tuple[str, int] | None:
        token = self.current
        if token.kind == "op":
            return _BINARY.get(token.text)
        if token.kind == "name" and token.text in _WORD_OPERATORS:
            return _WORD_OPERATORS[token.text]
        return None

    def _binary(self, min_precedence: int) -> tuple[Node, int]:
        left, left_height = self._unary()
        # A run of operators of one precedence (`a + b - c + d`) is evaluated in a loop by the
        # compiler, so it counts as one level above its tallest operand, however long it is.
        chain_precedence = 0
        operands_height = left_height
        while True:
            operator = self._binary_operator()
            if operator is None or operator[1] < min_precedence:
                return left, left_height
            canonical, precedence = operator
            token = self._advance()
            self._note_dialect(token)
            right, right_height = self._binary(precedence + 1)
            if precedence != chain_precedence:
                chain_precedence = precedence
                operands_height = left_height
            operands_height = max(operands_height, right_height)
            left_height = self._height(operands_height + 1, token.column)
            if canonical in ("and", "or"):
                left = Logical(canonical, left, right, token.column)
            else:
                left = Binary(canonical, left, right, token.column)

    def _note_dialect(self, token: Token) -> None:
        text = token.text
        if token.kind == "name":
            symbol = "&&" if text == "and" else "||"
            self.warnings.add(
                text, token.column, f"infix '{text}' is a scenario-mapper dialect; custom apps write '{symbol}'."
            )
        elif text == "=":
            self.warnings.add(
                "=", token.column, "a single '=' for equality is a scenario-mapper dialect; custom apps write '=='."
            )
        elif text == "++":
            self.warnings.add(
                "++",
                token.column,
                "'++' (numeric addition) is not documented for custom apps; convert with parseNumber() "
                "and use '+'.",
            )
        elif text == "-":
            self._note_hyphenated_name(token)

    def _note_hyphenated_name(self, minus: Token) -> None:
        # `headers.content-type`: a name after a dot, '-' and a name, with no spaces between.
        before = self.tokens[self.position - 2] if self.position >= 2 else None
        dot = self.tokens[self.position - 3] if self.position >= 3 else None
        after = self.current
        if (
            before is not None
            and dot is not None
            and before.kind == "name"
            and dot.kind == "punct"
            and dot.text == "."
            and after.kind == "name"
            and before.end == minus.column
            and minus.end == after.column
        ):
            key = f"{before.text}-{after.text}"
            self.warnings.add(
                "hyphen",
                before.column,
                f"'{key}' reads as '{before.text} - {after.text}' (a subtraction); write .`{key}` "
                "to read a key that contains '-'.",
            )

    def _unary(self) -> tuple[Node, int]:
        operators: list[Token] = []
        while self.current.kind == "op" and self.current.text in ("!", "-"):
            operators.append(self._advance())
        node, height = self._postfix()
        for token in reversed(operators):
            if token.text == "-" and isinstance(node, Literal) and is_number(node.value):
                # Fold negative number literals, so `[-1]` is a constant index.
                node = Literal(-node.value, token.column)
                continue
            height = self._height(height + 1, token.column)
            node = Unary(token.text, node, token.column)
        return node, height

    def _postfix(self) -> tuple[Node, int]:
        base, height = self._primary()
        segments: list[Segment] = []
        while True:
            token = self.current
            if token.kind != "punct":
                break
            if token.text == ".":
                self._advance()
                segments.append(self._property(token))
            elif token.text == "[":
                self._advance()
                segment, segment_height = self._bracket(token)
                segments.append(segment)
                height = max(height, segment_height)
            elif token.text == "(":
                raise self._error(
                    "Only built-in functions can be called, by name, as in name(arguments); "
                    "this value cannot be called.",
                    token.column,
                )
            else:
                break
        if not segments:
            return base, height
        if isinstance(base, Path):
            return Path(base.base, base.segments + tuple(segments), base.column), height
        return Path(base, tuple(segments), base.column), self._height(height + 1, base.column)

    def _property(self, dot: Token) -> Key:
        token = self.current
        if token.kind not in ("name", "quoted_name"):
            raise self._error(
                f"Expected a property name after '.', found {_describe(token)}. "
                "Quote odd names with backticks: .`Content-Type`.",
                token.column,
            )
        self._advance()
        if self._is_punct("("):
            raise self._error(
                f"'.{token.value}(' calls a method, and IML has none; call the function with the value "
                f"as its first argument instead, as in {token.value}(value, ...).",
                token.column,
            )
        return Key(str(token.value), dot.column)

    def _bracket(self, opening: Token) -> tuple[Segment, int]:
        if self._is_punct("]"):
            self._advance()
            return First(opening.column), 0
        self._enter(opening.column)
        expression, height = self._binary(1)
        self._leave()
        token = self.current
        if token.kind == "punct" and token.text in (",", ";"):
            raise self._error(f"Unexpected '{token.text}' inside brackets. {NO_ARRAY_LITERAL}", token.column)
        if not self._is_punct("]"):
            raise self._error(
                f"Expected ']' to close the '[' opened at column {opening.column}, found {_describe(token)}.",
                token.column,
            )
        self._advance()
        if isinstance(expression, Literal):
            if isinstance(expression.value, str):
                self.warnings.add(
                    "bracket",
                    opening.column,
                    "bracket access with a string (['key']) is not portable; write .key, or .`key` "
                    "for odd names.",
                )
                return Key(expression.value, opening.column), 0
            if is_number(expression.value):
                return Index(expression.value, opening.column), 0
        return DynamicIndex(expression, opening.column), height

    def _primary(self) -> tuple[Node, int]:
        token = self.current
        kind = token.kind
        if kind == "number" or kind == "string":
            self._advance()
            return Literal(token.value, token.column), 1
        if kind == "name":
            self._advance()
            name = token.text
            if self._is_punct("("):
                return self._call(token)
            if name in LITERAL_NAMES:
                return Literal(LITERAL_NAMES[name], token.column), 1
            if name in KEYWORDS:
                return Keyword(name, token.column), 1
            return Variable(name, token.column), 1
        if kind == "quoted_name":
            self._advance()
            return Variable(str(token.value), token.column), 1
        if kind == "punct" and token.text == "(":
            self._advance()
            self._enter(token.column)
            node, height = self._binary(1)
            self._leave()
            if not self._is_punct(")"):
                raise self._error(
                    f"Expected ')' to close the '(' opened at column {token.column}, "
                    f"found {_describe(self.current)}.",
                    self.current.column,
                )
            self._advance()
            return node, height
        if kind == "punct" and token.text == "[":
            raise self._error(f"Unexpected '['. {NO_ARRAY_LITERAL}", token.column)
        if kind == "end":
            raise self._error("Expected a value (a name, number, string or '('), found the end of the expression.",
                              token.column)
        raise self._error(
            f"Unexpected {_describe(token)}; expected a value (a name, number, string or '(').", token.column
        )

    def _call(self, name: Token) -> tuple[Node, int]:
        if name.text in LITERAL_NAMES or name.text in KEYWORDS:
            raise self._error(f"'{name.text}' is a keyword, not a function, and cannot be called.", name.column)
        opening = self._advance()
        self._enter(opening.column)
        args: list[Node] = []
        height = 0
        if self._is_punct(")"):
            self._advance()
        else:
            while True:
                argument, argument_height = self._binary(1)
                args.append(argument)
                height = max(height, argument_height)
                token = self.current
                if token.kind == "punct" and token.text == ",":
                    self._advance()
                elif token.kind == "punct" and token.text == ";":
                    self.warnings.add(
                        ";",
                        token.column,
                        "';' between function arguments is a scenario-mapper dialect; custom apps write ','.",
                    )
                    self._advance()
                elif token.kind == "punct" and token.text == ")":
                    self._advance()
                    break
                else:
                    raise self._error(
                        f"Expected ')' to close the call of '{name.text}' opened at column {name.column}, "
                        f"found {_describe(token)}.",
                        token.column,
                    )
                if self._is_punct(")"):
                    raise self._error(
                        f"Expected an argument after the separator in the call of '{name.text}'.",
                        self.current.column,
                    )
        self._leave()
        return Call(name.text, tuple(args), name.column), self._height(height + 1, name.column)
