"""build_request: URL, qs, method, headers, body and settings of the wire request."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from imlconnect.http import RequestBuildError, WireRequest, build_request
from imlconnect.iml.values import UNDEFINED

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

# --- URL ----------------------------------------------------------------------------------


def test_absolute_url_kept() -> None:
    assert build_request(url="https://api.example.com/v1/me").url == "https://api.example.com/v1/me"


def test_relative_url_joined_to_base() -> None:
    assert build_request(url="/me", base_url="https://a.com/v1").url == "https://a.com/v1/me"


def test_relative_url_base_with_slash() -> None:
    assert build_request(url="me", base_url="https://a.com/v1/").url == "https://a.com/v1/me"


def test_relative_url_without_base() -> None:
    with pytest.raises(RequestBuildError) as caught:
        build_request(url="/me")
    assert str(caught.value) == (
        "The URL '/me' is relative and the app has no baseUrl; use an absolute URL or add baseUrl to the base file"
    )


def test_base_url_must_be_absolute() -> None:
    with pytest.raises(RequestBuildError, match="baseUrl 'api.example.com/v1' is not an absolute URL"):
        build_request(url="/me", base_url="api.example.com/v1")


@pytest.mark.parametrize("url", ["", "   ", UNDEFINED, None])
def test_empty_url_rejected(url: object) -> None:
    with pytest.raises(RequestBuildError, match="URL is empty"):
        build_request(url=url)


def test_url_surrounding_spaces_trimmed() -> None:
    assert build_request(url="  https://a.com/x \n").url == "https://a.com/x"


def test_url_other_scheme_rejected() -> None:
    with pytest.raises(RequestBuildError, match="only http and https"):
        build_request(url="ftp://a.com/file")


def test_url_encoded_by_default() -> None:
    assert build_request(url="https://a.com/a b?q=é").url == "https://a.com/a%20b?q=%C3%A9"


def test_url_existing_escapes_kept() -> None:
    assert build_request(url="https://a.com/a%20b?q=%C3%A9").url == "https://a.com/a%20b?q=%C3%A9"


def test_url_unencoded_as_written() -> None:
    assert (
        build_request(url="https://a.com/x?filter={a}", encode_url=False).url == "https://a.com/x?filter={a}"
    )


def test_url_unencoded_space_rejected() -> None:
    with pytest.raises(RequestBuildError, match="set encodeUrl to true"):
        build_request(url="https://a.com/a b", encode_url=False)


def test_url_non_string_rendered() -> None:
    with pytest.raises(RequestBuildError, match="relative"):
        build_request(url=5)


def test_url_credentials_become_basic_auth() -> None:
    request = build_request(url="https://ann:s%3Acret@a.com/x")
    assert request.url == "https://a.com/x"
    assert request.header("authorization") == "Basic " + base64.b64encode(b"ann:s:cret").decode()


def test_url_credentials_yield_to_header() -> None:
    request = build_request(url="https://ann:pw@a.com/x", headers={"Authorization": "Bearer t"})
    assert request.headers == [("Authorization", "Bearer t")]


# --- qs -----------------------------------------------------------------------------------


def test_qs_replaces_query() -> None:
    request = build_request(url="https://a.com/x?old=1", qs={"new": "a b"}, qs_present=True)
    assert request.url == "https://a.com/x?new=a%20b"


def test_qs_empty_removes_query() -> None:
    assert build_request(url="https://a.com/x?old=1", qs={}, qs_present=True).url == "https://a.com/x"


def test_qs_all_undefined_removes_query() -> None:
    request = build_request(url="https://a.com/x?old=1", qs={"a": UNDEFINED}, qs_present=True)
    assert request.url == "https://a.com/x"


def test_qs_absent_keeps_query() -> None:
    assert build_request(url="https://a.com/x?old=1").url == "https://a.com/x?old=1"


def test_qs_null_removes_query() -> None:
    assert build_request(url="https://a.com/x?old=1", qs=None, qs_present=True).url == "https://a.com/x"


def test_qs_nested_encoding() -> None:
    request = build_request(url="https://a.com/x", qs={"f": {"ids": [1, 2]}, "n": None}, qs_present=True)
    assert request.url == "https://a.com/x?f%5Bids%5D%5B0%5D=1&f%5Bids%5D%5B1%5D=2&n="


def test_qs_with_base_url() -> None:
    request = build_request(url="/items", base_url="https://a.com/v2", qs={"limit": 1}, qs_present=True)
    assert request.url == "https://a.com/v2/items?limit=1"


def test_qs_must_be_collection() -> None:
    with pytest.raises(RequestBuildError, match="qs must be a collection"):
        build_request(url="https://a.com/", qs="a=1", qs_present=True)


# --- method -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"), [(None, "GET"), (UNDEFINED, "GET"), ("", "GET"), ("post", "POST")]
)
def test_method_default_and_case(method: object, expected: str) -> None:
    assert build_request(url="https://a.com/", method=method).method == expected


def test_method_custom_token() -> None:
    assert build_request(url="https://a.com/", method="propfind").method == "PROPFIND"


@pytest.mark.parametrize("method", ["GE T", "POST\r\nX: 1", "GET/"])
def test_method_invalid_rejected(method: str) -> None:
    with pytest.raises(RequestBuildError, match="not a valid HTTP method"):
        build_request(url="https://a.com/", method=method)


# --- headers ------------------------------------------------------------------------------


def test_headers_kept_in_order() -> None:
    request = build_request(url="https://a.com/", headers={"X-B": "2", "X-A": "1"})
    assert request.headers == [("X-B", "2"), ("X-A", "1")]


def test_headers_later_duplicate_wins() -> None:
    request = build_request(url="https://a.com/", headers={"X-Key": "1", "Other": "o", "x-key": "2"})
    assert request.headers == [("x-key", "2"), ("Other", "o")]


def test_headers_null_and_undefined_left_out() -> None:
    request = build_request(url="https://a.com/", headers={"A": None, "B": UNDEFINED, "C": ""})
    assert request.headers == [("C", "")]


def test_headers_later_null_removes() -> None:
    request = build_request(url="https://a.com/", headers={"X-Key": "1", "x-key": None})
    assert request.headers == []


def test_headers_values_rendered() -> None:
    request = build_request(url="https://a.com/", headers={"N": 1.0, "T": True, "L": [1, 2]})
    assert request.headers == [("N", "1"), ("T", "true"), ("L", "1,2")]


def test_headers_value_spaces_trimmed() -> None:
    assert build_request(url="https://a.com/", headers={"A": "  x \t"}).headers == [("A", "x")]


def test_header_lookup_case_insensitive() -> None:
    assert build_request(url="https://a.com/", headers={"X-Api-Key": "k"}).header("x-api-KEY") == "k"


def test_header_lookup_missing() -> None:
    assert build_request(url="https://a.com/").header("x-none") is None


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b"])
def test_header_value_injection_rejected(value: str) -> None:
    with pytest.raises(RequestBuildError, match="header 'X-Token'") as caught:
        build_request(url="https://a.com/", headers={"X-Token": value})
    assert value not in str(caught.value)


def test_header_value_secret_not_in_message() -> None:
    with pytest.raises(RequestBuildError) as caught:
        build_request(url="https://a.com/", headers={"Authorization": "Bearer sk-123\r\n"})
    assert "sk-123" not in str(caught.value)


def test_header_value_beyond_latin1_rejected() -> None:
    with pytest.raises(RequestBuildError, match="beyond Latin-1"):
        build_request(url="https://a.com/", headers={"X-Name": "\u0141ukasz"})


def test_header_value_latin1_accepted() -> None:
    assert build_request(url="https://a.com/", headers={"X-Name": "José"}).header("x-name") == "José"


@pytest.mark.parametrize("name", ["X Bad", "X-Bad\r\nX-Evil", "X:Bad", ""])
def test_header_name_invalid_rejected(name: str) -> None:
    with pytest.raises(RequestBuildError, match="header name"):
        build_request(url="https://a.com/", headers={name: "v"})


def test_headers_must_be_collection() -> None:
    with pytest.raises(RequestBuildError, match="headers must be a collection"):
        build_request(url="https://a.com/", headers="X-A: 1")


def test_content_length_dropped() -> None:
    request = build_request(url="https://a.com/", method="POST", headers={"Content-Length": "999"}, body="ab")
    assert request.header("content-length") is None


# --- body ---------------------------------------------------------------------------------


def test_json_body_default() -> None:
    request = build_request(url="https://a.com/", method="POST", body={"a": 1, "u": UNDEFINED})
    assert request.body == b'{"a":1}'
    assert request.header("content-type") == "application/json"


@pytest.mark.parametrize("method", ["GET", "HEAD", "get"])
def test_body_ignored_for_get_and_head(method: str) -> None:
    request = build_request(url="https://a.com/", method=method, body={"a": 1}, body_type="urlencoded")
    assert request.body is None
    assert request.header("content-type") is None


@pytest.mark.parametrize("body", [None, UNDEFINED])
def test_missing_body_sends_nothing(body: object) -> None:
    request = build_request(url="https://a.com/", method="POST", body=body)
    assert request.body is None
    assert request.header("content-type") is None


def test_empty_string_body_sent() -> None:
    request = build_request(url="https://a.com/", method="POST", body="", body_type="text")
    assert request.body == b""
    assert request.header("content-type") == "text/plain; charset=utf-8"


def test_urlencoded_body() -> None:
    request = build_request(url="https://a.com/", method="POST", body={"a": "b c"}, body_type="urlencoded")
    assert request.body == b"a=b%20c"
    assert request.header("content-type") == "application/x-www-form-urlencoded"


def test_multipart_body_boundary_in_header() -> None:
    request = build_request(
        url="https://a.com/", method="PUT", body={"a": "1"}, body_type="multipart/form-data"
    )
    content_type = request.header("content-type")
    assert content_type is not None
    boundary = content_type.partition("boundary=")[2]
    assert (
        request.body
        == f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--{boundary}--\r\n'.encode()
    )


def test_multipart_header_gets_boundary() -> None:
    request = build_request(
        url="https://a.com/",
        method="POST",
        headers={"Content-Type": "multipart/form-data"},
        body={"a": "1"},
        body_type="multipart/form-data",
    )
    content_type = request.header("content-type")
    assert content_type is not None
    assert re.fullmatch(r"multipart/form-data; boundary=----imlconnect[0-9a-f]{32}", content_type)


def test_binary_body() -> None:
    request = build_request(url="https://a.com/", method="POST", body=b"\x00\x01", body_type="binary")
    assert request.body == b"\x00\x01"
    assert request.header("content-type") == "application/octet-stream"


def test_content_type_header_wins() -> None:
    request = build_request(
        url="https://a.com/",
        method="POST",
        headers={"content-type": "application/vnd.api+json"},
        body={"a": 1},
    )
    assert request.headers == [("content-type", "application/vnd.api+json")]


def test_delete_sends_body() -> None:
    assert build_request(url="https://a.com/", method="DELETE", body={"id": 1}).body == b'{"id":1}'


def test_unknown_body_type_rejected() -> None:
    with pytest.raises(RequestBuildError, match="request type 'xml' is not supported"):
        build_request(url="https://a.com/", method="POST", body="x", body_type="xml")


def test_body_type_none_is_json() -> None:
    assert build_request(url="https://a.com/", method="POST", body=[1], body_type=None).body == b"[1]"


# --- settings -----------------------------------------------------------------------------


def test_gzip_adds_accept_encoding() -> None:
    request = build_request(url="https://a.com/", gzip=True)
    assert request.header("accept-encoding") == "gzip, deflate"
    assert request.gzip is True


def test_no_gzip_no_accept_encoding() -> None:
    assert build_request(url="https://a.com/").header("accept-encoding") is None


def test_gzip_keeps_written_accept_encoding() -> None:
    request = build_request(url="https://a.com/", gzip=True, headers={"Accept-Encoding": "br"})
    assert request.headers == [("Accept-Encoding", "br")]


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [
        (None, 40.0),
        (UNDEFINED, 40.0),
        (40000, 40.0),
        (1, 0.001),
        (300000, 300.0),
        (900000, 300.0),
        ("5000", 5.0),
    ],
)
def test_timeout_seconds(timeout: object, seconds: float) -> None:
    assert build_request(url="https://a.com/", timeout_ms=timeout).timeout_s == seconds


@pytest.mark.parametrize("timeout", [0, -5, float("nan"), "soon", True])
def test_timeout_invalid_rejected(timeout: object) -> None:
    with pytest.raises(RequestBuildError, match="timeout"):
        build_request(url="https://a.com/", timeout_ms=timeout)


def test_redirect_flags_passed() -> None:
    request = build_request(url="https://a.com/", follow_redirects=False, follow_all_redirects=False)
    assert request.follow_redirects is False
    assert request.follow_all_redirects is False


def test_none_settings_use_defaults() -> None:
    request = build_request(
        url="https://a.com/a b", encode_url=None, follow_redirects=None, follow_all_redirects=None, gzip=None
    )
    assert request == WireRequest(method="GET", url="https://a.com/a%20b", headers=[])


def test_ca_and_request_id_passed() -> None:
    request = build_request(url="https://a.com/", ca="-----BEGIN CERTIFICATE-----", request_id="r1")
    assert request.ca == "-----BEGIN CERTIFICATE-----"
    assert request.request_id == "r1"


def test_empty_ca_is_none() -> None:
    assert build_request(url="https://a.com/", ca="").ca is None


def test_replace_returns_copy() -> None:
    request = build_request(url="https://a.com/")
    changed = request.replace(method="POST")
    assert changed.method == "POST"
    assert request.method == "GET"


# --- corpus -------------------------------------------------------------------------------


def _static_corpus_urls() -> list[str]:
    found: set[str] = set()
    for path in CORPUS.rglob("*"):
        if not path.is_file() or path.suffix not in {".json", ".imljson", ".jsonc"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in re.finditer(r'"(?:url|baseUrl)"\s*:\s*"(https?://[^"{}]+)"', text):
            found.add(match.group(1))
    return sorted(found)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus folder is not beside the repository")
def test_corpus_static_urls_build() -> None:
    urls = _static_corpus_urls()
    assert len(urls) > 20
    for url in urls:
        expected = url if re.match(r"https?://[^/]+/", url) else url + "/"
        assert build_request(url=url).url == expected, url


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus folder is not beside the repository")
def test_corpus_base_urls_join() -> None:
    for base in _static_corpus_urls():
        assert build_request(url="/me", base_url=base).url == base.rstrip("/") + "/me", base
