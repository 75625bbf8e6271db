"""`dns`: look a name up (A, AAAA, CNAME, MX, TXT), or an address up in a
DNS blocklist, at a resolver the site config names.

The resolver comes from the site config (`dns.resolvers`), never from the
runbook's text or an alert: a runbook names it (`resolver: internal`), and
without a name the host's own resolver (/etc/resolv.conf) answers. dnspython
speaks the protocol; the whole lookup runs within the check's deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from bot.checks import params as base
from bot.checks.addresses import check_host
from bot.checks.budget import within
from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain
from bot.checks.params import JMESPath, truthy
from bot.checks.result import CheckResult, ErrorKind, one_line
from bot.checks.spec import CheckType

if TYPE_CHECKING:
    # dnspython is imported where a lookup is made: `triage lint` validates
    # dns checks without it (about 90 ms of imports; issue 19).
    import dns.asyncresolver
    import dns.resolver

Record = Literal["A", "AAAA", "CNAME", "MX", "TXT"]
DnsName = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9_*.-]+\.?$")
]
SYSTEM = "system"


class Params(base.Params):
    name: DnsName | None = None
    """The name to look up."""
    record: Record = "A"
    blocklist: DnsName | None = None
    """A DNS blocklist zone (e.g. zen.spamhaus.org): look `address` up in it."""
    address: str | None = None
    """The IPv4 or IPv6 address looked up in `blocklist`."""
    resolver: str | None = Field(None, min_length=1)
    """A resolver named in the site config's `dns.resolvers`; unset: the host's own."""
    expect: JMESPath | None = None
    """Must be true of the result; unset: some answer (a lookup), not listed (a blocklist)."""

    @model_validator(mode="after")
    def _one_question(self) -> Params:
        if (self.name is None) == (self.blocklist is None):
            raise ValueError("give either name (a lookup) or blocklist and address")
        if self.blocklist is not None:
            if self.address is None:
                raise ValueError("a blocklist lookup needs the address to look up")
            ipaddress.ip_address(self.address)  # ValueError names it
        elif self.address is not None:
            raise ValueError("address goes with blocklist; a lookup names only name")
        return self

    @property
    def query(self) -> str:
        """The name actually asked for."""
        if self.blocklist is None:
            return str(self.name)
        import dns.reversename  # noqa: PLC0415

        reverse = dns.reversename.from_address(str(self.address))
        labels = reverse.relativize(dns.reversename.ipv4_reverse_domain).to_text()
        if ipaddress.ip_address(str(self.address)).version == 6:
            labels = reverse.relativize(dns.reversename.ipv6_reverse_domain).to_text()
        return f"{labels}.{self.blocklist.rstrip('.')}"

    @property
    def rdtype(self) -> Record:
        return "A" if self.blocklist is not None else self.record


class NoResolver(Exception):
    def __init__(self, result: CheckResult) -> None:
        self.result = result


def nameservers(params: Params, ctx: RunContext) -> tuple[str, list[tuple[str, int]]]:
    """(the resolver's name, its nameservers); system: none listed."""
    if params.resolver is None:
        return SYSTEM, []
    found = ctx.dns.resolvers.get(params.resolver)
    if found is None:
        known = ", ".join(sorted(ctx.dns.resolvers)) or "none"
        summary = f"no resolver {params.resolver!r} in the site config (configured: {known})"
        raise NoResolver(CheckResult.skipped(summary))
    return params.resolver, [split_nameserver(n) for n in found]


def split_nameserver(text: str) -> tuple[str, int]:
    """`10.0.0.2`, `10.0.0.2:5353`, `fd00::2` or `[fd00::2]:53` -> (address, port)."""
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest.removeprefix(":") or 53)
    elif text.count(":") == 1:
        host, _, number = text.partition(":")
        port = int(number)
    ipaddress.ip_address(host)
    check_host(host)
    if not 1 <= port <= 65535:
        raise ValueError(f"nameserver {text!r}: port out of range")
    return host, port


def _resolver(servers: list[tuple[str, int]], lifetime: float) -> dns.asyncresolver.Resolver:
    import dns.asyncresolver  # noqa: PLC0415
    import dns.nameserver  # noqa: PLC0415

    if servers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(h, p) for h, p in servers]
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = lifetime
    resolver.timeout = lifetime
    return resolver


async def run(params: Params, ctx: RunContext) -> CheckResult:
    import dns.exception  # noqa: PLC0415
    import dns.resolver  # noqa: PLC0415

    try:
        name, servers = nameservers(params, ctx)
    except NoResolver as exc:
        return exc.result
    where = f"{params.query} {params.rdtype} at resolver {name}"
    resolver = _resolver(servers, ctx.timeout * 0.9)
    try:
        async with asyncio.timeout(within(ctx.timeout)):
            answers = await _ask(resolver, params.query, params.rdtype)
            reason = await _reason(resolver, params) if answers and params.blocklist else None
    except TimeoutError:
        return _no_answer(where, ctx)
    except dns.exception.Timeout:
        return _no_answer(where, ctx)
    except dns.resolver.NXDOMAIN:
        answers, reason = None, None
    except dns.resolver.NoNameservers as exc:
        said = _rcodes(exc)
        return CheckResult.failed(
            one_line(f"{where}: resolver answered {said}"), kind=ErrorKind.DNS
        )
    facts = _facts(params, name, answers, reason)
    return _judge(params, where, facts)


def _no_answer(where: str, ctx: RunContext) -> CheckResult:
    summary = f"{where}: no answer within {ctx.timeout:g} s (resolver down or unreachable?)"
    return CheckResult.failed(summary, kind=ErrorKind.TIMEOUT)


async def _ask(resolver: dns.asyncresolver.Resolver, query: str, rdtype: str) -> list[str]:
    """The answers as text; [] when the name exists without such records."""
    import dns.resolver  # noqa: PLC0415

    try:
        answer = await resolver.resolve(query, rdtype, search=False)
    except dns.resolver.NoAnswer:
        return []
    return sorted(_text(r, rdtype) for r in answer)


def _text(rdata: Any, rdtype: str) -> str:
    if rdtype == "TXT":
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    return str(rdata.to_text())


async def _reason(resolver: dns.asyncresolver.Resolver, params: Params) -> str | None:
    """A listing's TXT record says why, when the blocklist publishes one."""
    import dns.exception  # noqa: PLC0415

    try:
        found = await _ask(resolver, params.query, "TXT")
    except dns.exception.DNSException:
        return None
    return "; ".join(found) or None


def _rcodes(exc: dns.resolver.NoNameservers) -> str:
    errors = exc.kwargs.get("errors") or []
    said = sorted({str(e[3]).rsplit(" answered ", 1)[-1] for e in errors})
    return ", ".join(said) or "nothing usable"


def _facts(params: Params, resolver: str, answers: list[str] | None, reason: str | None) -> Any:
    if params.blocklist is not None:
        return {
            "address": params.address,
            "blocklist": params.blocklist,
            "listed": bool(answers),
            "codes": answers or [],
            "reason": reason,
            "resolver": resolver,
        }
    return {
        "name": params.name,
        "record": params.record,
        "exists": answers is not None,
        "answers": answers or [],
        "resolver": resolver,
    }


def _judge(params: Params, where: str, facts: dict[str, Any]) -> CheckResult:
    said = _said(params, facts)
    if params.expect is not None:
        holds, wanted = truthy(params.expect.search(facts)), params.expect.expression
    elif params.blocklist is not None:
        holds, wanted = not facts["listed"], "not listed"
    else:
        holds, wanted = bool(facts["answers"]), f"at least one {params.record} record"
    summary = one_line(f"{where}: {said}")
    if holds:
        return CheckResult.passed(summary, details=facts, result=facts)
    kind = ErrorKind.DNS if params.blocklist is None and not facts["exists"] else None
    summary = one_line(f"{summary}; expected {wanted}")
    return CheckResult.failed(summary, kind=kind, details=facts, result=facts)


def _said(params: Params, facts: dict[str, Any]) -> str:
    if params.blocklist is not None:
        if not facts["listed"]:
            return f"{params.address} is not listed in {params.blocklist}"
        why = f" ({facts['reason']})" if facts["reason"] else ""
        return f"{params.address} is LISTED in {params.blocklist}: {', '.join(facts['codes'])}{why}"
    if not facts["exists"]:
        return "name does not exist (NXDOMAIN)"
    if not facts["answers"]:
        return f"the name exists but has no {params.record} records"
    return ", ".join(facts["answers"])


def _words(params: Words) -> str:
    at = f" at resolver {code(plain(params['resolver']))}" if params.get("resolver") else ""
    if params.get("blocklist"):
        address, zone = code(plain(params.get("address"))), code(plain(params["blocklist"]))
        return f"looks {address} up in the DNS blocklist {zone}{at}"
    record = code(plain(params.get("record", "A")))
    return f"looks up the {record} records of {code(plain(params.get('name')))}{at}"


def _dry_call(p: Params, ctx: RunContext) -> tuple[str, Call]:
    call: Call = {"type": "dns", "query": p.query, "record": p.rdtype}
    try:
        name, servers = nameservers(p, ctx)
    except NoResolver as exc:
        call["note"] = exc.result.summary
        return f"nothing: {exc.result.summary}", call
    shown = [f"{h}:{port}" for h, port in servers] or ["the host's resolver (/etc/resolv.conf)"]
    call |= {"resolver": name, "nameservers": shown}
    return f"DNS {p.rdtype} query for {p.query} to {', '.join(shown)}", call


CHECK = CheckType(
    name="dns",
    params=Params,
    run=run,
    description="Look a name up (A, AAAA, CNAME, MX, TXT), or an address up in a DNS "
    "blocklist, at a resolver the site config names; judge the answers.",
    describe=_words,
    dry_call=_dry_call,
    from_runbook_only=frozenset({"name", "resolver", "blocklist", "address"}),
)
