"""The http check against loopback HTTP(S) peers (tests/peers/web.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import ValidationError

from bot.checks import http
from bot.checks.context import RunContext
from bot.checks.result import CheckResult, CheckStatus, ErrorKind
from tests.peers.web import WebPeer

CTX = RunContext(timeout=3.0)


async def probe(url: str, ctx: RunContext = CTX, **params: Any) -> CheckResult:
    return await http.run(http.Params(url=url, **params), ctx)


async def test_200_passes_and_reports_status_url_and_elapsed(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/ok"))

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result == {
        "status": 200,
        "url": web_server.url("/ok"),
        "tls": None,
        "http_version": "HTTP/1.1",
    }
    assert result.details["redirects"] == []
    assert result.details["elapsed_ms"] > 0
    assert "answered 200 OK" in result.summary


async def test_401_accepted_by_the_list_probe_expectation(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/unauthorized"), expect_status=["200-299", 401])

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["status"] == 401


async def test_401_not_accepted_fails_with_auth(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/unauthorized"))

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.AUTH
    assert "401" in result.summary
    assert "expected 200-299" in result.summary


async def test_500_fails_with_http_status(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/error"))

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.HTTP_STATUS
    assert "500 Internal Server Error" in result.summary


async def test_redirect_is_followed_and_the_chain_reported(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/redirect"))

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["url"] == web_server.url("/ok")
    assert result.details["redirects"] == [{"status": 302, "url": web_server.url("/redirect")}]


async def test_redirect_not_followed_is_judged_on_its_own_status(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/redirect"), follow_redirects=False, expect_status=[302])

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["status"] == 302


async def test_redirect_loop_fails_with_protocol(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/loop"), max_redirects=3)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.PROTOCOL
    assert "more than 3 redirects" in result.summary


async def test_slow_body_fails_with_timeout_within_the_budget(web_server: WebPeer) -> None:
    started = time.monotonic()
    result = await probe(web_server.url("/slow"), RunContext(timeout=0.5))
    elapsed = time.monotonic() - started

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TIMEOUT
    assert "reading the body" in result.summary
    assert elapsed < 0.5


async def test_refused_port_fails_with_refused(web_closed_port: int) -> None:
    result = await probe(f"http://127.0.0.1:{web_closed_port}/")

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.REFUSED
    assert "connection refused" in result.summary


async def test_unresolvable_host_fails_with_dns() -> None:
    result = await probe("http://no-such-host.invalid/")

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.DNS
    assert "no-such-host.invalid" in result.summary


async def test_https_with_trusted_cert_passes_with_tls_facts(
    web_tls_server: WebPeer, web_ca_file: str
) -> None:
    result = await probe(web_tls_server.url("/ok"), ca_file=web_ca_file)

    assert result.status is CheckStatus.PASS, result.summary
    tls = result.result["tls"]
    assert tls["protocol"].startswith("TLSv1.")
    assert "127.0.0.1" in tls["san"]
    assert tls["days_left"] > 300
    assert "certificate valid" in result.summary


async def test_ca_file_from_the_run_context_is_used(
    web_tls_server: WebPeer, web_ca_file: str
) -> None:
    result = await probe(web_tls_server.url("/ok"), RunContext(timeout=3, ca_file=web_ca_file))

    assert result.status is CheckStatus.PASS, result.summary


async def test_https_with_untrusted_ca_fails_with_tls(web_tls_server: WebPeer) -> None:
    result = await probe(web_tls_server.url("/ok"))

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "certificate rejected" in result.summary


async def test_https_for_another_name_fails_naming_the_mismatch(
    web_wrong_host_tls_server: WebPeer, web_ca_file: str
) -> None:
    result = await probe(web_wrong_host_tls_server.url("/ok"), ca_file=web_ca_file)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "mismatch" in result.summary.lower()


async def test_expired_certificate_fails_naming_expiry(
    web_expired_tls_server: WebPeer, web_ca_file: str
) -> None:
    result = await probe(web_expired_tls_server.url("/ok"), ca_file=web_ca_file)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "expired" in result.summary


async def test_verify_off_still_reports_the_certificate(
    web_wrong_host_tls_server: WebPeer,
) -> None:
    result = await probe(web_wrong_host_tls_server.url("/ok"), verify=False)

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["tls"]["san"] == ["wrong.example"]


async def test_certificate_expiring_too_soon_fails_with_tls(
    web_short_lived_tls_server: WebPeer, web_ca_file: str
) -> None:
    url = web_short_lived_tls_server.url("/ok")

    result = await probe(url, ca_file=web_ca_file, min_days_valid=21)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TLS
    assert "expires in 10 days (want at least 21)" in result.summary


async def test_body_regex_match_passes(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/ok"), body=r"status:\s+all good")

    assert result.status is CheckStatus.PASS, result.summary


async def test_body_regex_mismatch_fails_without_error_kind(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/ok"), body="degraded")

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is None
    assert "/degraded/" in result.summary


async def test_body_is_read_only_up_to_the_cap(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/big"), body="needle")

    assert result.status is CheckStatus.FAIL
    assert result.details["body_bytes"] == http.BODY_CAP
    assert result.details["body_truncated"] is True


async def test_head_checks_the_status_without_a_body(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/ok"), method="HEAD")

    assert result.status is CheckStatus.PASS, result.summary
    assert result.details["body_bytes"] == 0


def test_expect_status_is_parsed_at_validation_time() -> None:
    params = http.Params(url="https://example.test/", expect_status=["200-299", 401, " 418 "])

    assert params.expect_status == [(200, 299), (401, 401), (418, 418)]
    assert params.model_dump()["expect_status"] == ["200-299", 401, 418]
    assert http.Params(url="http://example.test/").expect_status == [(200, 299)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"url": "ftp://example.test/"}, "http:// or https://"),
        ({"url": "https:///nohost"}, "http:// or https://"),
        ({"url": "http://example.test/", "expect_status": ["300-200"]}, "not a range"),
        ({"url": "http://example.test/", "expect_status": ["2xx"]}, "a range like"),
        ({"url": "http://example.test/", "expect_status": [True]}, "a range like"),
        ({"url": "http://example.test/", "expect_status": []}, "at least 1"),
        ({"url": "http://example.test/", "method": "HEAD", "body": "ok"}, "HEAD"),
        ({"url": "http://example.test/", "body": "("}, "bad regular expression"),
        ({"url": "http://example.test/", "method": "POST"}, "read_only_because"),
        ({"url": "http://example.test/", "method": "DELETE"}, "changes things"),
        ({"url": "http://example.test/", "timeout": 3}, "Extra inputs"),
    ],
)
def test_bad_params_are_rejected_at_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        http.Params(**params)
