"""Redirect policy: decide whether and how a redirect response is followed.

The transport calls `next_redirect` after each response and sends the request it returns; the
rules here are the same for every transport.
"""

from __future__ import annotations

from urllib.parse import urljoin

from ..errors import TransportError
from .models import RequestBuildError, WireRequest, WireResponse
from .urls import describe_url, is_absolute, origin, parse_url

#: Status codes that are followed; 300 and 304 are not redirects to follow.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

#: Headers dropped when the target has another origin: credentials, and a Host written in the
#: spec, which names the old server.
CROSS_ORIGIN_DROPPED = frozenset({"authorization", "cookie", "proxy-authorization", "host"})

#: Headers that describe the body, dropped when a redirect turns the request into a bodiless GET.
BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "transfer-encoding"})


def _location(response: WireResponse) -> str | None:
    values = response.header_values("location")
    if not values or values[0].strip() == "":
        return None
    return values[0].strip()


def _target(request: WireRequest, location: str) -> str:
    resolved = urljoin(request.url, location)
    if not is_absolute(resolved):  # pragma: no cover - urljoin keeps the base's scheme
        raise TransportError("redirects", f"The redirect target '{describe_url(location)}' is not a URL")
    try:
        return parse_url(resolved, encode=True).url
    except RequestBuildError as error:
        raise TransportError(
            "redirects", f"The redirect from {describe_url(request.url)} cannot be followed: {error}"
        ) from None


def _follows(request: WireRequest) -> bool:
    if request.method in ("GET", "HEAD"):
        return request.follow_redirects
    return request.follow_all_redirects


def next_redirect(request: WireRequest, response: WireResponse, hops: int) -> WireRequest | None:
    """Return the request to send after a redirect response, or None when it is not followed.

    `hops` is the number of redirects already followed for this request. A response is
    followed when its status is 301, 302, 303, 307 or 308, it has a Location, and the request's
    flag allows it: `follow_redirects` for GET and HEAD, `follow_all_redirects` for other
    methods. The Location is resolved against the request URL and must be http or https.

    The returned request drops Authorization, Cookie, Proxy-Authorization and Host when the
    target has another origin (scheme, host or port). After 301, 302 and 303 a method other than GET
    or HEAD becomes GET without a body and without the headers that describe a body; 307 and
    308 keep the method and body.

    Raises TransportError (kind `redirects`) when `max_redirects` hops were already followed,
    and when the Location is not a usable http(s) URL.
    """
    if response.status not in REDIRECT_STATUSES:
        return None
    location = _location(response)
    if location is None or not _follows(request):
        return None
    if hops >= request.max_redirects:
        raise TransportError(
            "redirects",
            f"Stopped after {request.max_redirects} redirects; {describe_url(request.url)} still redirects. "
            "Check the URL or turn off followRedirects to read the redirect response.",
        )

    target = _target(request, location)
    headers = list(request.headers)
    if origin(parse_url(target, encode=True)) != origin(parse_url(request.url, encode=True)):
        headers = [(name, value) for name, value in headers if name.lower() not in CROSS_ORIGIN_DROPPED]

    method = request.method
    body = request.body
    if response.status in (301, 302, 303) and method not in ("GET", "HEAD"):
        method = "GET"
        body = None
        headers = [(name, value) for name, value in headers if name.lower() not in BODY_HEADERS]

    return request.replace(url=target, method=method, headers=headers, body=body)
