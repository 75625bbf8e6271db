"""`tls`: implicit TLS (465, 993, 443...): handshake, chain, name, expiry.

`probe` is shared with `starttls`, which runs a plaintext dialogue first and
then judges the certificate by the same rules.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from bot.checks import params as base
from bot.checks.context import RunContext
from bot.checks.query_response import Session, Step, address
from bot.checks.result import CheckResult, ErrorKind, one_line
from bot.checks.spec import CheckType
from bot.checks.tcp import attempt
from bot.checks.tlsfacts import client_context, handshake_facts


class Params(base.Params):
    host: base.Host
    port: int = Field(ge=1, le=65535)
    server_name: str | None = None
    """Sent as SNI and checked against the certificate; defaults to `host`."""
    verify: bool = True
    """False skips the chain and name checks; `min_days_valid` still applies."""
    ca_file: str | None = None
    """Trust only this CA bundle; overrides the run's CA file. When neither is
    set, the system trust store (which honours SSL_CERT_FILE) is used."""
    min_days_valid: int = Field(0, ge=0)
    """Fail when the certificate has fewer whole days left than this."""


async def run(params: Params, ctx: RunContext) -> CheckResult:
    return await probe(params, ctx)


async def probe(
    params: Params, ctx: RunContext, *, dialogue: Sequence[Step] = (), lead: str = ""
) -> CheckResult:
    """Connect, run `dialogue` (which must upgrade to TLS) or else upgrade at
    once, and judge the certificate. `lead` opens the passing summary."""
    where = address(params.host, params.port)
    ca_file = params.ca_file or ctx.ca_file
    try:
        ssl_context = client_context(verify=params.verify, ca_file=ca_file)
    except OSError as exc:  # a missing or unreadable CA file is bad input, not a bad peer
        summary = one_line(f"{where}: cannot load CA file {ca_file}: {exc}")
        return CheckResult.errored(ErrorKind.INTERNAL, summary)
    session = Session(ssl_context=ssl_context, server_hostname=params.server_name or params.host)

    async def body() -> CheckResult:
        await session.connect(params.host, params.port)
        if dialogue:
            await session.run(dialogue)
        else:
            await session.upgrade()
        if session.tls is None:
            raise RuntimeError("the dialogue never upgraded to TLS")
        details = session.details()
        return judge(where, session.tls, params.min_days_valid, lead=lead, details=details)

    return await attempt(session, where, ctx.timeout, body)


def judge(
    where: str,
    tls: ssl.SSLObject,
    min_days_valid: int | None,
    *,
    lead: str,
    details: dict[str, Any],
) -> CheckResult:
    """The verdict on a finished handshake: its facts go into `details` and
    `result` whatever the outcome. `min_days_valid` None sets no floor."""
    facts = handshake_facts(tls)
    kw: dict[str, Any] = {"details": {**details, **facts}, "result": facts}
    days = facts.get("days_left")
    if days is None:
        return CheckResult.failed(f"{where}: peer sent no certificate", kind=ErrorKind.TLS, **kw)
    cert = _cert_name(str(facts["subject"]))
    if min_days_valid is not None and days < min_days_valid:
        summary = f"{where}: cert {cert} {_expiry(days)} (min_days_valid {min_days_valid})"
        return CheckResult.failed(summary, kind=ErrorKind.TLS, **kw)
    validity = f"valid {days} more {_unit(days)}" if days >= 0 else _expiry(days)
    summary = f"{where}: {lead}{facts['protocol']}, cert {cert} {validity}"
    return CheckResult.passed(summary, **kw)


def _cert_name(subject: str) -> str:
    # handshake_facts gives the bare CN when there is one, else the full DN.
    return subject if "=" in subject else f"CN={subject}"


def _expiry(days: int) -> str:
    if days < 0:
        return f"expired {-days} {_unit(-days)} ago"
    if days == 0:
        return "expires within a day"
    return f"valid only {days} more {_unit(days)}"


def _unit(days: int) -> str:
    return "day" if days == 1 else "days"


from bot.checks.sockets_described import tls_call, tls_words  # noqa: E402

CHECK = CheckType(
    name="tls",
    params=Params,
    run=run,
    description="Implicit TLS: handshake, certificate chain and name, days left.",
    describe=tls_words,
    dry_call=tls_call,
)
