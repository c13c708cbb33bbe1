"""Turn evaluated request directives into a `WireRequest`.

`build_request` applies the request rules in this order: URL (base joining, encoding, scheme and
host checks), `qs` (replaces the query string), method, headers, body and its Content-Type, then
timeout and redirect settings. It performs no I/O.
"""

from __future__ import annotations

import base64
import logging
import math
import re

from ..iml.values import UNDEFINED, Value, to_string, type_name
from . import qs as qs_encoding
from .bodies import encode_body, normalize_body_type
from .models import RequestBuildError, WireRequest
from .urls import describe_url, is_absolute, join_base, parse_url, replace_query

__all__ = ["DEFAULT_TIMEOUT_MS", "MAX_TIMEOUT_MS", "RequestBuildError", "build_request"]

logger = logging.getLogger("imlconnect.http")

DEFAULT_TIMEOUT_MS = 40_000
MAX_TIMEOUT_MS = 300_000

#: Methods whose body and request type are ignored.
BODYLESS_METHODS = frozenset({"GET", "HEAD"})

#: Headers derived from the body by the transport; values written in the spec are dropped so
#: that they cannot contradict the bytes sent.
_DERIVED_HEADERS = frozenset({"content-length", "transfer-encoding"})

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Node.js accepts header values made of tab, visible ASCII, space and Latin-1 characters.
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*$")


def _resolve_url(url: Value, base_url: str | None, encode_url: bool) -> tuple[str, str | None, str | None]:
    text = to_string(url).strip() if url is not UNDEFINED else ""
    if text == "":
        raise RequestBuildError("The request URL is empty; set url to an absolute URL or a path")
    if not is_absolute(text):
        base = (base_url or "").strip()
        if base == "":
            raise RequestBuildError(
                f"The URL '{describe_url(text)}' is relative and the app has no baseUrl; "
                "use an absolute URL or add baseUrl to the base file"
            )
        if not is_absolute(base):
            raise RequestBuildError(f"The app's baseUrl '{describe_url(base)}' is not an absolute URL")
        text = join_base(base, text)
    parsed = parse_url(text, encode=encode_url)
    return parsed.url, parsed.username, parsed.password


def _method(method: Value) -> str:
    if method is UNDEFINED or method is None:
        return "GET"
    text = to_string(method).strip()
    if text == "":
        return "GET"
    if not _TOKEN.match(text):
        raise RequestBuildError(f"The method '{text[:40]}' is not a valid HTTP method name")
    return text.upper()


def _header_pairs(headers: Value) -> list[tuple[str, str]]:
    if headers is UNDEFINED or headers is None:
        return []
    if not isinstance(headers, dict):
        raise RequestBuildError(f"headers must be a collection of name and value, not {type_name(headers)}")

    # Names are case-insensitive: a later duplicate replaces the earlier value and casing but
    # keeps the position of the first one.
    chosen: dict[str, tuple[str, str]] = {}
    for raw_name, value in headers.items():
        name = str(raw_name).strip()
        if not _TOKEN.match(name):
            printable_name = name.replace("\r", "\\r").replace("\n", "\\n")[:60]
            raise RequestBuildError(
                f"The header name '{printable_name}' is not valid; a header name is letters, digits and !#$%&'*+-.^_`|~"
            )
        key = name.lower()
        if value is UNDEFINED or value is None:
            chosen.pop(key, None)
            continue
        text = to_string(value).strip(" \t")
        if not _HEADER_VALUE.match(text):
            raise RequestBuildError(
                f"The value of the header '{name}' contains a line break, a control character or a "
                "character beyond Latin-1; remove it or encode the value"
            )
        chosen[key] = (name, text)
    return list(chosen.values())


def _timeout_seconds(timeout_ms: Value) -> float:
    if timeout_ms is UNDEFINED or timeout_ms is None:
        return DEFAULT_TIMEOUT_MS / 1000
    number: float
    if isinstance(timeout_ms, bool):
        raise RequestBuildError("timeout must be a number of milliseconds, not a boolean")
    if isinstance(timeout_ms, (int, float)):
        number = float(timeout_ms)
    else:
        try:
            number = float(to_string(timeout_ms).strip())
        except ValueError:
            raise RequestBuildError(
                f"timeout must be a number of milliseconds, not {type_name(timeout_ms)}"
            ) from None
    if not math.isfinite(number) or number < 1:
        raise RequestBuildError(f"timeout must be from 1 to {MAX_TIMEOUT_MS} milliseconds")
    if number > MAX_TIMEOUT_MS:
        logger.debug("timeout of %s ms lowered to the maximum of %s ms", number, MAX_TIMEOUT_MS)
        number = MAX_TIMEOUT_MS
    return number / 1000


def _with_content_type(headers: list[tuple[str, str]], automatic: str) -> list[tuple[str, str]]:
    """Add the body's Content-Type unless the spec set one.

    A spec that sets `multipart/form-data` without a boundary gets the body's boundary appended,
    because the parts cannot be found without it.
    """
    for index, (name, value) in enumerate(headers):
        if name.lower() != "content-type":
            continue
        written = value.strip().lower()
        if (
            automatic.startswith("multipart/")
            and written.startswith("multipart/")
            and "boundary=" not in written
        ):
            boundary = automatic.partition("boundary=")[2]
            headers = list(headers)
            headers[index] = (name, f"{value.rstrip('; ')}; boundary={boundary}")
        return headers
    return [*headers, ("Content-Type", automatic)]


def _has(headers: list[tuple[str, str]], name: str) -> bool:
    return any(key.lower() == name for key, _ in headers)


def build_request(
    *,
    url: Value,
    method: Value = None,
    headers: Value = None,
    qs: Value = None,
    qs_present: bool = False,
    body: Value = None,
    body_type: str | None = "json",
    encode_url: bool | None = True,
    base_url: str | None = None,
    ca: str | None = None,
    follow_redirects: bool | None = True,
    follow_all_redirects: bool | None = True,
    gzip: bool | None = False,
    timeout_ms: Value = DEFAULT_TIMEOUT_MS,
    request_id: str = "",
) -> WireRequest:
    """Build the wire request for evaluated request directives.

    - `url` is rendered with `toString()`; a relative URL is joined to `base_url` (see
      `urls.join_base`). Only http and https are accepted. `encode_url` (default true)
      percent-encodes characters not allowed in a URL; false sends it as written.
    - `qs`, when `qs_present`, replaces the URL's query string, encoded as `qs.stringify` does;
      an empty, undefined or null `qs` removes the query string.
    - `method` defaults to GET and is upper-cased.
    - `headers`: names are case-insensitive and a later duplicate wins, also when its value is
      undefined or null, which leaves the header out. Other values are sent as `toString()`
      without surrounding spaces.
      `Content-Length` and `Transfer-Encoding` are dropped because the transport derives them.
    - `body` is ignored for GET and HEAD. Otherwise, unless it is undefined or null, it is
      encoded for `body_type` (see `bodies`) and the matching Content-Type is added unless the
      headers already set one.
    - Credentials in the URL become an `Authorization: Basic` header unless one is set.
    - `gzip` adds `Accept-Encoding: gzip, deflate` unless the headers set Accept-Encoding.
    - `timeout_ms` defaults to 40000; values above 300000 are lowered to 300000.

    None for `body_type`, `encode_url`, the redirect flags and `gzip` means their default.
    Raises RequestBuildError naming the directive that cannot be used; messages never contain
    header values or query strings.
    """
    wire_url, username, password = _resolve_url(url, base_url, True if encode_url is None else encode_url)
    if qs_present:
        if qs is not UNDEFINED and qs is not None and not isinstance(qs, dict):
            raise RequestBuildError(f"qs must be a collection of parameters, not {type_name(qs)}")
        wire_url = replace_query(wire_url, qs_encoding.stringify(qs))

    wire_method = _method(method)
    wire_headers = [pair for pair in _header_pairs(headers) if pair[0].lower() not in _DERIVED_HEADERS]

    if username is not None and not _has(wire_headers, "authorization"):
        credentials = f"{username}:{password or ''}".encode()
        wire_headers.append(("Authorization", "Basic " + base64.b64encode(credentials).decode("ascii")))

    wire_body: bytes | None = None
    kind = normalize_body_type(body_type)
    if wire_method not in BODYLESS_METHODS and body is not UNDEFINED and body is not None:
        encoded = encode_body(body, kind)
        wire_body = encoded.content
        if encoded.content_type is not None:
            wire_headers = _with_content_type(wire_headers, encoded.content_type)

    wants_gzip = bool(gzip)
    if wants_gzip and not _has(wire_headers, "accept-encoding"):
        wire_headers.append(("Accept-Encoding", "gzip, deflate"))

    return WireRequest(
        method=wire_method,
        url=wire_url,
        headers=wire_headers,
        body=wire_body,
        timeout_s=_timeout_seconds(timeout_ms),
        ca=ca or None,
        follow_redirects=True if follow_redirects is None else bool(follow_redirects),
        follow_all_redirects=True if follow_all_redirects is None else bool(follow_all_redirects),
        gzip=wants_gzip,
        request_id=request_id,
    )
