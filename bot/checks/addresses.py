"""Addresses no check may contact: link-local and cloud metadata endpoints.

A runbook, a site config or a redirect must never point the bot at the
instance metadata service, whose answers hold credentials. The address is
judged in every spelling a resolver or URL parser accepts: dotted quads with
octal or hex parts, the short forms `a.b.c` and `a.b`, a bare 32-bit number,
IPv4 inside IPv6 (mapped, compatible, 6to4, NAT64), brackets, zone ids,
trailing dots, percent-encoding and full-width digits.

The spelling is judged when a runbook or config loads. What a name
*resolves* to is judged on every dial, redirects included, by `dial_reason`
and `redirect_reason` (see bot/checks/dial.py, which dials exactly the
address it judged).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import unicodedata
from urllib.parse import unquote, urlsplit

import httpx

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Dots that IDNA (and so some resolvers) read as ".".
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_HEX = re.compile(r"0x[0-9a-f]*")
_OCTAL = re.compile(r"0[0-7]+")
_DECIMAL = re.compile(r"[0-9]+")


class ForbiddenAddress(ValueError):
    """A host or URL that names a link-local or metadata address."""


def check_host(host: str) -> str:
    """`host` unchanged, or ForbiddenAddress saying what it really is."""
    reason = forbidden_reason(host)
    if reason is not None:
        raise ForbiddenAddress(f"{host!r} is {reason}; checks never contact it")
    return host


def check_url(url: str) -> str:
    """`url` unchanged, unless its host (as urllib or httpx reads it) is forbidden."""
    for host in _url_hosts(url):
        reason = forbidden_reason(host)
        if reason is not None:
            raise ForbiddenAddress(f"{url!r} points at {reason}; checks never contact it")
    return url


def check_target(target: str) -> str:
    """A blackbox-style target: a URL, `host:port` or a bare host."""
    if "://" in target:
        return check_url(target)
    check_host(target)
    host, sep, _port = target.rpartition(":")
    if sep and host:
        check_host(host)
    return target


def forbidden_reason(host: str) -> str | None:
    """Why `host` may not be contacted (None when it may)."""
    name = _normalise(host)
    if name in METADATA_NAMES:
        return "a cloud metadata name"
    ip = parse_ip(name)
    return _ip_reason(ip) if ip is not None else None


def parse_ip(name: str) -> IP | None:
    """The address `name` spells, as inet_aton and URL parsers read it, or None."""
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name)
        except ValueError:
            return None
    return _inet_aton(name)


def _normalise(host: str) -> str:
    name = unicodedata.normalize("NFKC", unquote(host)).translate(_DOTS).strip().lower()
    name = name.removeprefix("[").removesuffix("]").partition("%")[0]
    return name.rstrip(".")


def _inet_aton(name: str) -> ipaddress.IPv4Address | None:
    parts = name.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _number(part: str) -> int | None:
    if _HEX.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    return int(part) if _DECIMAL.fullmatch(part) else None


def _ip_reason(ip: IP) -> str | None:
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_link_local:
        return "a link-local address, where instance metadata lives"
    embedded = _embedded_v4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return _ip_reason(embedded) if embedded is not None else None


def ip_for(text: str) -> IP:
    return ipaddress.ip_address(text)


def dial_reason(ip: IP) -> str | None:
    """Why a resolved address may never be dialled (None when it may): the
    metadata and link-local addresses, and the unspecified address, which
    reaches this host whatever it was meant to reach."""
    reason = _ip_reason(ip)
    if reason is not None:
        return reason
    plain = _embedded_v4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if ip.is_unspecified or (plain is not None and plain.is_unspecified):
        return "the unspecified address (it reaches this host)"
    if ip.is_multicast:
        return "a multicast address"
    return None


def scope(ip: IP) -> int:
    """How far inside an address is: 0 public, 1 private (RFC 1918, ULA,
    CGNAT...), 2 this host (loopback)."""
    plain = _embedded_v4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    ip = plain or ip
    if ip.is_loopback:
        return 2
    return 1 if ip.is_private or ip in _SHARED else 0


def redirect_reason(first: list[IP], hop: list[IP]) -> str | None:
    """Why a redirect to a host resolving to `hop` may not be followed from a
    target that resolved to `first`: it may not lead further inside than the
    target itself is (a public site may not send the bot to 10.x or to this
    host; only a loopback target may redirect to loopback)."""
    allowed = max((scope(ip) for ip in first), default=0)
    for ip in hop:
        reason = dial_reason(ip)
        if reason is not None:
            return f"{ip} is {reason}"
        if scope(ip) > allowed:
            return f"{ip} is {_SCOPES[scope(ip)]}, further inside than the target"
    return None


_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT
_SCOPES = {0: "public", 1: "a private address", 2: "this host (loopback)"}


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv6 one, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    value = int(ip)
    if ip in _NAT64 or 1 < value < 2**32:  # NAT64, or IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def _url_hosts(url: str) -> list[str]:
    hosts = []
    with contextlib.suppress(ValueError):
        hosts.append(urlsplit(url).hostname or "")
    with contextlib.suppress(httpx.InvalidURL, ValueError, TypeError):
        hosts.append(httpx.URL(url).host)
    return [h for h in hosts if h]
