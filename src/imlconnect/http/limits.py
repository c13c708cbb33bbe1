"""Options and limits of the HTTP transports.

`TransportOptions` is the one object that `SyncTransport` and `AsyncTransport` take. It sets which
destinations the destination guard lets through, the per-phase timeouts, and the size limits that
protect the engine from huge or hostile responses. The whole-request timeout is not here: it comes
from each request (`WireRequest.timeout_s`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .guard import AllowList

if TYPE_CHECKING:
    from .models import WireRequest, WireResponse

#: Resolve a host name and port to IP address strings, as `socket.getaddrinfo` would.
Resolver = Callable[[str, int], list[str]]

#: Called before each hop of a request is sent (the first request and every redirect).
RequestHook = Callable[["WireRequest"], None]

#: Called after each hop's response has been read, with the request of that hop.
ResponseHook = Callable[["WireRequest", "WireResponse"], None]

MIB = 1024 * 1024
KIB = 1024


@dataclass(frozen=True)
class TransportOptions:
    """Settings shared by every request that one transport sends.

    Fields:
        allow_private_network: send requests to loopback, private, link-local and metadata
            addresses too (the `--allow-private-network` flag). Off by default.
        allow_hosts: destinations allowed although the guard would refuse them (the `--allow-host`
            flag): host names, matched case-insensitively with a trailing dot ignored, or IP
            addresses and CIDR networks such as `127.0.0.1` or `10.0.0.0/8`.
        resolver: function that resolves a host name and port to IP address strings. None uses
            `socket.getaddrinfo`. Tests pass a stub here so that no real lookup happens.
        connect_timeout_s: maximum seconds for one TCP connect plus TLS handshake.
        read_timeout_s: maximum seconds to wait for the next bytes from the server.
        max_response_bytes: maximum size of a response body, counted both as received and after
            gzip, deflate or br decoding.
        max_redirects: maximum number of redirects followed for one request, whatever the
            request itself allows.
        max_header_count: maximum number of header lines in a response.
        max_header_bytes: maximum total size of a response's header names and values.
        on_request: tracing hook called before each hop is sent. Exceptions it raises propagate.
        on_response: tracing hook called after each hop's response is read. Exceptions it raises
            propagate.

    Raises `UsageError` when a number is not positive or an `allow_hosts` entry is invalid.
    """

    allow_private_network: bool = False
    allow_hosts: tuple[str, ...] = ()
    resolver: Resolver | None = None
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    max_response_bytes: int = 16 * MIB
    max_redirects: int = 10
    max_header_count: int = 100
    max_header_bytes: int = 64 * KIB
    on_request: RequestHook | None = None
    on_response: ResponseHook | None = None
    allow_list: AllowList = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hosts: Any = self.allow_hosts
        if isinstance(hosts, str):
            hosts = (hosts,)
        object.__setattr__(self, "allow_hosts", tuple(hosts))
        object.__setattr__(self, "allow_list", AllowList.parse(self.allow_hosts))

        for name in ("connect_timeout_s", "read_timeout_s"):
            value = getattr(self, name)
            if not value > 0:
                raise UsageError(
                    f"Transport option {name} must be a positive number of seconds, not {value!r}."
                )
        for name in ("max_response_bytes", "max_header_count", "max_header_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise UsageError(f"Transport option {name} must be a positive integer, not {value!r}.")
        if not isinstance(self.max_redirects, int) or self.max_redirects < 0:
            raise UsageError(
                f"Transport option max_redirects must be zero or a positive integer, not {self.max_redirects!r}."
            )
