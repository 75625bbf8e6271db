"""The starttls check (SMTP and IMAP) against real loopback peers."""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import time
from collections.abc import Iterator

import pytest
import trustme

from bot.checks.context import RunContext
from bot.checks.result import CheckStatus, ErrorKind
from bot.checks.starttls import CHECK, Params, run
from tests.peers.certs import VALID_DAYS, server_context
from tests.peers.mail import Peer, smtp_server


@pytest.fixture
def ctx(ca_file: str) -> RunContext:
    return RunContext(timeout=0.5, ca_file=ca_file)


def smtp(peer: Peer, **kw: object) -> Params:
    return Params.model_validate({"host": peer.host, "port": peer.port, "protocol": "smtp", **kw})


def imap(peer: Peer, **kw: object) -> Params:
    return Params.model_validate({"host": peer.host, "port": peer.port, "protocol": "imap", **kw})


@pytest.fixture
def smtp_expired_peer(cert_expired: trustme.LeafCert) -> Iterator[Peer]:
    with smtp_server(tls=server_context(cert_expired)) as peer:
        yield peer


async def test_smtp_starttls_passes_with_cert_facts_and_transcript(
    smtp_starttls_peer: Peer, ctx: RunContext
) -> None:
    result = await run(smtp(smtp_starttls_peer), ctx)

    assert result.status is CheckStatus.PASS, result.summary
    assert result.error_kind is None
    protocol = result.result["protocol"]
    assert result.summary == (
        f"127.0.0.1:{smtp_starttls_peer.port}: STARTTLS, {protocol}, cert CN=localhost "
        f"valid {VALID_DAYS} more days"
    )
    assert result.result["days_left"] == VALID_DAYS
    transcript = result.details["transcript"]
    assert "C: STARTTLS" in transcript
    assert "S: 250-STARTTLS" in transcript
    assert transcript.count("C: EHLO triage") == 2


async def test_smtp_starttls_not_offered_fails_with_tls_error(
    smtp_plain_peer: Peer, ctx: RunContext
) -> None:
    result = await run(smtp(smtp_plain_peer), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert result.summary == (
        f"127.0.0.1:{smtp_plain_peer.port}: STARTTLS not offered in EHLO reply"
    )
    assert "C: STARTTLS" not in result.details["transcript"]


async def test_smtp_starttls_rejected_with_454_fails_with_tls_error(
    smtp_starttls_rejected_peer: Peer, ctx: RunContext
) -> None:
    result = await run(smtp(smtp_starttls_rejected_peer), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "STARTTLS refused: '454 " in result.summary


async def test_smtp_starttls_with_expired_cert_fails_saying_expired(
    smtp_expired_peer: Peer, ctx: RunContext
) -> None:
    result = await run(smtp(smtp_expired_peer), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "certificate expired" in result.summary


async def test_smtp_starttls_below_min_days_valid_fails_with_tls_error(
    smtp_starttls_peer: Peer, ctx: RunContext
) -> None:
    result = await run(smtp(smtp_starttls_peer, min_days_valid=365), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "(min_days_valid 365)" in result.summary


async def test_smtp_wrong_banner_fails_with_protocol_error(
    wrong_banner_peer: Peer, ctx: RunContext
) -> None:
    result = await run(smtp(wrong_banner_peer), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.PROTOCOL
    assert "unexpected banner: 'SSH-2.0-" in result.summary


async def test_smtp_silent_peer_fails_with_timeout_naming_the_banner(
    silent_peer: Peer, ctx: RunContext
) -> None:
    started = time.monotonic()
    result = await run(smtp(silent_peer), ctx)
    elapsed = time.monotonic() - started

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TIMEOUT
    assert result.summary == f"127.0.0.1:{silent_peer.port}: connected, but no banner within 0.5 s"
    assert elapsed < 2


async def test_nothing_listening_fails_with_refused(closed_port: Peer, ctx: RunContext) -> None:
    result = await run(smtp(closed_port), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.REFUSED


async def test_unresolvable_name_fails_with_dns_error(ctx: RunContext) -> None:
    result = await run(smtp(Peer("no-such-host.invalid", 587)), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.DNS


async def test_imap_starttls_passes_with_cert_facts(
    imap_starttls_peer: Peer, ctx: RunContext
) -> None:
    result = await run(imap(imap_starttls_peer), ctx)

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["subject"] == "localhost"
    transcript = result.details["transcript"]
    assert "S: a002 OK Begin TLS negotiation now" in transcript
    assert "C: a003 CAPABILITY" in transcript


async def test_imap_starttls_not_offered_fails_with_tls_error(
    imap_plain_peer: Peer, ctx: RunContext
) -> None:
    result = await run(imap(imap_plain_peer), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert result.summary == (
        f"127.0.0.1:{imap_plain_peer.port}: STARTTLS not offered in CAPABILITY reply"
    )


async def test_imap_wrong_greeting_fails_with_protocol_error(
    wrong_banner_peer: Peer, ctx: RunContext
) -> None:
    result = await run(imap(wrong_banner_peer), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.PROTOCOL
    assert "unexpected greeting" in result.summary


async def test_imap_with_verify_off_and_wrong_server_name_passes(
    imap_starttls_peer: Peer, ctx: RunContext
) -> None:
    # The upstream imap_starttls probe: a private name the cert does not carry.
    params = imap(imap_starttls_peer, server_name="imap.cabal.internal", verify=False)

    result = await run(params, ctx)

    assert result.status is CheckStatus.PASS, result.summary


def test_unknown_protocol_is_rejected_at_validation() -> None:
    with pytest.raises(ValueError, match="protocol"):
        CHECK.params.model_validate({"host": "h", "port": 25, "protocol": "pop3"})


def test_mail_peers_serve_sync_clients_too(
    smtp_starttls_peer: Peer, imap_starttls_peer: Peer, ca_file: str
) -> None:
    # The peers run in their own thread, so blocking clients (and CLI
    # subprocesses) can use them; the stdlib clients also vouch for them.
    tls = ssl.create_default_context(cafile=ca_file)
    with smtplib.SMTP(*smtp_starttls_peer, timeout=2) as client:
        assert client.starttls(context=tls)[0] == 220
        assert client.ehlo()[0] == 250
    with imaplib.IMAP4(*imap_starttls_peer, timeout=2) as client:
        assert client.starttls(ssl_context=tls)[0] == "OK"
