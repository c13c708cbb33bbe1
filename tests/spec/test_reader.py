"""Reading IMLJSON: plain values, positions of keys and values, comments and syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from imlconnect.errors import SpecError
from imlconnect.spec.reader import Position, index_path, join_path, parse_imljson, read_imljson

NESTED = """{
  "url": "https://api.example.com/me",
  "headers": {
    "Authorization": "Bearer {{parameters.apiKey}}"
  },
  "list": [1, {"deep": true}]
}"""


def syntax_error(text: str) -> tuple[str, int | None, int | None]:
    with pytest.raises(SpecError) as caught:
        parse_imljson(text, file="spec.json", root_path="communication")
    [problem] = caught.value.problems
    return problem.message, problem.line, problem.column


def test_values_plain_python() -> None:
    document = parse_imljson('{"a": [1, 2.5, true, null, "x"], "b": {"c": -3}}')
    assert document.value == {"a": [1, 2.5, True, None, "x"], "b": {"c": -3}}


def test_integer_stays_int() -> None:
    document = parse_imljson('{"timeout": 40000}')
    assert type(document.value["timeout"]) is int


def test_nested_key_position() -> None:
    document = parse_imljson(NESTED, root_path="communication")
    assert document.position("communication.headers.Authorization", key=True) == Position(4, 5)


def test_nested_value_position() -> None:
    document = parse_imljson(NESTED, root_path="communication")
    assert document.position("communication.headers.Authorization") == Position(4, 22)


def test_array_item_position() -> None:
    document = parse_imljson(NESTED, root_path="communication")
    assert document.position("communication.list[1].deep") == Position(6, 24)


def test_root_position() -> None:
    document = parse_imljson(NESTED, root_path="communication")
    assert document.position("communication") == Position(1, 1)


def test_unknown_path_uses_ancestor() -> None:
    document = parse_imljson(NESTED, root_path="communication")
    assert document.position("communication.headers.Missing") == Position(3, 14)


def test_line_comments_allowed() -> None:
    text = '{\n  // the URL\n  "url": "https://x.test" // trailing note\n}'
    assert parse_imljson(text).value == {"url": "https://x.test"}


def test_block_comments_allowed() -> None:
    text = '/* header */ {"a": /* inline */ 1}'
    assert parse_imljson(text).value == {"a": 1}


def test_trailing_commas_allowed() -> None:
    assert parse_imljson('{"a": [1, 2,], "b": 3,}').value == {"a": [1, 2], "b": 3}


def test_leading_blank_line_allowed() -> None:
    document = parse_imljson('\n    {"url": "https://x.test"}\n')
    assert document.position("url") == Position(2, 13)


def test_only_comments_is_empty_object() -> None:
    document = parse_imljson('{\n// "url": "x"\n}')
    assert document.value == {}


def test_commented_out_object_is_empty() -> None:
    document = parse_imljson('// {\n//   "url": "x"\n// }\n')
    assert document.value == {}


def test_commented_out_object_warns() -> None:
    document = parse_imljson("/* {} */", file="c.json")
    assert [w.message for w in document.warnings] == [
        "The file contains only comments; it is read as an empty object."
    ]


def test_empty_text_is_error() -> None:
    message, line, column = syntax_error("")
    assert (message, line, column) == ("Invalid JSON: the file is empty; write a JSON object or array.", 1, 1)


def test_whitespace_only_is_error() -> None:
    message, _, _ = syntax_error("  \n\t\n")
    assert "the file is empty" in message


def test_missing_comma_message() -> None:
    message, _, _ = syntax_error('{"a": 1\n "b": 2}')
    assert message == "Invalid JSON: expected ',' or '}' before the string \"b\"; check for a missing comma."


def test_missing_comma_location() -> None:
    _, line, column = syntax_error('{"a": 1\n "b": 2}')
    assert (line, column) == (2, 2)


def test_missing_colon() -> None:
    message, line, column = syntax_error('{\n  "a" 1\n}')
    assert (line, column) == (2, 7)
    assert message.startswith("Invalid JSON: expected ':' after the key")


def test_unclosed_array() -> None:
    message, line, column = syntax_error('{"a": [1, 2}')
    assert (line, column) == (1, 12)
    assert "every '[' by ']'" in message


def test_truncated_file() -> None:
    message, line, column = syntax_error('{"a": 1')
    assert (line, column) == (1, 8)
    assert "the file ends before the JSON value is complete" in message


def test_bare_word_value() -> None:
    message, line, column = syntax_error('{"a": tru}')
    assert (line, column) == (1, 7)
    assert "quote text as a string" in message


def test_extra_closing_brace() -> None:
    message, line, column = syntax_error('{"a": 1}}')
    assert (line, column) == (1, 9)
    assert "extra closing bracket" in message


def test_unterminated_string() -> None:
    message, line, column = syntax_error('{\n  "a": "open}')
    assert (line, column) == (2, 8)
    assert message == "Invalid JSON: this string is not closed; add the closing quote."


def test_illegal_character() -> None:
    message, line, column = syntax_error('{\n "a": #}')
    assert (line, column) == (2, 7)
    assert "unexpected character '#'" in message


def test_missing_value() -> None:
    message, _, _ = syntax_error('{"a": ,}')
    assert "expected a value but found ','" in message


def test_sensitive_error_quotes_nothing() -> None:
    with pytest.raises(SpecError) as caught:
        parse_imljson('{"clientSecret": "s3cr3t-value" "next": 1}', sensitive=True)
    assert "s3cr3t" not in caught.value.problems[0].message
    assert "next" not in str(caught.value)


def test_syntax_error_names_file() -> None:
    with pytest.raises(SpecError) as caught:
        parse_imljson('{"a" 1}', file="conn/api.imljson")
    assert caught.value.problems[0].file == "conn/api.imljson"


def test_syntax_error_path_is_root() -> None:
    with pytest.raises(SpecError) as caught:
        parse_imljson('{"a" 1}', root_path="parameters")
    assert caught.value.problems[0].path == "parameters"


def test_duplicate_key_last_wins() -> None:
    document = parse_imljson('{"url": "first", "url": "second"}')
    assert document.value == {"url": "second"}


def test_duplicate_key_warning_location() -> None:
    document = parse_imljson(
        '{\n  "url": "first",\n  "url": "second"\n}', file="a.json", root_path="communication"
    )
    [warning] = document.warnings
    assert (warning.path, warning.line, warning.column, warning.severity) == (
        "communication.url",
        3,
        3,
        "warning",
    )


def test_duplicate_key_forgets_old_children() -> None:
    document = parse_imljson('{"h": {"a": 1}, "h": {"b": 2}}')
    assert "h.a" not in document.value_positions


def test_template_column_plain() -> None:
    document = parse_imljson('{"url": "https://x/{{a)}}"}')
    # The opening quote is at column 9, and column 11 of the template is its first "{".
    assert document.template_position("url", 11) == Position(1, 20)


def test_template_column_after_escape() -> None:
    document = parse_imljson('{"m": "a\\"b{{x}}"}')
    # The decoded text is a"b{{x}}: column 4 is the first "{", after a two-character escape.
    assert document.template_position("m", 4) == Position(1, 12)


def test_template_column_after_unicode_escape() -> None:
    document = parse_imljson('{"m": "\\u00e9{{x}}"}')
    assert document.template_position("m", 2) == Position(1, 14)


def test_join_path_plain_key() -> None:
    assert join_path("communication.headers", "X-API-Key") == "communication.headers.X-API-Key"


def test_join_path_odd_key() -> None:
    assert join_path("body", "a.b") == 'body["a.b"]'


def test_join_path_at_root() -> None:
    assert join_path("", "url") == "url"


def test_index_path_zero_based() -> None:
    assert index_path("communication", 1) == "communication[1]"


def test_bracket_key_positions() -> None:
    document = parse_imljson('{"body": {"a.b": "x"}}')
    assert document.position('body["a.b"]') == Position(1, 18)


def test_read_file_strips_bom(tmp_path: Path) -> None:
    file = tmp_path / "api.json"
    file.write_bytes(b'\xef\xbb\xbf{"url": "https://x.test"}')
    assert read_imljson(file).value == {"url": "https://x.test"}


def test_read_file_not_utf8(tmp_path: Path) -> None:
    file = tmp_path / "api.json"
    file.write_bytes(b'{"url": "\xff"}')
    with pytest.raises(SpecError) as caught:
        read_imljson(file)
    assert "not UTF-8" in caught.value.problems[0].message


def test_read_file_records_name(tmp_path: Path) -> None:
    file = tmp_path / "api.json"
    file.write_text('{"url": "x"}')
    assert read_imljson(file).file == str(file)
