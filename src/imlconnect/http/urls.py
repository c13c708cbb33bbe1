"""URL handling for wire requests: base joining, percent-encoding, validation and origins.

The URL is split with the generic syntax of RFC 3986 (appendix B). Only `http` and `https` are
accepted. Fragments are dropped because HTTP never sends them, and credentials written in the URL
(`https://user:pass@host/`) are taken out of it and handed back to the caller, which turns them
into an `Authorization: Basic` header as Node.js HTTP clients do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

import idna

from .models import RequestBuildError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_GENERIC = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.DOTALL)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST_NAME = re.compile(r"^[A-Za-z0-9\-._]+$")
_IPV6_LITERAL = re.compile(r"^\[[0-9A-Fa-f:.]+\]$")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/]*@")
_NOT_SENDABLE = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")

#: Characters kept as written in a URL: RFC 3986 unreserved and reserved characters, plus `%`
#: (stray `%` signs that do not start an escape are encoded before this set applies).
URL_SAFE = ":/?[]@!$&'()*+,;=%"

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ParsedUrl:
    """An absolute http(s) URL taken apart; `url` is the normalized text sent on the wire.

    `username` and `password` are the percent-decoded credentials written in the URL, or None.
    """

    url: str
    scheme: str
    host: str
    port: int | None
    path: str
    query: str | None
    username: str | None = None
    password: str | None = None


def without_lone_surrogates(text: str) -> str:
    """Replace unpaired UTF-16 surrogates by U+FFFD so that the text encodes as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def is_absolute(url: str) -> bool:
    """Tell whether `url` starts with a scheme (`https:`, `ftp:`, ...)."""
    return _SCHEME.match(url) is not None


def describe_url(url: str) -> str:
    """Shorten a URL for messages and logs: credentials, query and fragment are cut off.

    Query strings often carry API keys, so messages never show them.
    """
    without_query = re.split(r"[?#]", url, maxsplit=1)[0]
    return _USERINFO.sub(r"\1", without_query)


def join_base(base_url: str, url: str) -> str:
    """Join a relative `url` to the app's `base_url` the way Make does.

    This is plain concatenation with exactly one `/` between the two parts, not RFC 3986
    reference resolution: `https://a/v1` + `/me` gives `https://a/v1/me` (RFC 3986 would give
    `https://a/me`). A `url` that starts with `?` or `#` is appended without a slash.
    """
    if url == "":
        return base_url
    if url.startswith(("?", "#")):
        return base_url + url
    return base_url.rstrip("/") + "/" + url.lstrip("/")


def percent_encode_url(text: str) -> str:
    """Percent-encode the characters that a URL may not contain, as UTF-8.

    RFC 3986 unreserved and reserved characters and existing `%XX` escapes stay as written; a `%`
    that does not start an escape becomes `%25`; spaces, controls, non-ASCII and `"<>\\^`{|}`
    are encoded.
    """
    text = _BAD_PERCENT.sub("%25", without_lone_surrogates(text))
    return quote(text, safe=URL_SAFE)


def encode_host(host: str, *, encode: bool) -> str:
    """Validate a host and return it in lower case, converting non-ASCII names with IDNA.

    Raises RequestBuildError for an empty host, a host with characters that no DNS name or IP
    literal contains, and a non-ASCII host when `encode` is false.
    """
    if host == "":
        raise RequestBuildError("The URL has no host; write it as https://host/path")
    if _IPV6_LITERAL.match(host):
        return host.lower()
    if not host.isascii():
        if not encode:
            raise RequestBuildError(
                f"The URL host '{host}' is not ASCII; set encodeUrl to true or write it in punycode"
            )
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise RequestBuildError(f"The URL host '{host}' is not a valid host name: {error}") from error
    if not _HOST_NAME.match(host):
        raise RequestBuildError(
            f"The URL host '{host}' is not a valid host name; it may contain only letters, digits, "
            "'-', '.' and '_'"
        )
    return host.lower()


def _split_authority(authority: str, url_for_message: str) -> tuple[str | None, str, str | None]:
    if "\\" in authority:
        raise RequestBuildError(
            f"The URL '{url_for_message}' has a backslash in its host part; use '/' to separate the path"
        )
    userinfo: str | None = None
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise RequestBuildError(f"The URL '{url_for_message}' has an unclosed IPv6 address in its host")
        host, rest = authority[: end + 1], authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise RequestBuildError(f"The URL '{url_for_message}' has text after its IPv6 address")
        port = rest[1:] if rest else None
    else:
        host, colon, port_text = authority.partition(":")
        port = port_text if colon else None
    return userinfo, host, port


def _parse_port(port: str | None, url_for_message: str) -> int | None:
    if port is None or port == "":
        return None
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise RequestBuildError(
            f"The URL '{url_for_message}' has an invalid port '{port}'; use a number from 0 to 65535"
        )
    return int(port)


def parse_url(url: str, *, encode: bool) -> ParsedUrl:
    """Validate an absolute http(s) URL and normalize it for the wire.

    With `encode`, characters not allowed in a URL are percent-encoded (see `percent_encode_url`)
    and a non-ASCII host is converted with IDNA. Without it the URL must already be sendable:
    whitespace, controls and non-ASCII characters raise RequestBuildError. In both modes the scheme
    and host are lower-cased, an empty path becomes `/`, the fragment is dropped and credentials
    are moved out of the URL into `username` and `password`.
    """
    url_for_message = describe_url(url)
    match = _GENERIC.match(url)
    scheme_match = _SCHEME.match(url)
    if match is None or scheme_match is None:  # pragma: no cover - the pattern matches any text
        raise RequestBuildError(f"The URL '{url_for_message}' is not a valid URL")
    scheme = scheme_match.group(1).lower()
    if scheme not in DEFAULT_PORTS:
        raise RequestBuildError(
            f"The URL '{url_for_message}' uses the scheme '{scheme}'; only http and https URLs can be requested"
        )
    authority = match.group(2)
    if authority is None:
        raise RequestBuildError(f"The URL '{url_for_message}' has no host; write it as {scheme}://host/path")

    path = match.group(3) or ""
    query = match.group(4)
    if not encode:
        bad = _NOT_SENDABLE.search(url.partition("#")[0])
        if bad is not None:
            raise RequestBuildError(
                f"The URL '{url_for_message}' contains the character {bad.group()!r} at position {bad.start() + 1}, "
                "which is not allowed in a URL; set encodeUrl to true or percent-encode it"
            )

    userinfo, raw_host, raw_port = _split_authority(authority, url_for_message)
    host = encode_host(raw_host, encode=encode)
    port = _parse_port(raw_port, url_for_message)

    if encode:
        path = percent_encode_url(path)
        query = None if query is None else percent_encode_url(query)
    if path == "":
        path = "/"

    username = password = None
    if userinfo is not None:
        user_text, colon, pass_text = userinfo.partition(":")
        username = unquote(user_text)
        password = unquote(pass_text) if colon else ""

    netloc = host if port is None else f"{host}:{port}"
    text = f"{scheme}://{netloc}{path}"
    if query is not None:
        text += "?" + query
    return ParsedUrl(
        url=text,
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        query=query,
        username=username,
        password=password,
    )


def replace_query(url: str, query: str) -> str:
    """Return `url` with its query string replaced; an empty `query` removes the `?` too."""
    base = url.split("#", 1)[0].split("?", 1)[0]
    return f"{base}?{query}" if query else base


def origin(parsed: ParsedUrl) -> tuple[str, str, int]:
    """Return the (scheme, host, port) origin of a URL, with the default port filled in."""
    port = parsed.port if parsed.port is not None else DEFAULT_PORTS[parsed.scheme]
    return parsed.scheme, parsed.host, port
