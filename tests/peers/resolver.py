"""A DNS stand-in and a connection tripwire, for tests of what the bot dials.

`fake_dns` answers chosen names from a table (a list of answers per name is
served one per lookup, the last repeating: a name that changes its answer),
counts lookups, and can hang names until the test ends; every other name goes
to the real resolver. It replaces socket.getaddrinfo, which asyncio's default
pool, botocore and the bot's own resolver all call.

`tripwire` records every socket connect of this process and refuses any to
an address outside 127.0.0.0/8 and ::1, so that a test of a refusal can
never send traffic off the machine even when the code under test is wrong.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class FakeDns:
    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    hung: set[str] = field(default_factory=set)
    lookups: dict[str, int] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    blocked: int = 0

    def answer(self, name: str, *addresses: str) -> None:
        """`name` resolves to `addresses`, every time."""
        self.answers[name] = [list(addresses)]

    def answer_in_turn(self, name: str, *answers: list[str]) -> None:
        """`name` resolves to answers[0], then answers[1], ... (the last repeats)."""
        self.answers[name] = list(answers)

    def hang(self, name: str) -> None:
        """Lookups of `name` never answer (until the test ends)."""
        self.hung.add(name)


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDns]:
    dns = FakeDns()
    real = socket.getaddrinfo
    lock = threading.Lock()

    def getaddrinfo(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        with lock:
            dns.lookups[name] = dns.lookups.get(name, 0) + 1
            count = dns.lookups[name]
        if name in dns.hung:
            with lock:
                dns.blocked += 1
            dns.release.wait()
            raise socket.gaierror(socket.EAI_AGAIN, "released at the end of the test")
        if name not in dns.answers:
            return real(host, port, *args, **kw)
        turns = dns.answers[name]
        addresses = turns[min(count, len(turns)) - 1]
        family = kw.get("family", args[0] if args else 0)
        return [_info(a, int(port or 0)) for a in addresses if _fits(a, family)] or _none()

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        yield dns
    finally:
        dns.release.set()  # hung lookups end with the test


def _info(address: str, port: int) -> tuple[Any, ...]:
    if ipaddress.ip_address(address).version == 6:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


def _fits(address: str, family: int) -> bool:
    version = ipaddress.ip_address(address).version
    return family in (0, socket.AF_UNSPEC) or (family == socket.AF_INET6) == (version == 6)


def _none() -> list[Any]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@dataclass
class Tripwire:
    connects: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        return [a for a in self.connects if not _loopback(a)]


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.partition("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Tripwire:
    wire = Tripwire()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            wire.connects.append(host)
            if not _loopback(host):
                raise ConnectionRefusedError(f"tripwire: {host} is not loopback")

    def connect(sock: socket.socket, address: Any) -> None:
        guard(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        guard(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return wire
