"""Our `module` executor against the real blackbox_exporter, cell by cell.

Each cell is a loopback peer with one fault and a blackbox module; the
exporter's `probe_success` and our status must agree (pass <-> 1). Both run
at once against the same peer, from the same blackbox.yml. Deliberate
differences are listed in docs/vantage-points.md; none shows up here.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from typing import NamedTuple

import httpx
import pytest

from bot.checks import module, promtext
from bot.checks.context import RunContext, VantageSettings
from bot.checks.result import CheckStatus
from bot.runbooks.loader import load_blackbox_modules
from tests.peers.blackbox import Exporter
from tests.peers.certs import server_context
from tests.peers.mail import (
    WRONG_BANNER,
    closed_port_peer,
    greeting,
    imap_responder,
    serving,
    smtp_server,
)
from tests.peers.web import WebPeer


class Cell(NamedTuple):
    module: str
    peer: str  # key of the `targets` fixture
    path: str = ""  # for http peers
    agree_on: bool = True  # the verdict both should reach


CELLS = {
    # TCP
    "accepting": Cell("tcp_connect", "silent", agree_on=True),
    "refusing": Cell("tcp_connect", "closed", agree_on=False),
    "accept-then-silent": Cell("smtp_banner", "silent", agree_on=False),
    "wrong-banner": Cell("smtp_banner", "wrong_banner", agree_on=False),
    "banner-ok": Cell("smtp_banner", "smtp", agree_on=True),
    "short-timeout-accepting": Cell("tcp_connect_1s", "silent", agree_on=True),
    "ip6-only-to-an-ip4-address": Cell("tcp_connect_ip6_only", "silent", agree_on=False),
    "ip6-falling-back-to-ip4": Cell("tcp_connect_ip6_fallback", "silent", agree_on=True),
    # SMTP STARTTLS
    "smtp-starttls": Cell("smtp_starttls", "smtp", agree_on=True),
    "smtp-starttls-not-offered": Cell("smtp_starttls", "smtp_plain", agree_on=False),
    "smtp-starttls-rejected": Cell("smtp_starttls", "smtp_rejected", agree_on=False),
    "smtp-starttls-expired": Cell("smtp_starttls", "smtp_expired", agree_on=False),
    # IMAP STARTTLS (the user's module skips verification)
    "imap-starttls": Cell("imap_starttls", "imap", agree_on=True),
    "imap-starttls-self-signed-unverified": Cell(
        "imap_starttls", "imap_self_signed", agree_on=True
    ),
    "imap-starttls-self-signed-verified": Cell(
        "imap_starttls_1s", "imap_self_signed", agree_on=False
    ),
    "imap-starttls-verified": Cell("imap_starttls_1s", "imap", agree_on=True),
    "imap-starttls-not-offered": Cell("imap_starttls_1s", "imap_plain", agree_on=False),
    "imap-silent": Cell("imap_starttls_1s", "silent", agree_on=False),
    "imap-wrong-banner": Cell("imap_starttls_1s", "wrong_banner", agree_on=False),
    # Implicit TLS
    "tls-valid": Cell("tcp_tls", "tls_valid", agree_on=True),
    "tls-expired": Cell("tcp_tls", "tls_expired", agree_on=False),
    "tls-wrong-name": Cell("tcp_tls", "tls_wrong_name", agree_on=False),
    "tls-self-signed": Cell("tcp_tls", "tls_self_signed", agree_on=False),
    "tls-refusing": Cell("tcp_tls", "closed", agree_on=False),
    "tls-to-plaintext-silent": Cell("tcp_tls_1s", "silent", agree_on=False),
    "tls-to-plaintext-banner": Cell("tcp_tls_1s", "wrong_banner", agree_on=False),
    "tls-expired-unverified": Cell("tcp_tls_insecure", "tls_expired", agree_on=True),
    "tls-self-signed-unverified": Cell("tcp_tls_insecure", "tls_self_signed", agree_on=True),
    "tls-server-name-override": Cell("tcp_tls_other_name", "tls_wrong_name", agree_on=True),
    # HTTP
    "http-200": Cell("http_plain", "web", "/ok", agree_on=True),
    "http-401": Cell("http_plain", "web", "/unauthorized", agree_on=False),
    "http-500": Cell("http_plain", "web", "/error", agree_on=False),
    "http-redirect": Cell("http_plain", "web", "/redirect", agree_on=True),
    "http-redirect-loop": Cell("http_plain", "web", "/loop", agree_on=False),
    "http-redirect-not-followed": Cell("http_no_redirects", "web", "/redirect", agree_on=True),
    "http-slow-body": Cell("http_plain", "web", "/slow", agree_on=False),
    "http-refusing": Cell("http_plain", "web_closed", "/", agree_on=False),
    "http-head-http1": Cell("http_head_1_1", "web", "/ok", agree_on=True),
    "http-version-not-allowed": Cell("http_2_only", "web", "/ok", agree_on=False),
    # HTTPS, the user's http_2xx (401 allowed, TLS required)
    "https-200": Cell("http_2xx", "web_tls", "/ok", agree_on=True),
    "https-401": Cell("http_2xx", "web_tls", "/unauthorized", agree_on=True),
    "https-500": Cell("http_2xx", "web_tls", "/error", agree_on=False),
    "https-required-but-plain": Cell("http_2xx", "web", "/ok", agree_on=False),
    "https-expired": Cell("http_2xx", "web_expired", "/ok", agree_on=False),
    "https-wrong-name": Cell("http_2xx", "web_wrong_name", "/ok", agree_on=False),
    "https-expired-unverified": Cell("http_insecure", "web_expired", "/ok", agree_on=True),
    "https-but-fail-if-ssl": Cell("http_no_ssl", "web_tls", "/ok", agree_on=False),
}


@pytest.fixture(scope="module")
def targets(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Every fault's peer, up for the whole matrix: key -> /probe target."""
    tls: dict[str, ssl.SSLContext] = {
        name: server_context(request.getfixturevalue(f"cert_{name}"))
        for name in ("valid", "expired", "wrong_name", "self_signed")
    }
    web: dict[str, WebPeer] = {
        name: request.getfixturevalue(fixture)
        for name, fixture in [
            ("web", "web_server"),
            ("web_tls", "web_tls_server"),
            ("web_expired", "web_expired_tls_server"),
            ("web_wrong_name", "web_wrong_host_tls_server"),
        ]
    }
    with ExitStack() as stack:
        peers = {
            "silent": stack.enter_context(serving(greeting(None))),
            "wrong_banner": stack.enter_context(serving(greeting(WRONG_BANNER))),
            "smtp": stack.enter_context(smtp_server(tls=tls["valid"])),
            "smtp_plain": stack.enter_context(smtp_server()),
            "smtp_rejected": stack.enter_context(smtp_server(advertise_starttls=True)),
            "smtp_expired": stack.enter_context(smtp_server(tls=tls["expired"])),
            "imap": stack.enter_context(serving(imap_responder(tls["valid"]))),
            "imap_plain": stack.enter_context(serving(imap_responder(None))),
            "imap_self_signed": stack.enter_context(serving(imap_responder(tls["self_signed"]))),
            "closed": closed_port_peer(),
        }
        for name in ("valid", "expired", "wrong_name", "self_signed"):
            peers[f"tls_{name}"] = stack.enter_context(serving(greeting(None), tls=tls[name]))
        found = {key: f"{p.host}:{p.port}" for key, p in peers.items()}
        found |= {name: peer.base_url for name, peer in web.items()}
        found["web_closed"] = f"http://127.0.0.1:{request.getfixturevalue('web_closed_port')}"
        yield found


async def oracle(exporter: Exporter, module_name: str, target: str) -> float | None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(
            f"{exporter.url}/probe", params={"module": module_name, "target": target}
        )
    response.raise_for_status()
    return promtext.first(promtext.parse(response.text), "probe_success")


@pytest.mark.parametrize("cell", list(CELLS), ids=list(CELLS))
async def test_our_verdict_equals_blackbox_exporter(
    cell: str, blackbox_exporter: Exporter, targets: dict[str, str]
) -> None:
    module_name, peer, path, expected = CELLS[cell]
    target = targets[peer] + path
    modules = load_blackbox_modules(blackbox_exporter.config)
    ctx = RunContext(
        timeout=5.0, ca_file=blackbox_exporter.ca_bundle, vantage=VantageSettings(modules=modules)
    )
    params = module.Params(module=module_name, target=target)

    theirs, ours = await asyncio.gather(
        oracle(blackbox_exporter, module_name, target), module.run(params, ctx)
    )

    assert theirs == (1.0 if expected else 0.0), f"the exporter's verdict moved: {theirs}"
    assert (ours.status is CheckStatus.PASS) == expected, ours.summary
    if not expected:
        assert ours.status is CheckStatus.FAIL, ours.summary  # the target's fault, not ours


def test_the_matrix_covers_every_fault_the_issue_names() -> None:
    names = " ".join(CELLS)
    for fault in (
        "accepting", "refusing", "accept-then-silent", "wrong-banner", "not-offered",
        "rejected", "expired", "wrong-name", "self-signed", "200", "401", "500",
        "redirect", "slow-body",
    ):  # fmt: skip
        assert fault in names, fault
