"""Wire-level request and response records shared by the builder, the parser and the transports.

`WireRequest` is what `build_request` produces and a transport sends; `WireResponse` is what a
transport returns and `parse_response` reads. Both hold plain text and bytes only, no IML values,
so the transports never import the expression language.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..errors import ImlconnectError
from ..iml.values import Value


class RequestBuildError(ImlconnectError):
    """The evaluated request directives cannot be turned into an HTTP request.

    Raised for an invalid or relative URL with no base, an unsupported scheme, a bad method, a
    header name or value that is not allowed, and a body that cannot be encoded. The message names
    the directive and never contains a header value.
    """


class ResponseParseError(ImlconnectError):
    """A response body does not parse as the requested response type.

    `type` is the resolved response type (`json`, `xml`, ...), `status` the HTTP status of the
    response and `reason` the parser's own explanation.
    """

    def __init__(self, type: str, status: int | None, reason: str) -> None:
        where = f" (status {status})" if status is not None else ""
        super().__init__(f"The response body is not valid {type}{where}: {reason}")
        self.type = type
        self.status = status
        self.reason = reason


def _find_header(headers: list[tuple[str, str]], name: str) -> list[str]:
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request, ready for a transport.

    `headers` keeps the order and the casing in which they are sent. `Host` and `Content-Length`
    are left to the transport, which derives them from `url` and `body`. `timeout_s` bounds the
    whole exchange, from connecting to the last byte. `ca` is a PEM bundle that, when set, is the
    only trusted authority. `follow_redirects` applies to GET and HEAD, `follow_all_redirects` to
    every other method, and `max_redirects` caps the hops (see `next_redirect`). `gzip` records that
    the request asked for compressed content. `request_id` is an opaque id for logs and traces.
    """

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None = None
    timeout_s: float = 40.0
    ca: str | None = None
    follow_redirects: bool = True
    follow_all_redirects: bool = True
    max_redirects: int = 10
    gzip: bool = False
    request_id: str = ""

    def header(self, name: str) -> str | None:
        """Return the value of the header `name` (case-insensitive), or None when it is absent."""
        values = _find_header(self.headers, name)
        return values[-1] if values else None

    def replace(self, **changes: Any) -> WireRequest:
        """Return a copy with the given fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class WireResponse:
    """One HTTP response as received, after the transport removed any content coding.

    `headers` keeps every header line in the order received. `url` is the URL of the request that
    produced this response, which is the last one after redirects. `redirects` lists the URLs that
    were redirected from, oldest first. `elapsed_s` is the time from sending to the last byte.
    """

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    url: str
    elapsed_s: float = 0.0
    redirects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """Return the header `name` (case-insensitive); repeated lines are joined with `, `.

        Use `header_values` for `Set-Cookie`, whose lines must not be joined.
        """
        values = _find_header(self.headers, name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        """Return every value of the header `name` (case-insensitive), in the order received."""
        return _find_header(self.headers, name)


@dataclass(frozen=True)
class ParsedResponse:
    """A response body decoded for IML.

    `body` is the IML value (UNDEFINED for an empty body), `headers` the response headers for the
    `headers` variable (see `parse.response_headers` for the merge rules), `status` the HTTP status
    and `type` the concrete response type that was applied (never `automatic`).
    """

    body: Value
    headers: dict[str, str | list[str]]
    status: int
    type: str
