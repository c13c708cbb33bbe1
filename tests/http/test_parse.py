"""parse_response: type resolution, every response type, charsets and header merging."""

from __future__ import annotations

import pytest

from imlconnect.http import ResponseParseError, WireResponse, parse_response
from imlconnect.http.parse import (
    automatic_type,
    parse_content_type,
    parse_json,
    parse_urlencoded,
    resolve_response_type,
    response_headers,
)
from imlconnect.iml.values import UNDEFINED


def reply(body: bytes, content_type: str | None = None, status: int = 200, **headers: str) -> WireResponse:
    lines = [] if content_type is None else [("Content-Type", content_type)]
    lines += [(name.replace("_", "-"), value) for name, value in headers.items()]
    return WireResponse(status=status, reason="OK", headers=lines, body=body, url="https://a.com/")


# --- type resolution ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        (None, 200, "automatic"),
        ("json", 500, "json"),
        (" XML ", 200, "xml"),
        ({"*": "text"}, 200, "text"),
        ({"*": "text"}, 999, "text"),
        ({"200": "json"}, 200, "json"),
        ({"200": "json"}, 201, "automatic"),
        ({"*": "text", "200-299": "json"}, 204, "json"),
        ({"*": "text", "200-299": "json", "200": "binary"}, 200, "binary"),
        ({"200": "binary", "200-299": "json", "*": "text"}, 200, "binary"),
        ({"400-499": "json", "*": "text"}, 404, "json"),
        ({"400-499": "json", "*": "text"}, 500, "text"),
        ({"200-200": "json", "200": "text"}, 200, "json"),
        ({"oops": "json", "*": "text"}, 200, "text"),
        ({"200-299": "json"}, 302, "automatic"),
    ],
)
def test_resolve_response_type(spec: object, status: int, expected: str) -> None:
    assert resolve_response_type(spec, status) == expected  # type: ignore[arg-type]


def test_resolve_unknown_type_rejected() -> None:
    with pytest.raises(ResponseParseError, match="'yaml' is not supported"):
        resolve_response_type("yaml", 200)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", "json"),
        ("application/json; charset=utf-8", "json"),
        ("APPLICATION/JSON", "json"),
        ("text/json", "json"),
        ("application/problem+json", "json"),
        ("application/vnd.api+json; charset=utf-8", "json"),
        ("application/x-www-form-urlencoded", "urlencoded"),
        ("application/xml", "xml"),
        ("text/xml; charset=iso-8859-1", "xml"),
        ("application/atom+xml", "xml"),
        ("application/soap+xml", "xml"),
        ("text/plain", "text"),
        ("text/html; charset=utf-8", "text"),
        ("text/csv", "text"),
        ("application/octet-stream", "binary"),
        ("image/png", "binary"),
        ("application/pdf", "binary"),
        ("", "binary"),
        (None, "binary"),
    ],
)
def test_automatic_type(content_type: str | None, expected: str) -> None:
    assert automatic_type(content_type) == expected


def test_parse_content_type_params() -> None:
    assert parse_content_type('Text/HTML; Charset="UTF-8"; q=1') == (
        "text/html",
        {"charset": "UTF-8", "q": "1"},
    )


# --- each type ----------------------------------------------------------------------------


def test_json_by_content_type() -> None:
    parsed = parse_response(reply(b'{"a": [1, "x"]}', "application/json"), None)
    assert parsed.body == {"a": [1, "x"]}
    assert parsed.type == "json"


def test_json_forced_ignores_content_type() -> None:
    assert parse_response(reply(b'{"a": 1}', "text/html"), "json").body == {"a": 1}


def test_urlencoded_by_content_type() -> None:
    parsed = parse_response(reply(b"oauth_token=a%2Bb&x=1+2", "application/x-www-form-urlencoded"), None)
    assert parsed.body == {"oauth_token": "a+b", "x": "1 2"}
    assert parsed.type == "urlencoded"


def test_xml_by_content_type() -> None:
    parsed = parse_response(reply(b"<r><id>7</id></r>", "application/xml"), None)
    assert parsed.body == {"r": [{"id": ["7"]}]}
    assert parsed.type == "xml"


def test_xml_plus_suffix() -> None:
    assert parse_response(reply(b"<feed/>", "application/atom+xml"), None).body == {"feed": [""]}


@pytest.mark.parametrize("kind", ["text", "string", "raw"])
def test_text_aliases(kind: str) -> None:
    parsed = parse_response(reply(b'{"a": 1}', "application/json"), kind)
    assert parsed.body == '{"a": 1}'
    assert parsed.type == kind


def test_text_by_content_type() -> None:
    parsed = parse_response(reply(b"<p>hi</p>", "text/html"), "automatic")
    assert parsed.body == "<p>hi</p>"
    assert parsed.type == "text"


def test_binary_forced() -> None:
    parsed = parse_response(reply(b"\x89PNG", "application/json"), "binary")
    assert parsed.body == b"\x89PNG"
    assert parsed.type == "binary"


def test_unknown_content_type_is_binary() -> None:
    parsed = parse_response(reply(b"%PDF-1.7", "application/pdf"), None)
    assert parsed.body == b"%PDF-1.7"
    assert parsed.type == "binary"


def test_no_content_type_is_binary() -> None:
    assert parse_response(reply(b"abc"), None).body == b"abc"


@pytest.mark.parametrize(
    "kind", ["json", "urlencoded", "xml", "text", "string", "raw", "binary", "automatic"]
)
def test_empty_body_is_undefined(kind: str) -> None:
    assert parse_response(reply(b"", "application/json"), kind).body is UNDEFINED


def test_empty_body_keeps_status_and_headers() -> None:
    parsed = parse_response(reply(b"", "application/json", status=204, X_Id="9"), None)
    assert parsed.status == 204
    assert parsed.headers["x-id"] == "9"


def test_type_by_status_range() -> None:
    spec = {"*": "text", "400-499": "json"}
    assert parse_response(reply(b'{"e": 1}', "text/plain", status=422), spec).body == {"e": 1}


def test_first_content_type_used() -> None:
    response = WireResponse(
        200,
        "OK",
        [("Content-Type", "application/json"), ("Content-Type", "text/plain")],
        b"[1]",
        "https://a/",
    )
    assert parse_response(response, None).body == [1]


# --- charsets -----------------------------------------------------------------------------


def test_charset_latin1_text() -> None:
    assert (
        parse_response(reply("café".encode("latin-1"), "text/plain; charset=ISO-8859-1"), None).body == "café"
    )


def test_charset_windows1252_text() -> None:
    assert parse_response(reply(b"\x80", "text/plain; charset=windows-1252"), None).body == "\u20ac"


def test_charset_utf16_json() -> None:
    body = '{"a": "é"}'.encode("utf-16")
    assert parse_response(reply(body, "application/json; charset=utf-16"), None).body == {"a": "é"}


def test_default_charset_utf8() -> None:
    assert parse_response(reply("żółw".encode(), "text/plain"), None).body == "żółw"


def test_unknown_charset_falls_back() -> None:
    assert parse_response(reply("é".encode(), "text/plain; charset=klingon"), None).body == "é"


def test_invalid_utf8_replaced() -> None:
    assert parse_response(reply(b"a\xffb", "text/plain"), None).body == "a\ufffdb"


def test_invalid_utf8_in_json_string_replaced() -> None:
    assert parse_response(reply(b'{"a": "x\xff"}', "application/json"), None).body == {"a": "x\ufffd"}


# --- json details -------------------------------------------------------------------------


def test_json_failure_reports_reason() -> None:
    with pytest.raises(ResponseParseError) as caught:
        parse_response(reply(b"{oops", "application/json", status=201), None)
    assert caught.value.type == "json"
    assert caught.value.status == 201
    assert "line 1 column 2" in caught.value.reason
    assert "201" in str(caught.value)


def test_json_html_error_page_fails() -> None:
    with pytest.raises(ResponseParseError, match="not valid json"):
        parse_response(reply(b"<html>502</html>", "application/json", status=502), None)


def test_json_big_integer_becomes_float() -> None:
    assert parse_json("12345678901234567890") == 1.2345678901234567e19


def test_json_big_integer_type() -> None:
    assert isinstance(parse_json("9007199254740993"), float)


def test_json_safe_integer_stays_int() -> None:
    assert parse_json("[9007199254740991, -9007199254740991]") == [9007199254740991, -9007199254740991]


def test_json_huge_integer_text() -> None:
    assert parse_json("9" * 5000) == float("inf")


def test_json_duplicate_key_last_wins() -> None:
    assert parse_json('{"a": 1, "b": 2, "a": 3}') == {"a": 3, "b": 2}


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "-Infinity"])
def test_json_rejects_non_finite(text: str) -> None:
    with pytest.raises(ValueError, match="not a JSON value"):
        parse_json(text)


def test_json_byte_order_mark_skipped() -> None:
    assert parse_response(reply(b'\xef\xbb\xbf{"a": 1}', "application/json"), None).body == {"a": 1}


def test_json_depth_at_limit_parses() -> None:
    expected: list[object] = []
    for _ in range(255):
        expected = [expected]
    assert parse_json("[" * 256 + "]" * 256) == expected


def test_json_depth_over_limit_rejected() -> None:
    with pytest.raises(ResponseParseError, match="deeper than 256 levels"):
        parse_response(reply(b"[" * 257 + b"]" * 257, "application/json"), None)


def test_json_depth_is_a_parameter() -> None:
    with pytest.raises(ResponseParseError, match="deeper than 3 levels"):
        parse_response(reply(b'{"a": {"b": {"c": []}}}', "application/json"), None, max_depth=3)


def test_json_brackets_in_strings_not_counted() -> None:
    text = '{"s": "' + "[" * 500 + '"}'
    assert parse_json(text) == {"s": "[" * 500}


def test_json_very_deep_input_rejected() -> None:
    with pytest.raises(ResponseParseError, match="deeper than"):
        parse_response(reply(b"[" * 100_000, "application/json"), None)


# --- urlencoded details -------------------------------------------------------------------


def test_urlencoded_repeated_key_list() -> None:
    assert parse_urlencoded("a=1&a=2&a=3&b=4") == {"a": ["1", "2", "3"], "b": "4"}


def test_urlencoded_key_without_value() -> None:
    assert parse_urlencoded("flag&x=") == {"flag": "", "x": ""}


def test_urlencoded_empty_pairs_skipped() -> None:
    assert parse_urlencoded("a=1&&b=2&") == {"a": "1", "b": "2"}


def test_urlencoded_brackets_kept_flat() -> None:
    assert parse_urlencoded("a%5Bb%5D=c&d[0]=e") == {"a[b]": "c", "d[0]": "e"}


def test_urlencoded_utf8_and_bad_escape() -> None:
    assert parse_urlencoded("n=%C3%A9&p=100%") == {"n": "é", "p": "100%"}


def test_urlencoded_value_with_equals() -> None:
    assert parse_urlencoded("token=a=b") == {"token": "a=b"}


# --- headers ------------------------------------------------------------------------------


def test_headers_lower_case() -> None:
    assert response_headers([("X-Request-ID", "1")]) == {"x-request-id": "1"}


def test_set_cookie_always_list() -> None:
    assert response_headers([("Set-Cookie", "a=1")]) == {"set-cookie": ["a=1"]}


def test_set_cookie_lines_kept_apart() -> None:
    merged = response_headers([("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2026"), ("set-cookie", "b=2")])
    assert merged == {"set-cookie": ["a=1; Expires=Wed, 21 Oct 2026", "b=2"]}


def test_repeated_header_joined() -> None:
    assert response_headers([("Vary", "Accept"), ("vary", "Origin")]) == {"vary": "Accept, Origin"}


def test_single_value_header_first_wins() -> None:
    assert response_headers([("Content-Type", "a/b"), ("Content-Type", "c/d")]) == {"content-type": "a/b"}


def test_cookie_header_joined_with_semicolon() -> None:
    assert response_headers([("Cookie", "a=1"), ("Cookie", "b=2")]) == {"cookie": "a=1; b=2"}


def test_parsed_headers_merged() -> None:
    parsed = parse_response(reply(b"x", "text/plain", X_Rate="1"), None)
    assert parsed.headers == {"content-type": "text/plain", "x-rate": "1"}


def test_response_header_lookup() -> None:
    response = reply(b"", None, X_A="1", x_a="2")
    assert response.header("X-A") == "1, 2"
    assert response.header_values("x-a") == ["1", "2"]
    assert response.header("missing") is None
