"""next_redirect: which redirects are followed and how the next request looks."""

from __future__ import annotations

import pytest

from imlconnect.errors import TransportError
from imlconnect.http import WireRequest, WireResponse, next_redirect

SECRET_HEADERS = [("Authorization", "Bearer t"), ("Cookie", "s=1"), ("Proxy-Authorization", "Basic x")]


def make_request(method: str = "GET", url: str = "https://a.com/start", **changes: object) -> WireRequest:
    body = None if method in ("GET", "HEAD") else b'{"a":1}'
    headers = [("X-Trace", "7"), *SECRET_HEADERS]
    if body is not None:
        headers += [("Content-Type", "application/json"), ("Content-Length", "7")]
    request = WireRequest(method=method, url=url, headers=headers, body=body)
    return request.replace(**changes)


def redirect(status: int, location: str | None, url: str = "https://a.com/start") -> WireResponse:
    headers = [] if location is None else [("Location", location)]
    return WireResponse(status=status, reason="", headers=headers, body=b"", url=url)


# --- which responses are followed ----------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_statuses_followed(status: int) -> None:
    follow = next_redirect(make_request(), redirect(status, "/next"), 0)
    assert follow is not None
    assert follow.url == "https://a.com/next"


@pytest.mark.parametrize("status", [200, 204, 300, 304, 305, 306, 400, 500])
def test_other_statuses_not_followed(status: int) -> None:
    assert next_redirect(make_request(), redirect(status, "/next"), 0) is None


@pytest.mark.parametrize("location", [None, "", "   "])
def test_missing_location_not_followed(location: str | None) -> None:
    assert next_redirect(make_request(), redirect(302, location), 0) is None


@pytest.mark.parametrize(
    ("method", "follow_redirects", "follow_all", "followed"),
    [
        ("GET", True, True, True),
        ("GET", False, True, False),
        ("GET", True, False, True),
        ("HEAD", False, True, False),
        ("HEAD", True, False, True),
        ("POST", True, True, True),
        ("POST", True, False, False),
        ("POST", False, True, True),
        ("PUT", True, False, False),
        ("DELETE", False, True, True),
    ],
)
def test_follow_flags(method: str, follow_redirects: bool, follow_all: bool, followed: bool) -> None:
    request = make_request(method, follow_redirects=follow_redirects, follow_all_redirects=follow_all)
    result = next_redirect(request, redirect(307, "/next"), 0)
    assert (result is not None) is followed


# --- hop limit ----------------------------------------------------------------------------


def test_last_allowed_hop_followed() -> None:
    assert next_redirect(make_request(), redirect(302, "/next"), 9) is not None


def test_too_many_hops_raise() -> None:
    with pytest.raises(TransportError, match="Stopped after 10 redirects") as caught:
        next_redirect(make_request(), redirect(302, "/next"), 10)
    assert caught.value.kind == "redirects"


def test_custom_hop_limit() -> None:
    with pytest.raises(TransportError, match="Stopped after 2 redirects"):
        next_redirect(make_request(max_redirects=2), redirect(302, "/next"), 2)


def test_zero_hop_limit() -> None:
    with pytest.raises(TransportError, match="Stopped after 0 redirects"):
        next_redirect(make_request(max_redirects=0), redirect(302, "/next"), 0)


def test_hop_error_hides_query() -> None:
    request = make_request(url="https://a.com/x?api_key=secret99")
    with pytest.raises(TransportError) as caught:
        next_redirect(request, redirect(302, "/next"), 10)
    assert "secret99" not in str(caught.value)


# --- target URL ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/abs", "https://a.com/abs"),
        ("rel", "https://a.com/dir/rel"),
        ("../up", "https://a.com/up"),
        ("?page=2", "https://a.com/dir/page?page=2"),
        ("//b.com/x", "https://b.com/x"),
        ("https://b.com/x y", "https://b.com/x%20y"),
        ("http://B.com:8080/é", "http://b.com:8080/%C3%A9"),
        ("/next#part", "https://a.com/next"),
    ],
)
def test_location_resolution(location: str, expected: str) -> None:
    request = make_request(url="https://a.com/dir/page")
    follow = next_redirect(request, redirect(302, location, request.url), 0)
    assert follow is not None
    assert follow.url == expected


@pytest.mark.parametrize(
    "location", ["ftp://a.com/x", "file:///etc/passwd", "javascript:alert(1)", "data:,x"]
)
def test_non_http_location_rejected(location: str) -> None:
    with pytest.raises(TransportError, match="only http and https") as caught:
        next_redirect(make_request(), redirect(302, location), 0)
    assert caught.value.kind == "redirects"


def test_first_location_used() -> None:
    response = WireResponse(302, "", [("Location", "/one"), ("Location", "/two")], b"", "https://a.com/")
    follow = next_redirect(make_request(), response, 0)
    assert follow is not None
    assert follow.url == "https://a.com/one"


# --- credentials --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    ["https://b.com/x", "http://a.com/x", "https://a.com:8443/x", "https://sub.a.com/x"],
)
def test_cross_origin_drops_credentials(location: str) -> None:
    follow = next_redirect(make_request(), redirect(302, location), 0)
    assert follow is not None
    assert follow.headers == [("X-Trace", "7")]


@pytest.mark.parametrize("location", ["/x", "https://a.com/x", "https://A.COM:443/x"])
def test_same_origin_keeps_credentials(location: str) -> None:
    follow = next_redirect(make_request(), redirect(302, location), 0)
    assert follow is not None
    assert follow.headers == [("X-Trace", "7"), *SECRET_HEADERS]


def test_cross_origin_drops_written_host() -> None:
    request = make_request(headers=[("Host", "a.com"), ("X-Trace", "7")])
    follow = next_redirect(request, redirect(302, "https://b.com/x"), 0)
    assert follow is not None
    assert follow.headers == [("X-Trace", "7")]


# --- method and body ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_post_becomes_get(status: int, method: str) -> None:
    follow = next_redirect(make_request(method), redirect(status, "/next"), 0)
    assert follow is not None
    assert follow.method == "GET"
    assert follow.body is None
    assert follow.header("content-type") is None
    assert follow.header("content-length") is None
    assert follow.header("x-trace") == "7"


@pytest.mark.parametrize("status", [307, 308])
def test_307_308_keep_method_and_body(status: int) -> None:
    follow = next_redirect(make_request("POST"), redirect(status, "/next"), 0)
    assert follow is not None
    assert follow.method == "POST"
    assert follow.body == b'{"a":1}'
    assert follow.header("content-type") == "application/json"


def test_head_stays_head_after_303() -> None:
    follow = next_redirect(make_request("HEAD"), redirect(303, "/next"), 0)
    assert follow is not None
    assert follow.method == "HEAD"


def test_other_fields_kept() -> None:
    request = make_request("POST", timeout_s=5.0, ca="PEM", request_id="r9", gzip=True)
    follow = next_redirect(request, redirect(307, "/next"), 0)
    assert follow is not None
    assert (follow.timeout_s, follow.ca, follow.request_id, follow.gzip) == (5.0, "PEM", "r9", True)
