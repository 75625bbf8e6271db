"""Docs words and dry-run calls of the socket probes: `tcp`, `tls`, `starttls`."""

from __future__ import annotations

from typing import Any

from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain
from bot.checks.query_response import address


def _at(params: Words) -> str:
    return code(f"{plain(params.get('host'))}:{plain(params.get('port'))}")


def _certificate(params: Words) -> str:
    name = params.get("server_name") or params.get("host")
    text = f", certificate for {code(plain(name))}"
    if params.get("verify") is False:
        text += " (chain and name not verified)"
    days = params.get("min_days_valid")
    return text + (f", valid {plain(days)}+ more days" if days else "")


def tcp_words(params: Words) -> str:
    banner, send = params.get("banner"), params.get("send")
    text = f"TCP connection to {_at(params)}"
    text += f", first line matching {code(plain(banner))}" if banner else ""
    if send:
        text += f", sends {code(plain(send))} and expects {code(plain(params.get('expect')))}"
    return text


def tls_words(params: Words) -> str:
    return f"TLS handshake with {_at(params)}{_certificate(params)}"


def starttls_words(params: Words) -> str:
    protocol = code(plain(params.get("protocol")))
    return f"{protocol} STARTTLS upgrade on {_at(params)}{_certificate(params)}"


def tcp_call(p: Any, ctx: RunContext) -> tuple[str, Call]:
    where = address(p.host, p.port)
    banner = p.banner.pattern if p.banner else None
    say = f"TCP connect to {where}" + (f", read a banner matching /{banner}/" if banner else "")
    call: Call = {"type": "tcp", "connect": where, "banner": banner}
    if p.send is not None:
        call |= {"send": p.send, "expect": p.expect.pattern}
        say += f", send {p.send!r}, read an answer matching /{p.expect.pattern}/"
    return say, call


def tls_call(p: Any, ctx: RunContext) -> tuple[str, Call]:
    where, sni = address(p.host, p.port), p.server_name or p.host
    call = {
        "type": "tls",
        "connect": where,
        "sni": sni,
        "verify": p.verify,
        "ca_file": p.ca_file or ctx.ca_file or "system trust store",
    }
    return f"TCP connect to {where}, TLS handshake with SNI {sni}", call


def starttls_call(p: Any, ctx: RunContext) -> tuple[str, Call]:
    _, call = tls_call(p, ctx)
    call |= {"type": "starttls", "protocol": p.protocol}
    where = call["connect"]
    say = f"TCP connect to {where}, {p.protocol.upper()} STARTTLS, TLS handshake with SNI "
    return say + call["sni"], call
