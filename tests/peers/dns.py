"""A real DNS server on loopback, built on dnspython's wire format.

It answers UDP queries from a table of records (name, type) -> rdata texts,
as an authoritative server does: NXDOMAIN for a name it has no records for,
an empty NOERROR answer (NODATA) for a name that has other types, the
CNAME when asked for another type of an alias. `mode` makes it misbehave as
real resolvers do: "servfail" answers SERVFAIL, "refused" REFUSED, "silent"
reads the query and never answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest_asyncio

TTL = 300


@dataclass
class DnsPeer:
    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    mode: str = "answer"
    queries: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add(self, name: str, rdtype: str, *values: str) -> None:
        self.records.setdefault((_fqdn(name), rdtype), []).extend(values)

    def answer(self, wire: bytes) -> bytes | None:
        query = dns.message.from_wire(wire)
        question = query.question[0]
        name, rdtype = question.name.to_text(), dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if self.mode == "silent":
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if self.mode in ("servfail", "refused"):
            response.set_rcode(dns.rcode.SERVFAIL if self.mode == "servfail" else dns.rcode.REFUSED)
            return response.to_wire()
        self._fill(response, name, rdtype)
        return response.to_wire()

    def _fill(self, response: dns.message.Message, name: str, rdtype: str) -> None:
        alias = self.records.get((name, "CNAME"))
        if alias and rdtype != "CNAME":
            response.answer.append(_rrset(name, "CNAME", alias))
            name = alias[0]
        values = self.records.get((name, rdtype))
        if values:
            response.answer.append(_rrset(name, rdtype, values))
        elif not any(n == name for n, _ in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def _rrset(name: str, rdtype: str, values: list[str]) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(name, TTL, dns.rdataclass.IN, rdtype, values)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, peer: DnsPeer) -> None:
        self.peer = peer
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # a datagram transport: it has sendto

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.peer.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


@pytest_asyncio.fixture
async def dns_server() -> AsyncIterator[DnsPeer]:
    peer = DnsPeer()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Protocol(peer), local_addr=("127.0.0.1", 0)
    )
    peer.port = transport.get_extra_info("sockname")[1]
    try:
        yield peer
    finally:
        transport.close()
