"""Send a `WireRequest` over real HTTP and return a `WireResponse`.

`SyncTransport` and `AsyncTransport` behave the same, and only the I/O differs. Both use httpcore
directly (HTTP/1.1 only) rather than an `httpx.Client`. A client adds default headers and applies
its own redirect and proxy rules, but the request on the wire must be exactly the `WireRequest`:
its method, URL, headers in order and body bytes. The transport adds only `Host` (unless the
request sets it) and `Content-Length`.

Safety rules that every request follows:

- Destination guard. A `GuardedBackend` (an httpcore network backend) resolves each host ONCE
  through `guard.check_destination` and connects to the checked addresses, so no second DNS
  lookup can swap in another address. httpcore still passes the URL's host name to the TLS
  handshake, so certificates are checked against the name and not the address.
- Redirects are followed here, hop by hop, with `redirects.next_redirect`. Each new origin goes
  through the guard again when its connection is opened.
- `WireRequest.timeout_s` is a deadline for the whole request, from resolving the host to the last
  byte of the last redirect. Every socket operation is bounded by the time left and by the
  per-phase timeouts of `TransportOptions`.
- Response bodies are read as a stream and stopped at `max_response_bytes`, both as received and
  after decoding. gzip, deflate and br are decoded in steps of about 64 KiB of output, so a
  small compressed body cannot expand in memory far beyond the limit. Header count and size are
  limited too.
- Every failure is raised as `TransportError(kind, message)`. Messages name the URL without its
  query string and never contain request headers or bodies.

Credentials written in a URL (`https://user:pass@host/`) are never sent: the request builder
moves them into an `Authorization` header, and the transport drops any that remain.
"""

from __future__ import annotations

import errno
import logging
import re
import ssl
import threading
import time
import typing
import zlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpcore
import idna

from ..errors import TransportError, UsageError
from .guard import IPAddress, check_destination, check_destination_async, format_seconds, normalize_host
from .limits import TransportOptions
from .models import WireRequest, WireResponse
from .redirects import next_redirect
from .tls import ca_digest, context_for_ca, default_context, describe_tls_error, find_ssl_error

__all__ = [
    "AsyncGuardedBackend",
    "AsyncTransport",
    "GuardedBackend",
    "SyncTransport",
    "TransportOptions",
    "display_url",
]

logger = logging.getLogger("imlconnect.http")

#: Deadline (a `time.monotonic()` value) of the request being sent in this thread or task.
_DEADLINE: ContextVar[float | None] = ContextVar("imlconnect_http_deadline", default=None)

#: Distinct `ca` values whose connection pools are kept open by one transport.
_MAX_POOLS = 16

#: Decoded bytes requested per decoding step, which bounds the memory that a small compressed
#: body can claim before the size limit is checked. zlib never returns more. brotli may return up
#: to about 1.5 times as much (98272 bytes measured with brotli 1.2.1) because its output buffer
#: grows in blocks.
_DECODE_STEP_BYTES = 64 * 1024

_DEFAULT_PORTS = {"http": 80, "https": 443}

#: Methods that send `Content-Length: 0` when they have no body, as browsers do.
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the server",
    errno.ENETUNREACH: "the network is unreachable",
    errno.EHOSTUNREACH: "the host is unreachable",
    errno.ETIMEDOUT: "the connection timed out",
    errno.EADDRNOTAVAIL: "the address is not available",
    errno.EPIPE: "the connection was closed by the server",
}


class _DeadlineExceeded(httpcore.TimeoutException):
    """The request's total time ran out during a socket operation."""


class _DecodeFailed(Exception):
    """A compressed response body is corrupt or ends early."""

    def __init__(self, coding: str, reason: str) -> None:
        super().__init__(f"{coding}: {reason}")
        self.coding = coding
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# URL and header helpers


@dataclass(frozen=True)
class _Target:
    """The parts of a request URL that the connection needs."""

    scheme: str
    host: str
    port: int
    target: str
    authority: str
    display: str


def display_url(url: str) -> str:
    """Return the URL for logs and messages: no credentials, no query string, no fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = parts.port
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _split_url(url: str) -> _Target:
    safe_url = display_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TransportError(
            "protocol", f"The URL {safe_url} is not valid ({exc}). Check the request URL."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise TransportError(
            "protocol",
            f"The URL {safe_url} uses the scheme '{scheme}', which is not supported. Use http or https.",
        )
    # `hostname` is lower case and without brackets. `normalize_host` also drops one trailing dot
    # (a fully qualified `example.com.` names the same host) and unescapes an IPv6 zone.
    host = normalize_host(parts.hostname or "")
    if host in ("", "."):
        raise TransportError("protocol", f"The URL {safe_url} has no host. Check the request URL.")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise TransportError(
                "protocol", f"The host in the URL {safe_url} is not a valid name ({exc})."
            ) from None

    port = port or _DEFAULT_PORTS[scheme]
    bracketed_host = f"[{host.split('%', 1)[0]}]" if ":" in host else host
    authority = bracketed_host if port == _DEFAULT_PORTS[scheme] else f"{bracketed_host}:{port}"
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return _Target(scheme=scheme, host=host, port=port, target=target, authority=authority, display=safe_url)


def _encode_header_value(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _wire_headers(request: WireRequest, target: _Target) -> list[tuple[bytes, bytes]]:
    """Return the headers to send: `Host` first, the request's own, then `Content-Length`."""
    headers: list[tuple[bytes, bytes]] = []
    if request.header("host") is None:
        headers.append((b"Host", target.authority.encode("ascii")))
    for name, value in request.headers:
        if name.lower() in ("content-length", "transfer-encoding"):
            continue
        headers.append((name.encode("latin-1", "replace"), _encode_header_value(value)))
    if request.body is not None:
        headers.append((b"Content-Length", str(len(request.body)).encode("ascii")))
    elif request.method.upper() in _METHODS_WITH_BODY:
        headers.append((b"Content-Length", b"0"))
    return headers


def _decode_header_value(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _response_headers(
    raw: list[tuple[bytes, bytes]], options: TransportOptions, target: _Target
) -> list[tuple[str, str]]:
    if len(raw) > options.max_header_count:
        raise TransportError(
            "too_large",
            f"The response from {target.display} has {len(raw)} headers, more than the limit of "
            f"{options.max_header_count}.",
        )
    size = sum(len(name) + len(value) + 4 for name, value in raw)
    if size > options.max_header_bytes:
        raise TransportError(
            "too_large",
            f"The response headers from {target.display} take {size} bytes, more than the limit of "
            f"{options.max_header_bytes} bytes.",
        )
    return [(name.decode("latin-1"), _decode_header_value(value)) for name, value in raw]


def _reason_phrase(status: int, extensions: typing.Mapping[str, typing.Any]) -> str:
    raw = extensions.get("reason_phrase", b"")
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    if text:
        return text
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _declared_length(headers: list[tuple[str, str]]) -> int | None:
    for name, value in headers:
        if name.lower() == "content-length":
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


# ---------------------------------------------------------------------------------------------
# Deadline and error wording


def _time_left(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


def _clamp(timeout: float | None) -> tuple[float | None, bool]:
    """Bound a socket timeout by the current request's deadline.

    Returns the timeout to use and whether the deadline, not the phase timeout, set it. Raises
    `_DeadlineExceeded` when no time is left.
    """
    left = _time_left(_DEADLINE.get())
    if left is None:
        return timeout, False
    if left <= 0:
        raise _DeadlineExceeded("the request deadline passed")
    if timeout is None or left < timeout:
        return left, True
    return timeout, False


def _where(host: str, port: int, address: IPAddress | None = None) -> str:
    shown = f"[{host}]" if ":" in host else host
    text = f"{shown}:{port}"
    if address is not None and normalize_host(host) != str(address):
        text += f" (address {address})"
    return text


def _os_error_words(exc: BaseException) -> str:
    """Return the plain reason of the first `OSError` with an errno behind `exc`."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    fallback = ""
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return _ERRNO_WORDS.get(current.errno, (current.strerror or str(current)).lower())
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        if not fallback and str(current):
            fallback = str(current)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return fallback or type(exc).__name__


def _connect_failed(host: str, port: int, address: IPAddress, exc: BaseException) -> TransportError:
    return TransportError(
        "connect", f"Could not connect to {_where(host, port, address)}: {_os_error_words(exc)}."
    )


def _connect_timed_out(host: str, port: int, address: IPAddress, timeout: float | None) -> TransportError:
    after = f" after {format_seconds(timeout)}" if timeout is not None else ""
    return TransportError("timeout", f"Could not connect to {_where(host, port, address)}: timed out{after}.")


def _tls_failed(exc: BaseException, host: str, port: int) -> TransportError | None:
    error = find_ssl_error(exc)
    if error is None:
        return None
    return TransportError("tls", describe_tls_error(error, host, port))


def _timeout_error(
    exc: httpcore.TimeoutException, request: WireRequest, target: _Target, options: TransportOptions
) -> TransportError:
    where = _where(target.host, target.port)
    left = _time_left(_DEADLINE.get())
    if isinstance(exc, _DeadlineExceeded) or (left is not None and left <= 0.01):
        return TransportError(
            "timeout", f"The request to {target.display} timed out after {format_seconds(request.timeout_s)}."
        )

    if isinstance(exc, httpcore.ConnectTimeout):
        return TransportError(
            "timeout",
            f"Could not connect to {where}: timed out after {format_seconds(options.connect_timeout_s)}.",
        )
    if isinstance(exc, httpcore.WriteTimeout):
        return TransportError(
            "timeout",
            f"Sending the request to {target.display} timed out: the server accepted no data for "
            f"{format_seconds(options.read_timeout_s)}.",
        )
    return TransportError(
        "timeout",
        f"The server at {where} sent nothing for {format_seconds(options.read_timeout_s)}, "
        f"so the request to {target.display} was stopped.",
    )


def _protocol_error(exc: httpcore.ProtocolError, target: _Target) -> TransportError:
    where = _where(target.host, target.port)
    if isinstance(exc, httpcore.LocalProtocolError):
        # h11's own message may quote a header value, which may be a secret, so it is left out.
        return TransportError(
            "protocol",
            f"The request to {target.display} is not valid HTTP/1.1 and was not sent. "
            "Check the method and the header names and values (no line breaks or control characters).",
        )

    text = str(exc)
    if "without sending" in text or "disconnected" in text.lower():
        return TransportError(
            "protocol", f"The server at {where} closed the connection without sending a complete response."
        )
    # h11 quotes the bad bytes as a Python repr (`bytearray(b'...')`); show them as plain text.
    text = re.sub(r"bytearray\(b(['\"])(.*?)\1\)", r"'\2'", text)
    detail = text if len(text) <= 200 else text[:200] + "..."
    return TransportError(
        "protocol", f"The server sent an invalid HTTP response to the request to {target.display} ({detail})."
    )


def _translate(
    exc: Exception, request: WireRequest, target: _Target, options: TransportOptions
) -> TransportError:
    """Turn an httpcore or OS exception raised while sending into a `TransportError`."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, httpcore.TimeoutException):
        return _timeout_error(exc, request, target, options)

    tls_error = _tls_failed(exc, target.host, target.port)
    if tls_error is not None:
        return tls_error
    if isinstance(exc, httpcore.ProtocolError):
        return _protocol_error(exc, target)
    if isinstance(exc, _DecodeFailed):
        return TransportError(
            "protocol",
            f"The response body from {target.display} could not be decoded as '{exc.coding}' content: {exc.reason}.",
        )

    where = _where(target.host, target.port)
    if isinstance(exc, httpcore.ReadError):
        return TransportError(
            "connect", f"The connection to {where} failed while reading the response: {_os_error_words(exc)}."
        )
    if isinstance(exc, httpcore.WriteError):
        return TransportError(
            "connect", f"The connection to {where} failed while sending the request: {_os_error_words(exc)}."
        )
    if isinstance(exc, httpcore.ConnectError):
        return TransportError("connect", f"Could not connect to {where}: {_os_error_words(exc)}.")
    if isinstance(exc, httpcore.UnsupportedProtocol):
        return TransportError("protocol", f"The request to {target.display} failed: {exc}.")
    return TransportError("connect", f"The request to {target.display} failed: {_os_error_words(exc)}.")


#: Exceptions that `_translate` turns into `TransportError`. Anything else is a bug and propagates.
_TRANSLATED = (
    TransportError,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    _DecodeFailed,
    OSError,
)


def _phase_timeouts(options: TransportOptions, deadline: float) -> dict[str, float]:
    left = max(deadline - time.monotonic(), 0.001)
    return {
        "connect": min(options.connect_timeout_s, left),
        "read": min(options.read_timeout_s, left),
        "write": min(options.read_timeout_s, left),
        "pool": left,
    }


def _too_large(target: _Target, options: TransportOptions, detail: str) -> TransportError:
    return TransportError(
        "too_large",
        f"The response body from {target.display} is larger than the limit of {options.max_response_bytes} bytes"
        f"{detail}. Raise the limit or request less data.",
    )


def _redirect_limit(request: WireRequest, options: TransportOptions) -> int:
    return max(0, min(request.max_redirects, options.max_redirects))


def _too_many_redirects(first: WireRequest, following: WireRequest, limit: int) -> TransportError:
    return TransportError(
        "redirects",
        f"The request to {display_url(first.url)} was redirected more than {limit} times "
        f"(the next redirect went to {display_url(following.url)}). Check the URL or the server's redirects.",
    )


def _build_core_request(
    request: WireRequest, target: _Target, options: TransportOptions, deadline: float
) -> httpcore.Request:
    try:
        method = request.method.upper().encode("ascii")
    except UnicodeEncodeError:
        raise TransportError("protocol", f"The request method for {target.display} is not ASCII.") from None
    return httpcore.Request(
        method=method,
        url=httpcore.URL(
            scheme=target.scheme.encode("ascii"),
            host=target.host.encode("ascii"),
            port=target.port,
            target=target.target.encode("utf-8"),
        ),
        headers=_wire_headers(request, target),
        content=request.body or b"",
        extensions={"timeout": _phase_timeouts(options, deadline)},
    )


def _log_request(request: WireRequest, target: _Target) -> None:
    logger.debug("request %s: %s %s", request.request_id, request.method, target.display)


def _log_response(request: WireRequest, target: _Target, status: int, elapsed_s: float, size: int) -> None:
    logger.debug(
        "response %s: %s %s -> %d, %d bytes in %.3f s",
        request.request_id,
        request.method,
        target.display,
        status,
        size,
        elapsed_s,
    )


def _log_failure(request: WireRequest, error: TransportError) -> None:
    logger.debug("request %s failed (%s): %s", request.request_id, error.kind, error.message)


# ---------------------------------------------------------------------------------------------
# Network backends: the destination guard at connect time, the deadline at every socket call


class _GuardedStream(httpcore.NetworkStream):
    """A connection whose reads and writes are bounded by the request deadline."""

    def __init__(self, inner: httpcore.NetworkStream, host: str, port: int) -> None:
        self._inner = inner
        self._host = host
        self._port = port

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit, by_deadline = _clamp(timeout)
        try:
            return self._inner.read(max_bytes, limit)
        except httpcore.TimeoutException:
            if by_deadline:
                raise _DeadlineExceeded("the request deadline passed") from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        limit, by_deadline = _clamp(timeout)
        try:
            self._inner.write(buffer, limit)
        except httpcore.TimeoutException:
            if by_deadline:
                raise _DeadlineExceeded("the request deadline passed") from None
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        limit, by_deadline = _clamp(timeout)
        try:
            inner = self._inner.start_tls(ssl_context, server_hostname=server_hostname, timeout=limit)
        except httpcore.TimeoutException:
            if by_deadline:
                raise _DeadlineExceeded("the request deadline passed") from None
            raise
        except (httpcore.NetworkError, OSError) as exc:
            tls_error = _tls_failed(exc, server_hostname or self._host, self._port)
            if tls_error is not None:
                raise tls_error from exc
            raise
        return _GuardedStream(inner, self._host, self._port)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore backend that checks every destination with the guard before connecting.

    `connect_tcp` resolves the host once with `check_destination`, then tries the checked
    addresses in order through the wrapped backend (httpcore's `SyncBackend` by default). Raises
    `TransportError` for refused destinations, DNS failures and failed connects.
    """

    def __init__(self, options: TransportOptions, inner: httpcore.NetworkBackend | None = None) -> None:
        self._options = options
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = check_destination(host, port, self._options, timeout_s=_time_left(_DEADLINE.get()))
        failure: TransportError | None = None
        for address in addresses:
            limit, by_deadline = _clamp(timeout)
            try:
                stream = self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=limit,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectTimeout:
                if by_deadline:
                    raise _DeadlineExceeded("the request deadline passed") from None
                failure = _connect_timed_out(host, port, address, limit)
                continue
            except (httpcore.ConnectError, OSError) as exc:
                failure = _connect_failed(host, port, address, exc)
                continue
            return _GuardedStream(stream, host, port)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise TransportError("protocol", "Unix domain sockets are not supported by the imlconnect transport.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _AsyncGuardedStream(httpcore.AsyncNetworkStream):
    """The async twin of `_GuardedStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, host: str, port: int) -> None:
        self._inner = inner
        self._host = host
        self._port = port

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit, by_deadline = _clamp(timeout)
        try:
            return await self._inner.read(max_bytes, limit)
        except httpcore.TimeoutException:
            if by_deadline:
                raise _DeadlineExceeded("the request deadline passed") from None
            raise

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        limit, by_deadline = _clamp(timeout)
        try:
            await self._inner.write(buffer, limit)
        except httpcore.TimeoutException:
            if by_deadline:
                raise _DeadlineExceeded("the request deadline passed") from None
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        limit, by_deadline = _clamp(timeout)
        try:
            inner = await self._inner.start_tls(ssl_context, server_hostname=server_hostname, timeout=limit)
        except httpcore.TimeoutException:
            if by_deadline:
                raise _DeadlineExceeded("the request deadline passed") from None
            raise
        except (httpcore.NetworkError, OSError) as exc:
            tls_error = _tls_failed(exc, server_hostname or self._host, self._port)
            if tls_error is not None:
                raise tls_error from exc
            raise
        return _AsyncGuardedStream(inner, self._host, self._port)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """The async twin of `GuardedBackend`, wrapping httpcore's `AnyIOBackend` by default.

    The host lookup runs in a worker thread so that the event loop is never blocked.
    """

    def __init__(self, options: TransportOptions, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._options = options
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await check_destination_async(
            host, port, self._options, timeout_s=_time_left(_DEADLINE.get())
        )
        failure: TransportError | None = None
        for address in addresses:
            limit, by_deadline = _clamp(timeout)
            try:
                stream = await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=limit,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectTimeout:
                if by_deadline:
                    raise _DeadlineExceeded("the request deadline passed") from None
                failure = _connect_timed_out(host, port, address, limit)
                continue
            except (httpcore.ConnectError, OSError) as exc:
                failure = _connect_failed(host, port, address, exc)
                continue
            return _AsyncGuardedStream(stream, host, port)
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TransportError("protocol", "Unix domain sockets are not supported by the imlconnect transport.")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


# ---------------------------------------------------------------------------------------------
# Response bodies: content decoding in bounded steps, size limits, the deadline between chunks


class _Decoder(typing.Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _ZlibDecoder:
    """Decoder for `gzip` and `deflate`. `deflate` accepts the zlib format and raw deflate data,
    because servers send both under that name."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._inflater: typing.Any = None
        self._pending = b""
        if coding != "deflate":
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflater is None:
            self._pending += data
            if len(self._pending) < 2:
                return
            data, self._pending = self._pending, b""
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if _has_zlib_header(data) else -zlib.MAX_WBITS)
        yield from self._inflate(data)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                output = self._inflater.decompress(data, _DECODE_STEP_BYTES)
            except zlib.error as exc:
                raise _DecodeFailed(self._coding, str(exc)) from None
            if output:
                yield output
            data = self._inflater.unconsumed_tail
            # Output shorter than the step means the input is used up and nothing is pending.
            if len(output) < _DECODE_STEP_BYTES and not data:
                return

    def finish(self) -> Iterator[bytes]:
        if self._inflater is None:
            if self._pending:
                raise _DecodeFailed(self._coding, "the compressed data ends early")
            return
        output = self._inflater.flush()
        if output:
            yield output
        if not self._inflater.eof:
            raise _DecodeFailed(self._coding, "the compressed data ends early")


def _has_zlib_header(data: bytes) -> bool:
    return data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0


class _BrotliDecoder:
    """Decoder for `br`, using the output limit of the `brotli` package (version 1.2 or later)."""

    def __init__(self) -> None:
        import brotli  # imported here because only responses that use br need it

        self._brotli = brotli
        self._decompressor = brotli.Decompressor()
        self._seen = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        self._seen = True
        try:
            output = self._decompressor.process(data, output_buffer_limit=_DECODE_STEP_BYTES)
            # Output beyond the limit stays inside the decompressor until it is asked for with
            # empty input, so drain it before the next chunk arrives.
            while output:
                yield output
                output = self._decompressor.process(b"", output_buffer_limit=_DECODE_STEP_BYTES)
        except self._brotli.error as exc:
            raise _DecodeFailed("br", str(exc) or "invalid data") from None

    def finish(self) -> Iterator[bytes]:
        if self._seen and not self._decompressor.is_finished():
            raise _DecodeFailed("br", "the compressed data ends early")
        return iter(())


def _decoders_for(headers: list[tuple[str, str]]) -> list[_Decoder]:
    """Return the decoders for a response's `Content-Encoding`, in the order to apply them.

    A body with a coding that is not gzip, deflate, br or identity is returned as received.
    """
    codings = [
        coding.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for coding in value.split(",")
        if coding.strip()
    ]
    decoders: list[_Decoder] = []
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip", "deflate"):
            decoders.append(_ZlibDecoder("deflate" if coding == "deflate" else "gzip"))
        elif coding == "br":
            try:
                decoders.append(_BrotliDecoder())
            except ImportError:
                raise _DecodeFailed("br", "the brotli package is not installed") from None
        elif coding != "identity":
            return []
    return decoders


def _pass_through(decoder: _Decoder, pieces: typing.Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder.feed(piece)


class _BodyReader:
    """Collect a response body: count it as received and decoded, stop at the size limit and at
    the request deadline."""

    def __init__(self, headers: list[tuple[str, str]], target: _Target, options: TransportOptions) -> None:
        self._decoders = _decoders_for(headers)
        self._limit = options.max_response_bytes
        self._too_large = _too_large(target, options, "")
        self._too_large_decoded = _too_large(target, options, " after decoding")
        self._parts: list[bytes] = []
        self._received = 0
        self._size = 0

    def add(self, chunk: bytes) -> None:
        """Take the next raw chunk. Raises `TransportError` or `_DecodeFailed`."""
        self._received += len(chunk)
        if self._received > self._limit:
            raise self._too_large
        _clamp(None)

        pieces: typing.Iterable[bytes] = (chunk,)
        for decoder in self._decoders:
            pieces = _pass_through(decoder, pieces)
        self._keep(pieces)

    def finish(self) -> bytes:
        """Flush the decoders and return the whole decoded body."""
        for index, decoder in enumerate(self._decoders):
            pieces: typing.Iterable[bytes] = decoder.finish()
            for later in self._decoders[index + 1 :]:
                pieces = _pass_through(later, pieces)
            self._keep(pieces)
        return b"".join(self._parts)

    def _keep(self, pieces: typing.Iterable[bytes]) -> None:
        for piece in pieces:
            self._size += len(piece)
            if self._size > self._limit:
                raise self._too_large_decoded
            self._parts.append(piece)


def _may_have_body(core_request: httpcore.Request, status: int) -> bool:
    return core_request.method != b"HEAD" and status not in (204, 304) and status >= 200


def _check_declared_length(
    headers: list[tuple[str, str]], target: _Target, options: TransportOptions
) -> None:
    declared = _declared_length(headers)
    if declared is not None and declared > options.max_response_bytes:
        raise _too_large(target, options, f" (it declares {declared} bytes)")


# ---------------------------------------------------------------------------------------------
# Shared transport state


class _PoolCache:
    """Connection pools per trust setting: one for the default authorities, one per `ca`."""

    def __init__(self, factory: typing.Callable[[ssl.SSLContext], typing.Any]) -> None:
        self._factory = factory
        self._pools: dict[str | None, typing.Any] = {}
        self._lock = threading.Lock()
        self.closed = False

    def get(self, ca: str | None) -> tuple[typing.Any, list[typing.Any]]:
        """Return the pool for `ca` and the pools evicted to make room (the caller closes them)."""
        key = None if ca is None else ca_digest(ca)
        context = default_context() if ca is None else context_for_ca(ca)
        evicted: list[typing.Any] = []
        with self._lock:
            if self.closed:
                raise UsageError("The transport is closed; create a new one to send more requests.")
            pool = self._pools.get(key)
            if pool is None:
                pool = self._factory(context)
                self._pools[key] = pool
                # NOTE: a request still running on an evicted pool fails when the caller closes
                # it. That takes more than _MAX_POOLS distinct `ca` values in flight at once.
                while len(self._pools) > _MAX_POOLS:
                    oldest = next(name for name in self._pools if name is not None)
                    evicted.append(self._pools.pop(oldest))
        return pool, evicted

    def take_all(self) -> list[typing.Any]:
        """Mark the cache closed and return every pool for closing."""
        with self._lock:
            self.closed = True
            pools = list(self._pools.values())
            self._pools.clear()
        return pools


def _final_response(response: WireResponse, started: float, history: list[str]) -> WireResponse:
    return WireResponse(
        status=response.status,
        reason=response.reason,
        headers=response.headers,
        body=response.body,
        url=response.url,
        elapsed_s=time.monotonic() - started,
        redirects=list(history),
    )


# ---------------------------------------------------------------------------------------------
# Transports


class SyncTransport:
    """Send `WireRequest`s with blocking I/O.

    Threads may share one instance, which reuses connections until it is closed. Use it as a
    context manager, or call `close()` when done.
    """

    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options or TransportOptions()
        backend = GuardedBackend(self.options)
        self._pools = _PoolCache(
            lambda context: httpcore.ConnectionPool(
                ssl_context=context, network_backend=backend, http1=True, http2=False, retries=0
            )
        )

    def __enter__(self) -> typing.Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection. Sending afterwards raises `UsageError`."""
        for pool in self._pools.take_all():
            pool.close()

    def send(self, request: WireRequest) -> WireResponse:
        """Send the request, follow its redirects and return the last response.

        Raises `TransportError` for every network, TLS, guard, timeout, size and redirect failure.
        """
        started = time.monotonic()
        deadline = started + request.timeout_s
        limit = _redirect_limit(request, self.options)
        history: list[str] = []
        current = request
        while True:
            response = self._send_hop(current, deadline, started, history)
            following = next_redirect(current, response, len(history))
            if following is None:
                return _final_response(response, started, history)
            if len(history) >= limit:
                raise _too_many_redirects(request, following, limit)
            history.append(current.url)
            current = following

    def _send_hop(
        self, request: WireRequest, deadline: float, started: float, history: list[str]
    ) -> WireResponse:
        target = _target_of(request)
        if self.options.on_request is not None:
            self.options.on_request(request)
        _log_request(request, target)
        token = _DEADLINE.set(deadline)
        try:
            pool, evicted = self._pools.get(request.ca if target.scheme == "https" else None)
            for old in evicted:
                old.close()
            core_request = _build_core_request(request, target, self.options, deadline)
            status, reason, headers, body = self._exchange(pool, core_request, target)
        except _TRANSLATED as exc:
            error = _translate(exc, request, target, self.options)
            _log_failure(request, error)
            raise error from (None if exc is error else exc)
        finally:
            _DEADLINE.reset(token)

        response = WireResponse(
            status=status,
            reason=reason,
            headers=headers,
            body=body,
            url=request.url,
            elapsed_s=time.monotonic() - started,
            redirects=list(history),
        )
        _log_response(request, target, status, response.elapsed_s, len(body))
        if self.options.on_response is not None:
            self.options.on_response(request, response)
        return response

    def _exchange(
        self, pool: httpcore.ConnectionPool, core_request: httpcore.Request, target: _Target
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        core_response = pool.handle_request(core_request)
        try:
            headers = _response_headers(core_response.headers, self.options, target)
            if _may_have_body(core_request, core_response.status):
                _check_declared_length(headers, target, self.options)
            reader = _BodyReader(headers, target, self.options)
            for chunk in typing.cast(typing.Iterable[bytes], core_response.stream):
                reader.add(chunk)
            body = reader.finish()
        finally:
            core_response.close()
        return (
            core_response.status,
            _reason_phrase(core_response.status, core_response.extensions),
            headers,
            body,
        )


class AsyncTransport:
    """Send `WireRequest`s with async I/O (asyncio or trio through AnyIO); same behaviour as
    `SyncTransport`.

    Use it as an async context manager, or await `aclose()` when done.
    """

    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options or TransportOptions()
        backend = AsyncGuardedBackend(self.options)
        self._pools = _PoolCache(
            lambda context: httpcore.AsyncConnectionPool(
                ssl_context=context, network_backend=backend, http1=True, http2=False, retries=0
            )
        )

    async def __aenter__(self) -> typing.Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection. Sending afterwards raises `UsageError`."""
        for pool in self._pools.take_all():
            await pool.aclose()

    async def send(self, request: WireRequest) -> WireResponse:
        """Send the request, follow its redirects and return the last response.

        Raises `TransportError` for every network, TLS, guard, timeout, size and redirect failure.
        """
        started = time.monotonic()
        deadline = started + request.timeout_s
        limit = _redirect_limit(request, self.options)
        history: list[str] = []
        current = request
        while True:
            response = await self._send_hop(current, deadline, started, history)
            following = next_redirect(current, response, len(history))
            if following is None:
                return _final_response(response, started, history)
            if len(history) >= limit:
                raise _too_many_redirects(request, following, limit)
            history.append(current.url)
            current = following

    async def _send_hop(
        self, request: WireRequest, deadline: float, started: float, history: list[str]
    ) -> WireResponse:
        target = _target_of(request)
        if self.options.on_request is not None:
            self.options.on_request(request)
        _log_request(request, target)
        token = _DEADLINE.set(deadline)
        try:
            pool, evicted = self._pools.get(request.ca if target.scheme == "https" else None)
            for old in evicted:
                await old.aclose()
            core_request = _build_core_request(request, target, self.options, deadline)
            status, reason, headers, body = await self._exchange(pool, core_request, target)
        except _TRANSLATED as exc:
            error = _translate(exc, request, target, self.options)
            _log_failure(request, error)
            raise error from (None if exc is error else exc)
        finally:
            _DEADLINE.reset(token)

        response = WireResponse(
            status=status,
            reason=reason,
            headers=headers,
            body=body,
            url=request.url,
            elapsed_s=time.monotonic() - started,
            redirects=list(history),
        )
        _log_response(request, target, status, response.elapsed_s, len(body))
        if self.options.on_response is not None:
            self.options.on_response(request, response)
        return response

    async def _exchange(
        self, pool: httpcore.AsyncConnectionPool, core_request: httpcore.Request, target: _Target
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        core_response = await pool.handle_async_request(core_request)
        try:
            headers = _response_headers(core_response.headers, self.options, target)
            if _may_have_body(core_request, core_response.status):
                _check_declared_length(headers, target, self.options)
            reader = _BodyReader(headers, target, self.options)
            async for chunk in typing.cast(typing.AsyncIterable[bytes], core_response.stream):
                reader.add(chunk)
            body = reader.finish()
        finally:
            await core_response.aclose()
        return (
            core_response.status,
            _reason_phrase(core_response.status, core_response.extensions),
            headers,
            body,
        )


def _target_of(request: WireRequest) -> _Target:
    try:
        return _split_url(request.url)
    except TransportError as error:
        _log_failure(request, error)
        raise
