"""Threat: the bot is made to dial what the catalogue does not name.

The runbook's spelling of a host is judged when it loads (tests/checks/
test_addresses.py). Here the attacks come later: a catalogue name that
*resolves* to the instance metadata address, a peer that redirects to a
name resolving there, to another port of this host, to a private address,
to 0.0.0.0, or to a URL httpx cannot parse, and a name that changes its
answer between a judgement and a dial. Every check dial (tcp, tls,
starttls, http, blackbox/Prometheus vantage points) resolves through one
resolver, judges every resolved address and dials the address it judged.

DNS is a stand-in (tests/peers/resolver.py); the tripwire refuses and counts any
connect off loopback, and a sentinel listener counts connects to a port of
this host no check names. Every test asserts both are zero.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.checks import blackbox, http, tcp, tls
from bot.checks.addresses import ip_for, redirect_reason
from bot.checks.context import RunContext, VantagePoint, VantageSettings
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.resolver import FakeDns, Tripwire
from tests.peers.sentinel import accepted

CTX = RunContext(timeout=3.0)
INSIDE = [
    "169.254.169.254",  # IMDS
    "fd00:ec2::254",  # IMDS over IPv6
    "169.254.10.10",  # any link-local
    "fe80::1",  # IPv6 link-local
    "0.0.0.0",  # reaches this host
    "::",
    "::ffff:169.254.169.254",  # IMDS inside IPv6
]


class _Redirector(BaseHTTPRequestHandler):
    """GET /go answers 302 to whatever the test put in `location`; /ok is 200."""

    protocol_version = "HTTP/1.1"
    location = ""

    def do_GET(self) -> None:
        if self.path == "/ok":
            self._send(200, {}, b"ok")
        else:
            self._send(302, {"Location": type(self).location}, b"")

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def redirector() -> Iterator[tuple[type[_Redirector], int]]:
    handler = type("Handler", (_Redirector,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def assert_refused(result: object, tripwire: Tripwire, sentinel: socket.socket) -> None:
    assert result.status is CheckStatus.ERROR, result.summary  # type: ignore[attr-defined]
    assert result.error_kind is ErrorKind.DENIED, result.summary  # type: ignore[attr-defined]
    assert tripwire.outside == []
    assert accepted(sentinel) == 0


# --- the first dial: a catalogue name that resolves inside ---------------------


async def _tcp(host: str) -> object:
    return await tcp.run(tcp.Params(host=host, port=25), CTX)


async def _tls(host: str) -> object:
    return await tls.run(tls.Params(host=host, port=443), CTX)


async def _http(host: str) -> object:
    return await http.run(http.Params(url=f"http://{host}/"), CTX)


async def _vantage(host: str) -> object:
    point = VantagePoint(name="vpc", kind="blackbox", url=f"http://{host}:9115")
    ctx = RunContext(timeout=3.0, vantage=VantageSettings(points={"vpc": point}))
    params = blackbox.Params(vantage="vpc", module="tcp_connect", target="mail:25")
    return await blackbox.run(params, ctx)


DIALS = {"tcp": _tcp, "tls": _tls, "http": _http, "vantage": _vantage}


@pytest.mark.parametrize("address", INSIDE)
@pytest.mark.parametrize("dial", sorted(DIALS))
async def test_a_name_resolving_to_a_forbidden_address_is_never_dialled(
    fake_dns: FakeDns, tripwire: Tripwire, sentinel: socket.socket, dial: str, address: str
) -> None:
    fake_dns.answer("innocent.example.test", address)
    result = await DIALS[dial]("innocent.example.test")
    assert_refused(result, tripwire, sentinel)
    summary: str = result.summary  # type: ignore[attr-defined]
    assert address in summary or "unspecified" in summary, summary
    assert tripwire.connects == []


async def test_a_name_with_one_forbidden_address_among_good_ones_is_refused(
    fake_dns: FakeDns, tripwire: Tripwire, sentinel: socket.socket
) -> None:
    port = sentinel.getsockname()[1]
    fake_dns.answer("mixed.example.test", "127.0.0.1", "169.254.169.254")
    result = await tcp.run(tcp.Params(host="mixed.example.test", port=port), CTX)
    assert_refused(result, tripwire, sentinel)


# --- redirects --------------------------------------------------------------------


def redirects(port: int, sentinel_port: int) -> dict[str, str]:
    return {
        "name resolving to IMDS": "http://evil.example.test/latest/meta-data/",
        "name resolving to IMDS over IPv6": "http://evil6.example.test/",
        "another port of this host": f"http://127.0.0.1:{sentinel_port}/",
        "another port, by name": f"http://localhost:{sentinel_port}/",
        "0.0.0.0": f"http://0.0.0.0:{sentinel_port}/",
        "IPv4-mapped loopback": f"http://[::ffff:127.0.0.1]:{sentinel_port}/",
        "a private address": f"http://10.1.2.3:{sentinel_port}/",
        "a name resolving private": f"http://private.example.test:{sentinel_port}/",
        "same address, other name": f"http://alias.example.test:{port}/ok",
        "scheme-relative": "//evil.example.test/",
        "https on another host": "https://evil.example.test/",
        "backslashes (#11.7)": "http:\\\\169.254.169.254\\",
        "userinfo trick": f"http://127.0.0.1:{port}@evil.example.test/",
    }


REDIRECT_NAMES = sorted(redirects(0, 0))


@pytest.mark.parametrize("name", REDIRECT_NAMES)
async def test_a_redirect_off_the_target_is_not_followed(
    fake_dns: FakeDns,
    tripwire: Tripwire,
    sentinel: socket.socket,
    redirector: tuple[type[_Redirector], int],
    name: str,
) -> None:
    handler, port = redirector
    fake_dns.answer("evil.example.test", "169.254.169.254")
    fake_dns.answer("evil6.example.test", "fd00:ec2::254")
    fake_dns.answer("private.example.test", "10.9.9.9")
    fake_dns.answer("alias.example.test", "127.0.0.1")
    handler.location = redirects(port, sentinel.getsockname()[1])[name]

    result = await http.run(http.Params(url=f"http://127.0.0.1:{port}/go"), CTX)

    assert result.status is not CheckStatus.PASS, result.summary
    assert result.error_kind in (ErrorKind.DENIED, ErrorKind.PROTOCOL), result.summary
    assert "crashed" not in result.summary
    assert tripwire.outside == []
    assert accepted(sentinel) == 0
    assert all(a == "127.0.0.1" for a in tripwire.connects), tripwire.connects


async def test_a_redirect_within_the_target_is_followed(
    tripwire: Tripwire, redirector: tuple[type[_Redirector], int]
) -> None:
    handler, port = redirector
    handler.location = "/ok"
    result = await http.run(http.Params(url=f"http://127.0.0.1:{port}/go"), CTX)
    assert result.status is CheckStatus.PASS, result.summary
    assert tripwire.outside == []


async def test_redirect_hosts_opens_a_host_but_never_an_address_inside(
    fake_dns: FakeDns,
    tripwire: Tripwire,
    sentinel: socket.socket,
    redirector: tuple[type[_Redirector], int],
) -> None:
    handler, port = redirector
    fake_dns.answer("www.example.test", "127.0.0.1")
    fake_dns.answer("evil.example.test", "169.254.169.254")

    handler.location = f"http://www.example.test:{port}/ok"
    listed = http.Params(
        url=f"http://127.0.0.1:{port}/go", redirect_hosts=[f"www.example.test:{port}"]
    )
    assert (await http.run(listed, CTX)).status is CheckStatus.PASS

    handler.location = "http://evil.example.test/"
    hostile = http.Params(url=f"http://127.0.0.1:{port}/go", redirect_hosts=["evil.example.test"])
    result = await http.run(hostile, CTX)
    assert_refused(result, tripwire, sentinel)
    assert "169.254.169.254" in result.summary


def test_a_redirect_may_not_lead_further_inside_than_its_target() -> None:
    public, private, loop = ip_for("93.184.216.34"), ip_for("10.0.0.5"), ip_for("127.0.0.1")
    assert redirect_reason([public], [private]) is not None
    assert redirect_reason([public], [loop]) is not None
    assert redirect_reason([private], [loop]) is not None
    assert redirect_reason([private], [ip_for("10.0.0.6")]) is None
    assert redirect_reason([loop], [loop]) is None
    assert redirect_reason([private], [ip_for("169.254.169.254")]) is not None


# --- DNS rebinding ----------------------------------------------------------------


async def test_the_address_judged_is_the_address_dialled(
    fake_dns: FakeDns, tripwire: Tripwire, sentinel: socket.socket
) -> None:
    """A name answering loopback once, then the metadata address: a dialler
    that judged one lookup and dialled after another would reach IMDS."""
    port = sentinel.getsockname()[1]
    fake_dns.answer_in_turn("flip.example.test", ["127.0.0.1"], ["169.254.169.254"])
    result = await tcp.run(tcp.Params(host="flip.example.test", port=port), CTX)
    assert result.status is CheckStatus.PASS, result.summary
    assert fake_dns.lookups["flip.example.test"] == 1
    assert tripwire.connects == ["127.0.0.1"]
    assert accepted(sentinel) == 1
