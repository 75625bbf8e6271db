"""The tls check (implicit TLS) against real loopback peers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import trustme

from bot.checks.context import RunContext
from bot.checks.result import CheckStatus, ErrorKind
from bot.checks.tls import Params, run
from tests.peers.certs import VALID_DAYS, server_context
from tests.peers.mail import Peer, greeting, serving


@pytest.fixture
def ctx(ca_file: str) -> RunContext:
    return RunContext(timeout=0.5, ca_file=ca_file)


def _tls_server(cert: trustme.LeafCert) -> Iterator[Peer]:
    with serving(greeting(None), tls=server_context(cert)) as peer:
        yield peer


@pytest.fixture
def expired_peer(cert_expired: trustme.LeafCert) -> Iterator[Peer]:
    yield from _tls_server(cert_expired)


@pytest.fixture
def wrong_name_peer(cert_wrong_name: trustme.LeafCert) -> Iterator[Peer]:
    yield from _tls_server(cert_wrong_name)


@pytest.fixture
def self_signed_peer(cert_self_signed: trustme.LeafCert) -> Iterator[Peer]:
    yield from _tls_server(cert_self_signed)


async def test_valid_certificate_passes_with_its_facts(tls_peer: Peer, ctx: RunContext) -> None:
    result = await run(Params(host=tls_peer.host, port=tls_peer.port), ctx)

    assert result.status is CheckStatus.PASS, result.summary
    assert result.error_kind is None
    facts = result.result
    assert facts["protocol"] in {"TLSv1.2", "TLSv1.3"}
    assert facts["subject"] == "localhost"
    assert set(facts["san"]) == {"localhost", "127.0.0.1"}
    assert facts["days_left"] == VALID_DAYS
    assert facts["cipher"]
    assert result.details["days_left"] == VALID_DAYS
    assert result.summary == (
        f"127.0.0.1:{tls_peer.port}: {facts['protocol']}, cert CN=localhost "
        f"valid {VALID_DAYS} more days"
    )


async def test_server_name_is_sent_and_checked(tls_peer: Peer, ctx: RunContext) -> None:
    params = Params(host=tls_peer.host, port=tls_peer.port, server_name="localhost")

    result = await run(params, ctx)

    assert result.status is CheckStatus.PASS, result.summary


async def test_ca_file_param_overrides_the_run_context(tls_peer: Peer, ca_file: str) -> None:
    params = Params(host=tls_peer.host, port=tls_peer.port, ca_file=ca_file)

    result = await run(params, RunContext(timeout=0.5))

    assert result.status is CheckStatus.PASS, result.summary


async def test_untrusted_ca_fails_with_tls_error(tls_peer: Peer) -> None:
    # The test CA is in no system trust store.
    result = await run(Params(host=tls_peer.host, port=tls_peer.port), RunContext(timeout=0.5))

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "certificate rejected" in result.summary


async def test_expired_certificate_fails_saying_expired(
    expired_peer: Peer, ctx: RunContext
) -> None:
    result = await run(Params(host=expired_peer.host, port=expired_peer.port), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert (
        result.summary
        == f"127.0.0.1:{expired_peer.port}: certificate rejected: certificate expired"
    )


async def test_wrong_name_fails_saying_hostname_mismatch(
    wrong_name_peer: Peer, ctx: RunContext
) -> None:
    params = Params(host=wrong_name_peer.host, port=wrong_name_peer.port, server_name="localhost")

    result = await run(params, ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "hostname mismatch" in result.summary
    assert "'localhost'" in result.summary


async def test_self_signed_certificate_fails_saying_self_signed(
    self_signed_peer: Peer, ctx: RunContext
) -> None:
    result = await run(Params(host=self_signed_peer.host, port=self_signed_peer.port), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "self-signed certificate" in result.summary


async def test_wrong_name_passes_with_verify_off_and_still_reports_the_cert(
    wrong_name_peer: Peer, ctx: RunContext
) -> None:
    params = Params(host=wrong_name_peer.host, port=wrong_name_peer.port, verify=False)

    result = await run(params, ctx)

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["san"] == ["wrong.example"]


async def test_expired_certificate_fails_even_with_verify_off(
    expired_peer: Peer, ctx: RunContext
) -> None:
    params = Params(host=expired_peer.host, port=expired_peer.port, verify=False)

    result = await run(params, ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "cert CN=localhost expired 2 days ago" in result.summary


async def test_fewer_days_left_than_required_fails_with_tls_error(
    tls_peer: Peer, ctx: RunContext
) -> None:
    params = Params(host=tls_peer.host, port=tls_peer.port, min_days_valid=VALID_DAYS + 1)

    result = await run(params, ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert result.summary == (
        f"127.0.0.1:{tls_peer.port}: cert CN=localhost valid only {VALID_DAYS} more days "
        f"(min_days_valid {VALID_DAYS + 1})"
    )
    assert result.result["days_left"] == VALID_DAYS


async def test_exactly_the_required_days_left_passes(tls_peer: Peer, ctx: RunContext) -> None:
    params = Params(host=tls_peer.host, port=tls_peer.port, min_days_valid=VALID_DAYS)

    result = await run(params, ctx)

    assert result.status is CheckStatus.PASS, result.summary


async def test_silent_peer_fails_with_timeout_in_the_handshake(
    silent_peer: Peer, ctx: RunContext
) -> None:
    started = time.monotonic()
    result = await run(Params(host=silent_peer.host, port=silent_peer.port), ctx)
    elapsed = time.monotonic() - started

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TIMEOUT
    assert "TLS handshake did not finish within 0.5 s" in result.summary
    assert elapsed < 2


async def test_plaintext_peer_fails_with_tls_error(
    wrong_banner_peer: Peer, ctx: RunContext
) -> None:
    result = await run(Params(host=wrong_banner_peer.host, port=wrong_banner_peer.port), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS


async def test_nothing_listening_fails_with_refused(closed_port: Peer, ctx: RunContext) -> None:
    result = await run(Params(host=closed_port.host, port=closed_port.port), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.REFUSED


async def test_unresolvable_name_fails_with_dns_error(ctx: RunContext) -> None:
    result = await run(Params(host="no-such-host.invalid", port=443), ctx)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.DNS


async def test_missing_ca_file_is_an_error_not_a_failure(tls_peer: Peer) -> None:
    params = Params(host=tls_peer.host, port=tls_peer.port, ca_file="/nonexistent/ca.pem")

    result = await run(params, RunContext(timeout=0.5))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.INTERNAL
    assert "/nonexistent/ca.pem" in result.summary
