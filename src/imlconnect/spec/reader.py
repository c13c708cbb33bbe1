"""Reading IMLJSON: JSON with comments and trailing commas, with the position of every value.

IMLJSON files are parsed with the `json-five` package, whose model nodes carry line and column
numbers. `parse_imljson` turns the model into plain Python values (dict, list, str, int, float,
bool, None). It also records where the key and the value of every JSON path start in the file, so
a later problem can name the file, line and column.

JSON paths use dots between keys and 0-based `[n]` for array items: `communication[1].url`,
`communication.headers.Authorization`. A key that is not made of letters, digits, `_`, `-` and
`$` is written in brackets as a JSON string: `communication.body["a.b"]`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import json5
from json5 import model as json5_model
from json5.loader import ModelLoader
from json5.tokenizer import tokenize

from ..errors import Problem, SpecError

logger = logging.getLogger(__name__)

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$-]+")


def join_path(parent: str, key: str) -> str:
    """Return the JSON path of member `key` of the object at `parent`."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def index_path(parent: str, index: int) -> str:
    """Return the JSON path of item `index` (0-based) of the array at `parent`."""
    return f"{parent}[{index}]"


@dataclass(frozen=True)
class Position:
    """A place in a text file: 1-based line and column."""

    line: int
    column: int


@dataclass
class Document:
    """One parsed IMLJSON file: its plain value and the position of every key and value.

    `root_path` is the JSON path of the file's root value (`communication` for a communication
    file, empty for a bundle file). `warnings` contains reader findings such as duplicate keys.
    """

    file: str | None
    text: str
    value: Any
    root_path: str = ""
    value_positions: dict[str, Position] = field(default_factory=dict)
    key_positions: dict[str, Position] = field(default_factory=dict)
    raw_strings: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def position(self, path: str, *, key: bool = False) -> Position | None:
        """Return where the value (or, with `key`, the key) at `path` starts.

        When `path` is unknown, the position of its nearest known ancestor is returned, so a
        problem about a value that is missing still points into the right object.
        """
        table = self.key_positions if key else self.value_positions
        found = table.get(path)
        if found is not None:
            return found
        if key:
            found = self.value_positions.get(path)
            if found is not None:
                return found
        current = path
        while current:
            current = _parent_path(current)
            found = self.value_positions.get(current)
            if found is not None:
                return found
        return self.value_positions.get(self.root_path)

    def template_position(self, path: str, column: int | None) -> Position | None:
        """Return the file position of 1-based `column` inside the string value at `path`.

        The column counts characters of the decoded string (the IML template). Escape sequences
        such as `\\"` or `\\u00e9` take more characters in the file, and the result accounts for them.
        """
        start = self.value_positions.get(path)
        raw = self.raw_strings.get(path)
        if start is None or raw is None or column is None:
            return self.position(path)
        offset = _raw_offset(raw, max(column - 1, 0))
        consumed = raw[: 1 + offset]  # 1 for the opening quote
        newlines = consumed.count("\n")
        if newlines:
            return Position(start.line + newlines, len(consumed) - consumed.rfind("\n"))
        return Position(start.line, start.column + len(consumed))

    def problem(
        self,
        path: str,
        message: str,
        *,
        severity: Literal["error", "warning"] = "error",
        key: bool = False,
        at: Position | None = None,
    ) -> Problem:
        """Build a Problem about `path` located in this file (at the key with `key`)."""
        where = at if at is not None else self.position(path, key=key)
        return Problem(
            path=path,
            message=message,
            file=self.file,
            line=where.line if where else None,
            column=where.column if where else None,
            severity=severity,
        )


def read_imljson(path: Path, *, root_path: str = "", sensitive: bool = False) -> Document:
    """Read and parse the IMLJSON file at `path`.

    With `sensitive` (files of secret values, such as common data), syntax error messages and
    logs do not quote the text near the error.

    Raises SpecError (with one located problem) when the file cannot be read, is empty or is not
    valid IMLJSON.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = Problem(
            path=root_path,
            message=f"Invalid file: it is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8.",
            file=str(path),
        )
        raise SpecError(f"{path}: {problem.message}", [problem]) from exc
    except OSError as exc:
        problem = Problem(path=root_path, message=f"Cannot read the file: {exc.strerror}.", file=str(path))
        raise SpecError(f"{path}: {problem.message}", [problem]) from exc
    return parse_imljson(text, file=str(path), root_path=root_path, sensitive=sensitive)


def parse_imljson(
    text: str, *, file: str | None = None, root_path: str = "", sensitive: bool = False
) -> Document:
    """Parse IMLJSON text into a Document.

    `//` and `/* */` comments and trailing commas are allowed, and so is the rest of JSON5
    (single quotes, unquoted keys), because json-five accepts it. A text that contains only comments
    parses to `{}` with a warning. An empty text, or one with only whitespace, is an error.
    A duplicate key keeps its last value and adds a warning. Raises SpecError with one problem
    that names the line and column of the syntax error.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        problem = Problem(
            path=root_path,
            message="Invalid JSON: the file is empty; write a JSON object or array.",
            file=file,
            line=1,
            column=1,
        )
        raise SpecError(_describe_failure(file, problem), [problem])

    try:
        model = json5.loads(text, loader=ModelLoader())
    except json5.JSON5DecodeError as exc:
        if _only_comments(text):
            document = Document(file=file, text=text, value={}, root_path=root_path)
            document.value_positions[root_path] = Position(1, 1)
            document.warnings.append(
                document.problem(
                    root_path,
                    "The file contains only comments; it is read as an empty object.",
                    severity="warning",
                )
            )
            return document
        problem = _syntax_problem(exc, text, file, root_path, sensitive=sensitive)
        raise SpecError(_describe_failure(file, problem), [problem]) from None

    document = Document(file=file, text=text, value=None, root_path=root_path)
    document.value = _convert(model.value, root_path, document)
    return document


def _describe_failure(file: str | None, problem: Problem) -> str:
    where = f"{file}:{problem.line}:{problem.column}: " if file else f"line {problem.line}: "
    return f"{where}{problem.message}"


# --- model to plain values ------------------------------------------------------------------


def _node_position(node: json5_model.Node) -> Position:
    # json-five reports 1-based lines and 0-based columns.
    return Position(node.lineno or 1, (node.col_offset or 0) + 1)


def _convert(node: json5_model.Node, path: str, document: Document) -> Any:
    document.value_positions[path] = _node_position(node)

    if isinstance(node, json5_model.JSONObject):
        result: dict[str, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            key = _key_text(key_node)
            child_path = join_path(path, key)
            if key in result:
                _forget_subtree(document, child_path)
                del result[key]  # re-insert so the order follows the last occurrence
                document.key_positions[child_path] = _node_position(key_node)
                document.warnings.append(
                    document.problem(
                        child_path,
                        f'Duplicate key "{key}"; the last value is used. Remove the earlier one.',
                        severity="warning",
                        key=True,
                    )
                )
            document.key_positions[child_path] = _node_position(key_node)
            result[key] = _convert(value_node, child_path, document)
        return result

    if isinstance(node, json5_model.JSONArray):
        return [_convert(item, index_path(path, i), document) for i, item in enumerate(node.values)]

    if isinstance(node, json5_model.String):
        document.raw_strings[path] = node.raw_value
        return node.characters

    if isinstance(node, json5_model.BooleanLiteral):
        return node.value
    if isinstance(node, json5_model.NullLiteral):
        return None
    if isinstance(node, (json5_model.Integer, json5_model.Float, json5_model.Infinity, json5_model.NaN)):
        return node.value
    if isinstance(node, json5_model.UnaryOp):
        number = _convert(node.value, path, document)
        return -number if node.op == "-" else number

    raise TypeError(f"unexpected json-five node {type(node).__name__} at {path or '(root)'}")


def _key_text(node: json5_model.Node) -> str:
    if isinstance(node, json5_model.Identifier):
        return node.name
    if isinstance(node, json5_model.String):
        return node.characters
    raise TypeError(f"unexpected json-five key node {type(node).__name__}")


def _forget_subtree(document: Document, path: str) -> None:
    prefixes = (path + ".", path + "[")
    for table in (document.value_positions, document.key_positions, document.raw_strings):
        for known in [p for p in table if p == path or p.startswith(prefixes)]:
            del table[known]


def _parent_path(path: str) -> str:
    """Return the JSON path one level up (`a.b[2]` -> `a.b`, `a["x.y"]` -> `a`)."""
    if path.endswith('"]'):
        # A bracketed key is a JSON string that may itself contain `["`, so take the
        # shortest suffix that decodes as one.
        start = path.rfind('["')
        while start > 0:
            try:
                json.loads(path[start + 1 : -1])
                break
            except ValueError:
                start = path.rfind('["', 0, start)
        return path[: max(start, 0)]
    if path.endswith("]"):
        return path[: path.rfind("[")]
    dot = path.rfind(".")
    return path[:dot] if dot >= 0 else ""


_ESCAPE_LENGTHS = {"u": 6, "x": 4}


def _raw_offset(raw: str, char_index: int) -> int:
    """Return how many characters of `raw` (without the opening quote) encode the first
    `char_index` characters of the decoded string."""
    body = raw[1:]
    position = 0
    decoded = 0
    while decoded < char_index and position < len(body):
        if body[position] == "\\" and position + 1 < len(body):
            kind = body[position + 1]
            if kind == "u" and body[position + 2 : position + 6].lower().startswith("d8"):
                # A surrogate pair (`\ud83d\ude00`) is one character in Python.
                position += 12
            elif kind in ("\r", "\n"):
                position += 3 if body[position + 1 : position + 3] == "\r\n" else 2
                continue  # a line continuation adds no character
            else:
                position += _ESCAPE_LENGTHS.get(kind, 2)
        else:
            position += 1
        decoded += 1
    return position


# --- syntax errors ----------------------------------------------------------------------------

_TOKEN_WORDS = {
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LBRACKET": "'['",
    "RBRACKET": "']'",
    "COLON": "':'",
    "COMMA": "','",
    "value": "a value",
}
_PRIMARY_ERROR = re.compile(r"The primary error was: \n\t(?P<primary>[^\n]*)")
_EXPECTING = re.compile(r"Was expecting (?P<expected>.+?)(?: in or near token (?P<token>\w+) at|$)")
_LINE_COLUMN = re.compile(r"line (?P<line>\d+) column (?P<column>\d+)")
_ILLEGAL_CHARACTER = re.compile(r"Illegal character (?P<char>'.*?'|\".*?\") at index (?P<index>\d+)")


def _only_comments(text: str) -> bool:
    seen_comment = False
    try:
        for token in tokenize(text):
            if token.type in ("LINE_COMMENT", "BLOCK_COMMENT"):
                seen_comment = True
            elif token.type != "WHITESPACE":
                return False
    except json5.JSON5DecodeError:
        return False
    return seen_comment


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return line, column


def _describe_token(token: Any, *, sensitive: bool) -> str:
    kind = getattr(token, "type", None)
    value = str(getattr(token, "value", "") or "")
    if kind in _TOKEN_WORDS:
        return _TOKEN_WORDS[kind]
    if sensitive:
        return "a string" if kind in ("DOUBLE_QUOTE_STRING", "SINGLE_QUOTE_STRING") else "a value"
    if kind in ("DOUBLE_QUOTE_STRING", "SINGLE_QUOTE_STRING"):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"the string {shown}"
    if kind in ("INTEGER", "FLOAT", "HEXADECIMAL", "EXPONENT"):
        return f"the number {value}"
    if kind in ("TRUE", "FALSE", "NULL"):
        return value
    if value:
        return f"'{value[:30]}'"
    return "the end of the file"


def _syntax_problem(
    exc: json5.JSON5DecodeError, text: str, file: str | None, root_path: str, *, sensitive: bool
) -> Problem:
    """Turn a json-five decode error into a located Problem with a plain message and a hint."""
    raw_message = exc.args[0] if exc.args else str(exc)
    primary_match = _PRIMARY_ERROR.search(raw_message)
    primary = primary_match.group("primary") if primary_match else raw_message
    token = getattr(exc, "token", None)

    line, column = 1, 1
    token_index = getattr(token, "index", None) if token is not None else None
    if token_index is not None:
        line, column = _line_column(text, token_index)
    elif (illegal := _ILLEGAL_CHARACTER.search(primary)) is not None:
        line, column = _line_column(text, int(illegal.group("index")))
    elif (located := _LINE_COLUMN.search(primary)) is not None:
        line, column = int(located.group("line")), int(located.group("column"))

    message = _plain_syntax_message(primary, token, sensitive=sensitive)
    logger.debug("IMLJSON syntax error in %s at %d:%d: %s", file, line, column, message)
    return Problem(path=root_path, message=message, file=file, line=line, column=column)


def _plain_syntax_message(primary: str, token: Any, *, sensitive: bool) -> str:
    kind = getattr(token, "type", None) if token is not None else None
    expecting = _EXPECTING.search(primary)
    expected = [part.strip() for part in expecting.group("expected").split(" or ")] if expecting else []
    expected_words = " or ".join(_TOKEN_WORDS.get(name, name) for name in expected)
    found = _describe_token(token, sensitive=sensitive) if token is not None else "the end of the file"

    if kind and kind.startswith("UNTERMINATED"):
        return "Invalid JSON: this string is not closed; add the closing quote."
    if (illegal := _ILLEGAL_CHARACTER.search(primary)) is not None:
        return (
            f"Invalid JSON: unexpected character {illegal.group('char')}; "
            "remove it, or put it inside a quoted string."
        )
    if "Unexpected EOF" in primary or "unexpected EOF" in primary:
        hint = f"; expected {expected_words}" if expected_words else ""
        return (
            f"Invalid JSON: the file ends before the JSON value is complete{hint}; "
            "check for a missing '}' or ']'."
        )
    if "multiple trailing commas" in primary:
        return "Invalid JSON: more than one trailing comma; remove the extra comma."
    if not expected:
        if kind in ("RBRACE", "RBRACKET"):
            return (
                f"Invalid JSON: unexpected {found} after the end of the JSON value; "
                "check for an extra closing bracket."
            )
        if "Syntax Error" in primary:
            return (
                f"Invalid JSON: unexpected {found} after the end of the JSON value; "
                "a file holds one JSON value, so wrap several values in an array."
            )
        return f"Invalid JSON: {primary}."

    if "COMMA" in expected and kind not in ("RBRACE", "RBRACKET", "COLON"):
        return f"Invalid JSON: expected {expected_words} before {found}; check for a missing comma."
    if expected == ["COLON"]:
        return f"Invalid JSON: expected ':' after the key but found {found}; separate each key from its value with ':'."
    if "value" in expected:
        if kind in ("RBRACE", "RBRACKET", "COMMA"):
            return f"Invalid JSON: expected a value but found {found}; check for a missing value or an extra comma."
        if kind == "NAME":
            return (
                f"Invalid JSON: expected a value but found {found}; "
                "quote text as a string, or write true, false or null."
            )
        return f"Invalid JSON: expected a value but found {found}."
    if kind in ("RBRACE", "RBRACKET"):
        return (
            f"Invalid JSON: expected {expected_words} but found {found}; "
            "check that every '{' is closed by '}' and every '[' by ']'."
        )
    return f"Invalid JSON: expected {expected_words} but found {found}."
