"""The module check: blackbox modules run here, against real loopback peers.
(Verdict parity with the exporter itself is tests/parity.)"""

from __future__ import annotations

import time
from typing import Any

import pytest
import trustme
import yaml

from bot.checks.bbconfig import BlackboxConfig, Module
from bot.checks.context import RunContext, VantageSettings
from bot.checks.module import Params, run
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.blackbox import UPSTREAM
from tests.peers.certs import server_context
from tests.peers.mail import Peer, greeting, serving
from tests.peers.web import WebPeer

USER = BlackboxConfig.model_validate(yaml.safe_load(UPSTREAM.read_text())).modules


def ctx(ca_file: str | None = None, timeout: float = 5.0, **extra: Any) -> RunContext:
    modules: dict[str, Module] = dict(USER)
    modules |= BlackboxConfig.model_validate({"modules": extra}).modules
    return RunContext(timeout=timeout, ca_file=ca_file, vantage=VantageSettings(modules=modules))


def target(peer: Peer) -> str:
    return f"{peer.host}:{peer.port}"


async def test_users_imap_starttls_module_runs_unchanged(
    imap_starttls_peer: Peer, ca_file: str
) -> None:
    result = await run(Params(module="imap_starttls", target=target(imap_starttls_peer)), ctx())

    assert result.status is CheckStatus.PASS, result.summary
    assert "STARTTLS, TLSv1" in result.summary
    assert "C: a001 STARTTLS" in result.details["transcript"]
    assert result.result["days_left"] > 0


async def test_skipping_verification_accepts_an_expired_certificate_but_says_so(
    cert_expired: trustme.LeafCert,
) -> None:
    with serving(greeting(None), tls=server_context(cert_expired)) as peer:
        insecure = {
            "prober": "tcp",
            "tcp": {"tls": True, "tls_config": {"insecure_skip_verify": True}},
        }
        result = await run(Params(module="insecure", target=target(peer)), ctx(insecure=insecure))

    assert result.status is CheckStatus.PASS, result.summary
    assert "expired 2 days ago" in result.summary


async def test_module_timeout_caps_the_checks_own(silent_peer: Peer) -> None:
    banner = {"prober": "tcp", "timeout": "300ms", "tcp": {"query_response": [{"expect": "^220"}]}}
    started = time.monotonic()
    result = await run(Params(module="banner", target=target(silent_peer)), ctx(banner=banner))

    assert time.monotonic() - started < 1.0
    assert (result.status, result.error_kind) == (CheckStatus.FAIL, ErrorKind.TIMEOUT)
    assert "connected, but no line matching /^220/ within 0.3 s" in result.summary


async def test_http_module_requiring_tls_fails_on_plain_http(web_server: WebPeer) -> None:
    result = await run(Params(module="http_2xx", target=web_server.url("/ok")), ctx())

    assert (result.status, result.error_kind) == (CheckStatus.FAIL, ErrorKind.TLS)
    assert result.summary.endswith("but not served over TLS (fail_if_not_ssl)")


async def test_http_version_outside_valid_http_versions_fails(web_server: WebPeer) -> None:
    h2 = {"prober": "http", "http": {"valid_http_versions": ["HTTP/2.0"]}}
    result = await run(Params(module="h2", target=web_server.url("/ok")), ctx(h2=h2))

    assert (result.status, result.error_kind) == (CheckStatus.FAIL, ErrorKind.PROTOCOL)
    assert "HTTP/1.1 is not one of ['HTTP/2.0']" in result.summary


async def test_http_target_without_scheme_is_plain_http(web_server: WebPeer) -> None:
    plain = {"prober": "http"}
    bare = web_server.url("/ok").removeprefix("http://")
    result = await run(Params(module="plain", target=bare), ctx(plain=plain))
    assert result.status is CheckStatus.PASS, result.summary


@pytest.mark.parametrize(
    ("module", "target", "message"),
    [
        ("nope", "h:1", "no module 'nope' (known: http_2xx, imap_starttls, tcp_connect, tcp_tls)"),
        ("tcp_connect", "no-port", "tcp_connect: target 'no-port' is not host:port"),
        ("tcp_connect", "h:99999", "is not host:port"),
    ],
)
async def test_config_mistakes_are_errors(module: str, target: str, message: str) -> None:
    result = await run(Params(module=module, target=target), ctx())
    assert result.status is CheckStatus.ERROR
    assert message in result.summary


async def test_no_blackbox_config_is_an_error_saying_so() -> None:
    result = await run(Params(module="tcp_tls", target="h:1"), RunContext(timeout=1))
    assert result.status is CheckStatus.ERROR
    assert "names no blackbox_config" in result.summary
