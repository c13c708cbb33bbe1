"""Transport tests against real HTTP servers on 127.0.0.1.

Tests that take the `send` fixture run twice, once with `SyncTransport` and once with
`AsyncTransport`, which is how the two are held to the same behaviour.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import threading
import time
import zlib
from collections.abc import Callable

import brotli
import pytest

from imlconnect.errors import TransportError, UsageError
from imlconnect.http.limits import TransportOptions
from imlconnect.http.models import WireRequest, WireResponse
from imlconnect.http.transport import (
    _DECODE_STEP_BYTES,
    AsyncTransport,
    SyncTransport,
    _decoders_for,
    display_url,
)

Sender = Callable[[WireRequest, TransportOptions], WireResponse]


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fail(send: Sender, request: WireRequest, options: TransportOptions) -> TransportError:
    with pytest.raises(TransportError) as caught:
        send(request, options)
    return caught.value


def _redirect(reply, location: str, status: int = 302):
    return reply(status=status, headers=[("Location", location)])


# --- sending and receiving ---------------------------------------------------------------------


def test_get_returns_response(send, server, wire, reply, local_options):
    url = server.route("/hello", reply(status=201, headers=[("X-Answer", "42")], body=b"hi there"))

    response = send(wire(url), local_options)

    assert response.status == 201
    assert response.reason == "Created"
    assert response.body == b"hi there"
    assert response.header("x-answer") == "42"
    assert response.url == url
    assert response.redirects == []
    assert response.elapsed_s > 0


def test_request_exact_on_wire(send, server, wire, reply, local_options):
    server.route("/items", reply(status=200))
    body = b'{"name":"caf\xc3\xa9"}'
    headers = [("X-First", "1"), ("Content-Type", "application/json"), ("x-lower", "Two Words")]

    send(wire(server.url("/items?a=1&b=%20x"), "POST", headers=headers, body=body), local_options)

    recorded = server.requests[0]
    assert recorded.method == "POST"
    assert recorded.target == "/items?a=1&b=%20x"
    assert recorded.body == body
    assert recorded.headers == [
        ("Host", f"127.0.0.1:{server.port}"),
        ("X-First", "1"),
        ("Content-Type", "application/json"),
        ("x-lower", "Two Words"),
        ("Content-Length", str(len(body))),
    ]


def test_get_has_no_content_length(send, server, wire, reply, local_options):
    server.route("/plain", reply())

    send(wire(server.url("/plain")), local_options)

    assert server.requests[0].header("content-length") is None


def test_put_without_body_sends_zero(send, server, wire, reply, local_options):
    server.route("/put", reply())

    send(wire(server.url("/put"), "PUT"), local_options)

    assert server.requests[0].header("content-length") == "0"
    assert server.requests[0].body == b""


def test_host_header_from_request_wins(send, server, wire, reply, local_options):
    server.route("/host", reply())

    send(wire(server.url("/host"), headers=[("Host", "api.example.test")]), local_options)

    hosts = [value for name, value in server.requests[0].headers if name.lower() == "host"]
    assert hosts == ["api.example.test"]


def test_head_ignores_declared_length(send, server, wire, reply, local_options):
    server.route("/big", reply(headers=[("Content-Length", "999999999")]))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_response_bytes=1024)

    response = send(wire(server.url("/big"), "HEAD"), options)

    assert response.status == 200
    assert response.body == b""


def test_response_header_encodings(send, server, wire, reply, local_options):
    server.route(
        "/h",
        reply(
            headers=[("X-Utf8", "caf\u00e9".encode().decode("latin-1")), ("X-Multi", "a"), ("X-Multi", "b")]
        ),
    )

    response = send(wire(server.url("/h")), local_options)

    assert response.header("x-utf8") == "caf\u00e9"
    assert response.header_values("x-multi") == ["a", "b"]


def test_status_without_reason_phrase(send, server, wire, reply, local_options):
    server.route("/raw", reply(raw=b"HTTP/1.1 418 \r\nContent-Length: 2\r\n\r\nok"))

    response = send(wire(server.url("/raw")), local_options)

    assert response.status == 418
    assert response.reason == "I'm a Teapot"
    assert response.body == b"ok"


def test_connection_reused(server, wire, reply, local_options):
    server.route("/a", reply(body=b"1"))

    with SyncTransport(local_options) as transport:
        transport.send(wire(server.url("/a")))
        transport.send(wire(server.url("/a")))

    assert len(server.requests) == 2
    assert server.requests[0].client_port == server.requests[1].client_port


def test_threads_share_transport(server, wire, reply, local_options):
    server.route("/shared", reply(stall_s=0.1, body=b"ok"))
    results: list[bytes] = []

    with SyncTransport(local_options) as transport:
        workers = [
            threading.Thread(target=lambda: results.append(transport.send(wire(server.url("/shared"))).body))
            for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=5)

    assert results == [b"ok"] * 4
    assert len(server.requests) == 4


def test_closed_transport_raises(server, wire, local_options):
    transport = SyncTransport(local_options)
    transport.close()

    with pytest.raises(UsageError):
        transport.send(wire(server.url("/")))


def test_hooks_see_every_hop(send, server, wire, reply):
    server.route("/start", _redirect(reply, "/end"))
    server.route("/end", reply(body=b"done"))
    seen_requests: list[str] = []
    seen_responses: list[tuple[str, int]] = []
    options = TransportOptions(
        allow_hosts=("127.0.0.1",),
        on_request=lambda request: seen_requests.append(request.url),
        on_response=lambda request, response: seen_responses.append((request.url, response.status)),
    )

    send(wire(server.url("/start")), options)

    assert seen_requests == [server.url("/start"), server.url("/end")]
    assert seen_responses == [(server.url("/start"), 302), (server.url("/end"), 200)]


# --- redirects -----------------------------------------------------------------------------------


def test_redirect_303_post_becomes_get(send, server, wire, reply, local_options):
    server.route("/form", _redirect(reply, "/result", 303))
    server.route("/result", reply(body=b"result"))

    response = send(
        wire(server.url("/form"), "POST", headers=[("Content-Type", "text/plain")], body=b"payload"),
        local_options,
    )

    assert response.body == b"result"
    assert [record.method for record in server.requests] == ["POST", "GET"]
    assert server.requests[1].body == b""
    assert server.requests[1].header("content-type") is None
    assert response.url == server.url("/result")
    assert response.redirects == [server.url("/form")]


def test_redirect_307_keeps_body(send, server, wire, reply, local_options):
    server.route("/old", _redirect(reply, "/new", 307))
    server.route("/new", reply(body=b"ok"))

    send(wire(server.url("/old"), "POST", body=b"same bytes"), local_options)

    assert [record.method for record in server.requests] == ["POST", "POST"]
    assert server.requests[1].body == b"same bytes"
    assert server.requests[1].header("content-length") == "10"


def test_cross_origin_drops_authorization(send, server, other_server, wire, reply, local_options):
    server.route("/go", _redirect(reply, other_server.url("/landing")))
    other_server.route("/landing", reply(body=b"there"))
    headers = [("Authorization", "Bearer secret-token"), ("X-Keep", "yes")]

    response = send(wire(server.url("/go"), headers=headers), local_options)

    assert response.body == b"there"
    assert server.requests[0].header("authorization") == "Bearer secret-token"
    assert other_server.requests[0].header("authorization") is None
    assert other_server.requests[0].header("x-keep") == "yes"
    assert other_server.requests[0].header("host") == f"127.0.0.1:{other_server.port}"


def test_same_origin_keeps_authorization(send, server, wire, reply, local_options):
    server.route("/go", _redirect(reply, "/stay"))
    server.route("/stay", reply())

    send(wire(server.url("/go"), headers=[("Authorization", "Basic abc")]), local_options)

    assert server.requests[1].header("authorization") == "Basic abc"


def test_redirect_loop_stops(send, server, wire, reply, local_options):
    server.route("/loop", _redirect(reply, "/loop"))

    error = _fail(send, wire(server.url("/loop"), max_redirects=3), local_options)

    assert error.kind == "redirects"
    assert len(server.requests) == 4


def test_options_cap_redirects(send, server, wire, reply):
    server.route("/1", _redirect(reply, "/2"))
    server.route("/2", _redirect(reply, "/3"))
    server.route("/3", reply())
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_redirects=1)

    error = _fail(send, wire(server.url("/1")), options)

    assert error.kind == "redirects"
    assert "more than 1 times" in error.message
    assert len(server.requests) == 2


def test_redirect_not_followed_when_off(send, server, wire, reply, local_options):
    server.route("/moved", _redirect(reply, "/elsewhere", 301))

    response = send(wire(server.url("/moved"), follow_redirects=False), local_options)

    assert response.status == 301
    assert response.header("location") == "/elsewhere"
    assert len(server.requests) == 1


# --- limits ---------------------------------------------------------------------------------------


def test_body_over_limit(send, server, wire, reply):
    server.route("/large", reply(body=b"x" * 50_000))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_response_bytes=10_000)

    error = _fail(send, wire(server.url("/large")), options)

    assert error.kind == "too_large"
    assert "10000 bytes" in error.message


def test_streamed_body_over_limit(send, server, wire, reply):
    server.route("/stream", reply(chunks=[b"y" * 4096] * 10))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_response_bytes=10_000)

    error = _fail(send, wire(server.url("/stream")), options)

    assert error.kind == "too_large"


def test_body_at_limit_passes(send, server, wire, reply):
    server.route("/exact", reply(body=b"z" * 10_000))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_response_bytes=10_000)

    response = send(wire(server.url("/exact")), options)

    assert len(response.body) == 10_000


def test_decoded_size_counts(send, server, wire, reply):
    bomb = gzip.compress(b"\0" * 2_000_000)
    server.route("/bomb", reply(headers=[("Content-Encoding", "gzip")], body=bomb))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_response_bytes=100_000)

    error = _fail(send, wire(server.url("/bomb")), options)

    assert len(bomb) < 100_000
    assert error.kind == "too_large"
    assert "after decoding" in error.message


def test_header_count_limit(send, server, wire, reply):
    server.route("/many", reply(headers=[(f"X-H{index}", "v") for index in range(30)]))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_header_count=20)

    error = _fail(send, wire(server.url("/many")), options)

    assert error.kind == "too_large"
    assert "headers" in error.message


def test_header_size_limit(send, server, wire, reply):
    server.route("/wide", reply(headers=[("X-Wide", "w" * 5000)]))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_header_bytes=4096)

    error = _fail(send, wire(server.url("/wide")), options)

    assert error.kind == "too_large"
    assert "4096 bytes" in error.message


# --- content coding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
    ],
)
def test_compressed_body_decoded(send, server, wire, reply, local_options, coding, compress):
    text = b'{"message": "compressed"}' * 50
    server.route("/packed", reply(headers=[("Content-Encoding", coding)], body=compress(text)))

    response = send(
        wire(server.url("/packed"), headers=[("Accept-Encoding", "gzip, deflate, br")]), local_options
    )

    assert response.body == text
    assert response.header("content-encoding") == coding


def test_raw_deflate_decoded(send, server, wire, reply, local_options):
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    text = b"raw deflate without the zlib header " * 20
    packed = compressor.compress(text) + compressor.flush()
    server.route("/raw-deflate", reply(headers=[("Content-Encoding", "deflate")], body=packed))

    response = send(wire(server.url("/raw-deflate")), local_options)

    assert response.body == text


def test_stacked_codings_decoded(send, server, wire, reply, local_options):
    text = b"deflate first, then gzip " * 30
    server.route(
        "/stacked",
        reply(headers=[("Content-Encoding", "deflate, gzip")], body=gzip.compress(zlib.compress(text))),
    )

    response = send(wire(server.url("/stacked")), local_options)

    assert response.body == text


def test_gzip_in_tiny_chunks(send, server, wire, reply, local_options):
    text = b"streamed in one-byte pieces " * 10
    packed = zlib.compress(text)
    chunks = [packed[index : index + 1] for index in range(len(packed))]
    server.route("/tiny", reply(headers=[("Content-Encoding", "deflate")], chunks=chunks))

    response = send(wire(server.url("/tiny")), local_options)

    assert response.body == text


def test_unknown_coding_kept(send, server, wire, reply, local_options):
    server.route("/odd", reply(headers=[("Content-Encoding", "x-custom")], body=b"opaque bytes"))

    response = send(wire(server.url("/odd")), local_options)

    assert response.body == b"opaque bytes"


def test_brotli_bomb_stopped(send, server, wire, reply):
    bomb = brotli.compress(b"\0" * 5_000_000)
    server.route("/br-bomb", reply(headers=[("Content-Encoding", "br")], body=bomb))
    options = TransportOptions(allow_hosts=("127.0.0.1",), max_response_bytes=100_000)

    error = _fail(send, wire(server.url("/br-bomb")), options)

    assert len(bomb) < 1000
    assert error.kind == "too_large"
    assert "after decoding" in error.message


@pytest.mark.parametrize(
    ("coding", "packed"),
    [
        ("gzip", gzip.compress(b"\0" * 3_000_000)),
        ("deflate", zlib.compress(b"\0" * 3_000_000)),
        ("br", brotli.compress(b"\0" * 3_000_000)),
    ],
)
def test_decoding_steps_bounded(coding, packed):
    decoder = _decoders_for([("Content-Encoding", coding)])[0]

    pieces = list(decoder.feed(packed)) + list(decoder.finish())

    assert sum(len(piece) for piece in pieces) == 3_000_000
    # brotli may overshoot the requested step a little because its output buffer grows in blocks.
    assert max(len(piece) for piece in pieces) <= 2 * _DECODE_STEP_BYTES


@pytest.mark.parametrize(
    ("coding", "packed"),
    [
        ("gzip", gzip.compress(b"cut short " * 200)[:-12]),
        ("deflate", zlib.compress(b"cut short " * 200)[:-6]),
        ("br", brotli.compress(b"cut short " * 200)[:-3]),
    ],
)
def test_truncated_body_is_protocol_error(send, server, wire, reply, local_options, coding, packed):
    server.route("/cut", reply(headers=[("Content-Encoding", coding)], body=packed))

    error = _fail(send, wire(server.url("/cut")), local_options)

    assert error.kind == "protocol"
    assert "ends early" in error.message


def test_corrupt_gzip_is_protocol_error(send, server, wire, reply, local_options):
    server.route("/broken", reply(headers=[("Content-Encoding", "gzip")], body=b"not gzip at all"))

    error = _fail(send, wire(server.url("/broken")), local_options)

    assert error.kind == "protocol"
    assert "could not be decoded" in error.message


# --- failures -------------------------------------------------------------------------------------


def test_total_timeout(send, server, wire, reply, local_options):
    server.route("/slow", reply(stall_s=3.0))
    started = time.monotonic()

    error = _fail(send, wire(server.url("/slow?token=abc"), timeout_s=0.3), local_options)

    assert error.kind == "timeout"
    assert error.message == f"The request to {server.url('/slow')} timed out after 0.3 s."
    assert time.monotonic() - started < 2.0


def test_timeout_covers_slow_body(send, server, wire, reply, local_options):
    server.route("/drip", reply(chunks=[b"d"] * 40, chunk_pause_s=0.05))
    started = time.monotonic()

    error = _fail(send, wire(server.url("/drip"), timeout_s=0.4), local_options)

    assert error.kind == "timeout"
    assert "timed out after 0.4 s" in error.message
    assert time.monotonic() - started < 1.5


def test_deadline_bounds_each_read(send, server, wire, reply, local_options):
    # The status line arrives after 0.4 s, then the server goes quiet. The read that waits for the
    # rest must stop at the 0.6 s deadline, not 0.6 s after it started.
    server.route("/half", reply(stall_s=0.4, raw=b"HTTP/1.1 200 OK\r\n", chunks=[b""], chunk_pause_s=3.0))
    started = time.monotonic()

    error = _fail(send, wire(server.url("/half"), timeout_s=0.6), local_options)

    assert error.kind == "timeout"
    assert time.monotonic() - started < 0.85


def test_timeout_covers_redirect_hops(send, server, wire, reply, local_options):
    server.route("/first", lambda record: reply(status=302, headers=[("Location", "/second")], stall_s=0.25))
    server.route("/second", reply(stall_s=3.0))

    error = _fail(send, wire(server.url("/first"), timeout_s=0.5), local_options)

    assert error.kind == "timeout"
    assert server.url("/second") in error.message


def test_read_timeout_phase(send, server, wire, reply):
    server.route("/quiet", reply(stall_s=3.0))
    options = TransportOptions(allow_hosts=("127.0.0.1",), read_timeout_s=0.2)

    error = _fail(send, wire(server.url("/quiet"), timeout_s=5.0), options)

    assert error.kind == "timeout"
    assert "sent nothing for 0.2 s" in error.message


def test_connection_refused(send, wire, local_options):
    port = _closed_port()

    error = _fail(send, wire(f"http://127.0.0.1:{port}/"), local_options)

    assert error.kind == "connect"
    assert error.message == f"Could not connect to 127.0.0.1:{port}: connection refused."


def test_next_address_after_refusal(send, server, wire, reply):
    server.route("/ok", reply(body=b"second address"))
    options = TransportOptions(
        allow_private_network=True,
        resolver=lambda host, port: ["127.0.0.2", "127.0.0.1"],
    )

    response = send(wire(f"http://service.test:{server.port}/ok"), options)

    assert response.body == b"second address"
    assert server.requests[0].header("host") == f"service.test:{server.port}"


def test_garbage_answer(send, server, wire, reply, local_options):
    server.route("/junk", reply(raw=b"HELLO this is not HTTP\r\n\r\n"))

    error = _fail(send, wire(server.url("/junk")), local_options)

    assert error.kind == "protocol"
    assert "The server sent an invalid HTTP response" in error.message


def test_empty_answer(send, server, wire, reply, local_options):
    server.route("/hangup", reply(raw=b""))

    error = _fail(send, wire(server.url("/hangup")), local_options)

    assert error.kind == "protocol"
    assert "closed the connection" in error.message


def test_dns_failure(send, wire):
    def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    error = _fail(send, wire("http://missing.example.test/"), TransportOptions(resolver=resolver))

    assert error.kind == "dns"
    assert "missing.example.test" in error.message
    assert "Name or service not known" in error.message


def test_unsupported_scheme(send, wire, local_options):
    error = _fail(send, wire("ftp://127.0.0.1/file"), local_options)

    assert error.kind == "protocol"
    assert "'ftp'" in error.message


def test_messages_hide_secrets(send, server, wire, reply, local_options):
    server.route("/junk", reply(raw=b"NOT HTTP\r\n\r\n"))
    request = wire(
        server.url("/junk?api_key=query-secret"),
        "POST",
        headers=[("Authorization", "Bearer header-secret")],
        body=b"body-secret",
    )

    error = _fail(send, request, local_options)

    for secret in ("query-secret", "header-secret", "body-secret"):
        assert secret not in error.message


def test_invalid_header_value(send, server, wire, local_options):
    request = wire(server.url("/"), headers=[("X-Bad", "line\r\nbreak-secret")])

    error = _fail(send, request, local_options)

    assert error.kind == "protocol"
    assert "break-secret" not in error.message
    assert server.requests == []


def test_logs_without_secrets(send, server, wire, reply, local_options, caplog):
    server.route("/logged", reply(status=204))
    request = wire(
        server.url("/logged?api_key=query-secret"),
        headers=[("Authorization", "Bearer header-secret")],
        request_id="req-77",
    )

    with caplog.at_level(logging.DEBUG, logger="imlconnect.http"):
        send(request, local_options)

    text = "\n".join(record.getMessage() for record in caplog.records if record.name == "imlconnect.http")
    assert "req-77" in text
    assert f"GET {server.url('/logged')}" in text
    assert "204" in text
    assert "query-secret" not in text
    assert "header-secret" not in text


# --- helpers and the async transport's own behaviour ------------------------------------------


def test_display_url_strips_secrets():
    shown = display_url("https://user:pw@api.example.test:8443/v1/me?key=abc#frag")

    assert shown == "https://api.example.test:8443/v1/me"


def test_async_concurrent_requests(server, wire, reply, local_options):
    server.route("/wait", reply(stall_s=0.3, body=b"late"))

    async def run() -> tuple[list[WireResponse], float]:
        async with AsyncTransport(local_options) as transport:
            started = time.monotonic()
            responses = await asyncio.gather(*(transport.send(wire(server.url("/wait"))) for _ in range(4)))
            return list(responses), time.monotonic() - started

    responses, elapsed = asyncio.run(run())

    assert [response.body for response in responses] == [b"late"] * 4
    assert elapsed < 1.0
