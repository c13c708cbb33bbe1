"""The destination guard: which IP addresses a request may connect to.

A connection spec is untrusted input, and its URLs are templates that users fill in. Without a
guard, a spec could make the engine call services that are only reachable from inside the
machine or its network: the cloud metadata service at 169.254.169.254, an admin port on
127.0.0.1, a database on 10.0.0.5. So by default every destination is resolved once and refused
when any of its addresses is loopback, private, link-local, shared (carrier-grade NAT),
multicast, broadcast, reserved, unspecified or otherwise not publicly routable. IPv6 addresses
that embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 and 6to4) are judged by the
embedded address.

Hosts are parsed the way browsers and `inet_aton` read them, so every spelling of an address is
caught: `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` are all 127.0.0.1. A host whose last
label is a number but which is not a valid IPv4 address is refused, because resolvers disagree
on what it means.

The transports connect to the addresses that `check_destination` returns, and never resolve the
name a second time, so DNS rebinding between the check and the connect cannot happen.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from ..errors import TransportError, UsageError

if TYPE_CHECKING:
    from .limits import TransportOptions

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 ranges refused by name, checked in order (the first match names the reason).
_IPV4_RULES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/32"), "an unspecified address"),
    (_V4("0.0.0.0/8"), "a reserved 'this network' address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.169.254/32"), "the cloud metadata address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("100.64.0.0/10"), "a shared address space (carrier-grade NAT) address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
)

#: IPv6 ranges refused by name, checked in order after embedded IPv4 addresses are unwrapped.
_IPV6_RULES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("fd00:ec2::254/128"), "the cloud metadata address"),
    (_V6("fc00::/7"), "a private (unique local) address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address"),
    (_V6("ff00::/8"), "a multicast address"),
    (_V6("64:ff9b:1::/48"), "a local-use NAT64 address"),
)

#: NAT64 well-known prefix: the last 32 bits are the IPv4 address.
_NAT64 = _V6("64:ff9b::/96")
#: IPv4-translated addresses (SIIT): the last 32 bits are the IPv4 address.
_IPV4_TRANSLATED = _V6("::ffff:0:0:0/96")

_LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class AllowList:
    """Destinations that the caller allowed although the guard would refuse them.

    `names` contains lower-case host names without a trailing dot, and `networks` contains IP
    networks (a single address is a /32 or /128 network).
    """

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Parse `--allow-host` values: host names, IP addresses or CIDR networks.

        Raises `UsageError` for an empty entry or a malformed network such as `10.0.0.0/33`.
        """
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            text = str(entry).strip()
            bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
            if not bare or bare == ".":
                raise UsageError(
                    f"The allowed host {entry!r} is empty. Pass a host name, an IP address or a CIDR."
                )
            try:
                networks.append(ipaddress.ip_network(bare, strict=False))
                continue
            except ValueError as exc:
                if "/" in bare:
                    raise UsageError(
                        f"The allowed network {entry!r} is not a valid CIDR ({exc}). Write it as 10.0.0.0/8 or fd00::/8."
                    ) from None
            names.add(normalize_host(bare))
        return cls(names=frozenset(names), networks=tuple(networks))

    def allows_name(self, host: str) -> bool:
        """Return whether the normalized host name is listed."""
        return host in self.names

    def allows_address(self, address: IPAddress) -> bool:
        """Return whether the address, or the IPv4 address it embeds, lies in a listed network."""
        candidates = [_without_scope(address)]
        embedded = embedded_ipv4(address)
        if embedded is not None:
            candidates.append(embedded)
        return any(candidate in network for candidate in candidates for network in self.networks)


def normalize_host(host: str) -> str:
    """Return the host in the form the guard compares: lower case, no brackets, no trailing dot.

    An IPv6 zone written the URL way (`fe80::1%25eth0`) becomes `fe80::1%eth0`.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text.endswith(".") and text != ".":
        text = text[:-1]
    text = text.lower()
    if ":" in text and "%25" in text:
        text = text.replace("%25", "%", 1)
    return text


def parse_ip_literal(host: str) -> IPAddress | None:
    """Read a normalized host as an IP address, or return None when it is a name.

    IPv4 follows the WHATWG URL rules that browsers and `inet_aton` share: one to four parts,
    each decimal, octal (leading `0`) or hexadecimal (leading `0x`), the last part filling the
    remaining bytes. Raises `TransportError("refused_destination")` when the host looks like an
    address (it contains `:` or its last label is a number) but is not a valid one.
    """
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise TransportError(
                "refused_destination",
                f"The host '{host}' is not a valid IPv6 address, so the request was refused. Check the URL.",
            ) from None
    parts = host.split(".")
    if not _is_number_part(parts[-1]):
        return None
    value = _legacy_ipv4_value(parts)
    if value is None:
        raise TransportError(
            "refused_destination",
            f"The host '{host}' looks like an IPv4 address but is not a valid one, so the request was refused. "
            "Write the address as four decimal numbers, such as 192.0.2.10.",
        )
    return ipaddress.IPv4Address(value)


def _is_number_part(part: str) -> bool:
    if part.isascii() and part.isdigit():
        return True
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        return all(char in "0123456789abcdefABCDEF" for char in digits)
    return False


def _parse_number_part(part: str) -> int | None:
    if part == "":
        return None
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        if digits == "":
            return 0
        base = 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits.isascii() or not digits.isalnum():
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None


def _legacy_ipv4_value(parts: list[str]) -> int | None:
    if len(parts) > 4:
        return None
    numbers = [_parse_number_part(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [number for number in numbers if number is not None]
    if any(number > 255 for number in values[:-1]):
        return None
    if values[-1] >= 256 ** (5 - len(values)):
        return None
    total = values[-1]
    for index, number in enumerate(values[:-1]):
        total += number * 256 ** (3 - index)
    return total


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address carries, or None.

    Covers IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), the deprecated
    IPv4-compatible form (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`).
    """
    if isinstance(address, ipaddress.IPv4Address):
        return None
    address = _without_scope(address)
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    value = int(address)
    if address in _IPV4_TRANSLATED or address in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if 1 < value < 2**32:
        return ipaddress.IPv4Address(value)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def classify_address(address: IPAddress) -> str | None:
    """Return why the guard refuses the address (`"a loopback address"`), or None if it is public.

    The reason is a noun phrase that fits the sentence "The destination X is <reason> and was
    refused."
    """
    address = _without_scope(address)
    embedded = embedded_ipv4(address)
    if embedded is not None:
        inner = classify_address(embedded)
        if inner is None:
            return None
        return f"an IPv6 address that embeds {embedded}, {inner},"

    rules: Iterable[tuple[IPNetwork, str]]
    rules = _IPV4_RULES if isinstance(address, ipaddress.IPv4Address) else _IPV6_RULES
    for network, reason in rules:
        if address in network:
            return reason
    if not address.is_global:
        return "a special-purpose address that is not publicly routable"
    return None


def _without_scope(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


def default_resolve(host: str, port: int) -> list[str]:
    """Resolve a host name to its TCP address strings with `socket.getaddrinfo`, in its order."""
    results = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(sockaddr[0]) for _family, _type, _proto, _name, sockaddr in results]


def resolve_host(
    host: str,
    port: int,
    resolver: Callable[[str, int], list[str]] | None,
    timeout_s: float | None = None,
) -> list[IPAddress]:
    """Resolve a host name once and return its distinct addresses in the resolver's order.

    With `timeout_s`, the lookup runs in a daemon thread and is abandoned after that many seconds
    (`getaddrinfo` itself cannot be interrupted), raising `TransportError("timeout")`. Raises
    `TransportError("dns")` when the name does not resolve or the resolver returns something
    that is not an IP address.
    """
    resolve = resolver or default_resolve
    if timeout_s is None:
        raw = _call_resolver(resolve, host, port)
    else:
        raw = _call_resolver_with_timeout(resolve, host, port, timeout_s)
    return _parse_resolved(host, raw)


def _call_resolver(resolve: Callable[[str, int], list[str]], host: str, port: int) -> list[str]:
    try:
        return list(resolve(host, port))
    except socket.gaierror as exc:
        raise TransportError(
            "dns",
            f"Could not resolve the host '{host}': {exc.strerror or exc}. "
            "Check the host name in the URL and the network's DNS.",
        ) from exc
    except (OSError, UnicodeError) as exc:
        raise TransportError(
            "dns",
            f"Could not resolve the host '{host}': {exc}. Check the host name in the URL.",
        ) from exc


def _call_resolver_with_timeout(
    resolve: Callable[[str, int], list[str]], host: str, port: int, timeout_s: float
) -> list[str]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = _call_resolver(resolve, host, port)
        except Exception as exc:  # noqa: BLE001 - re-raised in the waiting thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name=f"imlconnect-resolve-{host}", daemon=True)
    worker.start()
    worker.join(max(timeout_s, 0.0))
    if worker.is_alive():
        raise TransportError(
            "timeout",
            f"Resolving the host '{host}' timed out after {format_seconds(timeout_s)}.",
        )
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]


def _parse_resolved(host: str, raw: list[str]) -> list[IPAddress]:
    addresses: list[IPAddress] = []
    for text in raw:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise TransportError(
                "dns",
                f"The resolver returned {text!r} for the host '{host}', which is not an IP address.",
            ) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TransportError("dns", f"Could not resolve the host '{host}': it has no addresses.")
    return addresses


def format_seconds(seconds: float) -> str:
    """Format a duration for messages: `40 s`, `0.3 s`."""
    return f"{seconds:g} s"


def _refusal(address: IPAddress, host: str, reason: str) -> TransportError:
    shown = str(address)
    origin = "" if normalize_host(host) == shown else f" (from host '{host}')"
    return TransportError(
        "refused_destination",
        f"The destination {shown}{origin} is {reason} and was refused. "
        f"To allow it, pass --allow-private-network or --allow-host {_without_scope(address)}.",
    )


def vet_addresses(host: str, addresses: list[IPAddress], options: TransportOptions) -> list[IPAddress]:
    """Check already resolved addresses of `host` against the guard and return them unchanged.

    Raises `TransportError("refused_destination")` when ANY address is refused, because the
    connection could go to any of them.
    """
    name = normalize_host(host)
    if options.allow_private_network or options.allow_list.allows_name(name):
        return addresses
    for address in addresses:
        if options.allow_list.allows_address(address):
            continue
        reason = classify_address(address)
        if reason is not None:
            raise _refusal(address, host, reason)
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        # Every `.localhost` name means this machine. One that resolves elsewhere is a trap, so
        # only its loopback addresses (refused above unless allowed) may pass.
        for address in addresses:
            if not _without_scope(embedded_ipv4(address) or address).is_loopback:
                raise TransportError(
                    "refused_destination",
                    f"The host '{host}' is a loopback name but resolved to {address}, so the request was refused. "
                    f"To allow it, pass --allow-private-network or --allow-host {name}.",
                )
    return addresses


def check_destination(
    host: str, port: int, options: TransportOptions, timeout_s: float | None = None
) -> list[IPAddress]:
    """Resolve `host` once and return the addresses a connection to it may use.

    An IP literal in any spelling is parsed without a lookup. A name is resolved with
    `options.resolver` (bounded by `timeout_s` when given). Raises `TransportError` with kind
    `refused_destination` when the guard refuses the destination, `dns` when the name does not
    resolve and `timeout` when the lookup takes longer than `timeout_s`.
    """
    name = normalize_host(host)
    literal = parse_ip_literal(name)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        addresses = resolve_host(name, port, options.resolver, timeout_s)
    return vet_addresses(host, addresses, options)


async def check_destination_async(
    host: str, port: int, options: TransportOptions, timeout_s: float | None = None
) -> list[IPAddress]:
    """Do what `check_destination` does, running the lookup in a worker thread.

    The event loop is never blocked by `getaddrinfo`. When `timeout_s` passes first, the lookup
    is abandoned and `TransportError("timeout")` is raised.
    """
    name = normalize_host(host)
    literal = parse_ip_literal(name)
    if literal is not None:
        return vet_addresses(host, [literal], options)

    resolve = options.resolver or default_resolve
    try:
        with anyio.fail_after(max(timeout_s, 0.0) if timeout_s is not None else None):
            raw = await anyio.to_thread.run_sync(_call_resolver, resolve, name, port, abandon_on_cancel=True)
    except TimeoutError:
        raise TransportError(
            "timeout",
            f"Resolving the host '{name}' timed out after {format_seconds(timeout_s or 0.0)}.",
        ) from None
    return vet_addresses(host, _parse_resolved(name, raw), options)
