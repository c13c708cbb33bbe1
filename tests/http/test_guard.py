"""Destination guard tests.

No test here opens a socket to a refused address. Names are resolved by stub resolvers, and the
`connect_watch` fixture records every `connect()` and lets only the loopback test server through,
so each refusal test also asserts that no connection was attempted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time

import pytest

from imlconnect.errors import TransportError, UsageError
from imlconnect.http.guard import (
    AllowList,
    check_destination,
    check_destination_async,
    classify_address,
    embedded_ipv4,
    parse_ip_literal,
)
from imlconnect.http.limits import TransportOptions

#: Stub DNS for the tests. No real lookup ever happens.
ZONE = {
    "localhost": ["127.0.0.1", "::1"],
    "metadata.test": ["169.254.169.254"],
    "internal.example.test": ["10.1.2.3"],
    "mixed.example.test": ["93.184.216.34", "10.0.0.7"],
    "public.example.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "sneaky.localhost": ["93.184.216.34"],
}


def stub_resolver(host: str, port: int) -> list[str]:
    import socket

    if host not in ZONE:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return list(ZONE[host])


def guarded(**changes) -> TransportOptions:
    return TransportOptions(resolver=stub_resolver, **changes)


# --- parsing every spelling of an address -----------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("::1", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
    ],
)
def test_literal_spellings(host, expected):
    assert parse_ip_literal(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "host", ["example.com", "xn--bcher-kva.example", "1example.com", "0x7f.example", "a.b.c"]
)
def test_names_are_not_literals(host):
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "256.1.1.1", "1.2.3.0x100", "08.1.1.1", "example.123", "1..1", "::1::2"]
)
def test_invalid_literals_refused(host):
    with pytest.raises(TransportError) as caught:
        parse_ip_literal(host)

    assert caught.value.kind == "refused_destination"
    assert host in caught.value.message


# --- classification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("100.64.0.1", "shared address space"),
        ("100.127.255.254", "shared address space"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("0.1.2.3", "this network"),
        ("198.18.0.1", "not publicly routable"),
        ("2001:db8::1", "not publicly routable"),
        ("fec0::1", "site-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:0:a00:1", "private"),
        ("::127.0.0.1", "loopback"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata"),
        ("64:ff9b:1::1", "NAT64"),
        ("2002:a9fe:a9fe::1", "cloud metadata"),
        ("2002:c0a8:101::1", "private"),
    ],
)
def test_refused_addresses(address, words):
    reason = classify_address(ipaddress.ip_address(address))

    assert reason is not None
    assert words in reason


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "93.184.216.34",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_pass(address):
    assert classify_address(ipaddress.ip_address(address)) is None


def test_embedded_address_found():
    assert embedded_ipv4(ipaddress.ip_address("64:ff9b::7f00:1")) == ipaddress.ip_address("127.0.0.1")
    assert embedded_ipv4(ipaddress.ip_address("2002:7f00:1::")) == ipaddress.ip_address("127.0.0.1")
    assert embedded_ipv4(ipaddress.ip_address("2606:4700::1")) is None


# --- check_destination ----------------------------------------------------------------------------


def test_public_name_returns_all_addresses():
    addresses = check_destination("public.example.test", 443, guarded())

    assert addresses == [
        ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"),
    ]


def test_refusal_message_names_fix():
    with pytest.raises(TransportError) as caught:
        check_destination("localhost", 80, guarded())

    assert caught.value.kind == "refused_destination"
    assert caught.value.message == (
        "The destination 127.0.0.1 (from host 'localhost') is a loopback address and was refused. "
        "To allow it, pass --allow-private-network or --allow-host 127.0.0.1."
    )


def test_any_refused_address_refuses():
    with pytest.raises(TransportError) as caught:
        check_destination("mixed.example.test", 443, guarded())

    assert "10.0.0.7" in caught.value.message
    assert "private" in caught.value.message


def test_loopback_name_must_stay_local():
    with pytest.raises(TransportError) as caught:
        check_destination("sneaky.localhost", 80, guarded())

    assert caught.value.kind == "refused_destination"
    assert "loopback name" in caught.value.message


def test_literal_needs_no_lookup():
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["93.184.216.34"]

    with pytest.raises(TransportError):
        check_destination("0x7f.1", 80, TransportOptions(resolver=resolver))

    assert calls == []


def test_private_network_allowed():
    addresses = check_destination("localhost.", 80, guarded(allow_private_network=True))

    assert addresses == [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]


def test_allowed_name_matches_loosely():
    options = guarded(allow_hosts=("Internal.Example.Test.",))

    assert check_destination("INTERNAL.example.test.", 80, options) == [ipaddress.ip_address("10.1.2.3")]


def test_allowed_cidr_is_bounded():
    options = guarded(allow_hosts=("10.0.0.0/8",))

    assert check_destination("10.200.0.1", 80, options) == [ipaddress.ip_address("10.200.0.1")]
    with pytest.raises(TransportError):
        check_destination("192.168.0.1", 80, options)


def test_allowed_address_is_exact():
    options = guarded(allow_hosts=("127.0.0.1",))

    assert check_destination("::ffff:127.0.0.1", 80, options) == [ipaddress.ip_address("::ffff:127.0.0.1")]
    with pytest.raises(TransportError):
        check_destination("127.0.0.2", 80, options)


def test_resolver_garbage_is_dns_error():
    with pytest.raises(TransportError) as caught:
        check_destination("odd.test", 80, TransportOptions(resolver=lambda host, port: ["not-an-ip"]))

    assert caught.value.kind == "dns"


def test_empty_resolution_is_dns_error():
    with pytest.raises(TransportError) as caught:
        check_destination("empty.test", 80, TransportOptions(resolver=lambda host, port: []))

    assert caught.value.kind == "dns"


def test_slow_lookup_times_out():
    def slow(host: str, port: int) -> list[str]:
        time.sleep(1.0)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        check_destination("slow.test", 80, TransportOptions(resolver=slow), timeout_s=0.1)

    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 0.8


def test_slow_lookup_times_out_async():
    def slow(host: str, port: int) -> list[str]:
        time.sleep(1.0)
        return ["93.184.216.34"]

    async def run() -> None:
        await check_destination_async("slow.test", 80, TransportOptions(resolver=slow), timeout_s=0.1)

    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        asyncio.run(run())

    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 0.8


@pytest.mark.parametrize("entry", ["", "10.0.0.0/33", "[]", "fd00::/129"])
def test_bad_allow_entry(entry):
    with pytest.raises(UsageError):
        AllowList.parse([entry])


@pytest.mark.parametrize(
    "changes",
    [{"connect_timeout_s": 0}, {"read_timeout_s": -1}, {"max_response_bytes": 0}, {"max_redirects": -1}],
)
def test_bad_options(changes):
    with pytest.raises(UsageError):
        TransportOptions(**changes)


# --- the guard inside the transports: refusal before any connection -------------------------------

REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://2852039166/",
    "http://metadata.test/",
    "http://[fd00:ec2::254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[fe80::1%25eth0]/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://[fd12:3456::1]/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "https://mixed.example.test/",
    "http://1.2.3.4.5/",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_transport_refuses_before_connect(send, wire, connect_watch, url):
    with pytest.raises(TransportError) as caught:
        send(wire(url), guarded())

    assert caught.value.kind == "refused_destination"
    assert connect_watch.calls == []
    assert connect_watch.lookups == []


def test_allowed_spelling_reaches_server(send, server, wire, reply, connect_watch):
    connect_watch.allowed.add(("127.0.0.1", server.port))
    server.route("/ok", reply(body=b"reached"))

    response = send(wire(f"http://0x7f.1:{server.port}/ok"), guarded(allow_private_network=True))

    assert response.body == b"reached"
    assert connect_watch.calls == [("127.0.0.1", server.port)]
    assert server.requests[0].header("host") == f"0x7f.1:{server.port}"


def test_allowed_name_connects_checked_address(send, wire, connect_watch):
    with pytest.raises(TransportError) as caught:
        send(wire("http://Internal.Example.Test./"), guarded(allow_hosts=("internal.example.test",)))

    assert caught.value.kind == "connect"
    assert connect_watch.calls == [("10.1.2.3", 80)]


def test_allowed_cidr_in_transport(send, wire, connect_watch):
    options = guarded(allow_hosts=("10.0.0.0/8",))

    with pytest.raises(TransportError) as allowed:
        send(wire("http://10.9.9.9:8080/"), options)
    with pytest.raises(TransportError) as refused:
        send(wire("http://192.168.0.1:8080/"), options)

    assert allowed.value.kind == "connect"
    assert refused.value.kind == "refused_destination"
    assert connect_watch.calls == [("10.9.9.9", 8080)]


def test_single_lookup_no_rebinding(send, wire, connect_watch):
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return answers[min(len(lookups), 2) - 1]

    with pytest.raises(TransportError) as caught:
        send(wire("http://rebind.example.test/"), TransportOptions(resolver=rebinding))

    assert lookups == ["rebind.example.test"]
    assert connect_watch.calls == [("93.184.216.34", 80)]
    assert caught.value.kind == "connect"
    assert connect_watch.lookups == []


@pytest.mark.parametrize(
    "location",
    [
        "http://metadata.test/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://0x7f.0.0.2:{port}/",
        "http://10.0.0.1/",
    ],
)
def test_redirect_to_refused_host(send, server, wire, reply, connect_watch, location):
    connect_watch.allowed.add(("127.0.0.1", server.port))
    server.route("/jump", reply(status=302, headers=[("Location", location.format(port=server.port))]))
    options = guarded(allow_hosts=("127.0.0.1",))

    with pytest.raises(TransportError) as caught:
        send(wire(server.url("/jump")), options)

    assert caught.value.kind == "refused_destination"
    assert "--allow-host" in caught.value.message
    assert connect_watch.calls == [("127.0.0.1", server.port)]
    assert len(server.requests) == 1
