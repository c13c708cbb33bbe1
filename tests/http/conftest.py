"""Shared fixtures for the transport tests: real HTTP(S) servers on 127.0.0.1 and a socket watch.

`serve()` starts a threaded server whose routes return scripted `Reply` objects and that records
every request as it arrived on the wire. `send` runs a request through `SyncTransport` or
`AsyncTransport` (the fixture is parametrized over both), so each test using it checks that the
two behave the same. `connect_watch` records every outgoing `connect()` and lets through only
the addresses a test allows, so guard tests can prove that no socket was opened.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from imlconnect.http.limits import TransportOptions
from imlconnect.http.models import WireRequest, WireResponse
from imlconnect.http.transport import AsyncTransport, SyncTransport


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    client_port: int

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


@dataclass
class Reply:
    """The response a route sends.

    `raw` replaces the status line and headers with these bytes; `chunks` then follow and the
    connection closes. `stall_s` waits before responding (cut short when the server stops).
    `chunks` sends the body in pieces with `chunk_pause_s` after each, without a Content-Length.
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw: bytes | None = None
    stall_s: float = 0.0
    chunks: list[bytes] | None = None
    chunk_pause_s: float = 0.0


Route = Reply | Callable[[Recorded], Reply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = Recorded(self.command, self.path, list(self.headers.items()), body, self.client_address[1])
        owner.requests.append(record)
        reply = owner.reply_for(record)

        if reply.stall_s:
            owner.stopping.wait(reply.stall_s)
        if reply.raw is not None:
            self.wfile.write(reply.raw)
            self.wfile.flush()
            self.close_connection = True
            self._write_chunks(reply)
            return

        self.send_response_only(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        names = {name.lower() for name, _ in reply.headers}
        if reply.chunks is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif "content-length" not in names:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if reply.chunks is None:
            self.wfile.write(reply.body)
            return
        self._write_chunks(reply)

    def _write_chunks(self, reply: Reply) -> None:
        for chunk in reply.chunks or []:
            self.wfile.write(chunk)
            self.wfile.flush()
            if reply.chunk_pause_s and self.server.owner.stopping.wait(reply.chunk_pause_s):
                return

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean: the server logs nothing."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: LoopbackServer, ssl_context: ssl.SSLContext | None) -> None:
        self.owner = owner
        self.ssl_context = ssl_context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the connection's own thread, so a client that rejects the
        # certificate only ends that thread.
        if self.ssl_context is not None:
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hang up early: several tests do that on purpose."""


class LoopbackServer:
    """A threaded HTTP or HTTPS server on 127.0.0.1 with scripted routes."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self.stopping = threading.Event()
        self._server = _Server(self, ssl_context)
        self.port: int = self._server.server_address[1]
        self.scheme = "https" if ssl_context is not None else "http"
        self.origin = f"{self.scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"loopback-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return self.origin + path

    def route(self, path: str, reply: Route) -> str:
        """Register the reply for a path (query ignored) and return the path's full URL."""
        self.routes[path] = reply
        return self.url(path)

    def reply_for(self, record: Recorded) -> Reply:
        route = self.routes.get(record.target.split("?", 1)[0])
        if route is None:
            return Reply(status=404, body=b"no route")
        return route(record) if callable(route) else route

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackServer]]:
    """Start loopback servers on demand; all stop when the test ends."""
    started: list[LoopbackServer] = []

    def start(ssl_context: ssl.SSLContext | None = None) -> LoopbackServer:
        server = LoopbackServer(ssl_context)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(serve: Callable[..., LoopbackServer]) -> LoopbackServer:
    return serve()


@pytest.fixture
def other_server(serve: Callable[..., LoopbackServer]) -> LoopbackServer:
    """A second server: another port, so another origin."""
    return serve()


@pytest.fixture
def reply() -> type[Reply]:
    """The `Reply` class, for scripting routes: `server.route("/x", reply(status=204))`."""
    return Reply


@pytest.fixture
def local_options() -> TransportOptions:
    """Options that allow the loopback test servers and nothing else."""
    return TransportOptions(allow_hosts=("127.0.0.1",))


def _make_wire(url: str, method: str = "GET", **fields: Any) -> WireRequest:
    fields.setdefault("headers", [])
    fields.setdefault("timeout_s", 5.0)
    fields.setdefault("request_id", "test-request")
    return WireRequest(method=method, url=url, **fields)


@pytest.fixture
def wire() -> Callable[..., WireRequest]:
    """Build a `WireRequest` with test defaults: no headers, 5 s timeout."""
    return _make_wire


Sender = Callable[[WireRequest, TransportOptions], WireResponse]


def _send_sync(request: WireRequest, options: TransportOptions) -> WireResponse:
    with SyncTransport(options) as transport:
        return transport.send(request)


def _send_async(request: WireRequest, options: TransportOptions) -> WireResponse:
    async def run() -> WireResponse:
        async with AsyncTransport(options) as transport:
            return await transport.send(request)

    return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def send(request: pytest.FixtureRequest) -> Sender:
    """Send one request with a fresh transport; runs the test once per transport kind."""
    return _send_sync if request.param == "sync" else _send_async


@dataclass
class ConnectWatch:
    """Outgoing connects seen during a test. Only `(host, port)` pairs in `allowed` really connect."""

    calls: list[tuple[str, int]] = field(default_factory=list)
    allowed: set[tuple[str, int]] = field(default_factory=set)
    lookups: list[str] = field(default_factory=list)


@pytest.fixture
def connect_watch(monkeypatch: pytest.MonkeyPatch) -> ConnectWatch:
    """Record every socket connect and host lookup; refuse connects not in `allowed`.

    A refused connect fails with ECONNREFUSED without touching the network. Lookups of names (not
    IP literals) through `socket.getaddrinfo` are recorded and fail, so a test that passes a stub
    resolver can assert that no real lookup happened.
    """
    watch = ConnectWatch()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        pair = (str(address[0]), int(address[1]))
        watch.calls.append(pair)
        if pair in watch.allowed:
            return real_connect(self, address)
        raise ConnectionRefusedError(errno.ECONNREFUSED, "connect intercepted by the test")

    def connect_ex(self: socket.socket, address: Any) -> int:
        pair = (str(address[0]), int(address[1]))
        watch.calls.append(pair)
        if pair in watch.allowed:
            return real_connect_ex(self, address)
        return errno.ECONNREFUSED

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            watch.lookups.append(text)
            raise socket.gaierror(socket.EAI_NONAME, "lookup intercepted by the test") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return watch
