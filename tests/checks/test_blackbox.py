"""The blackbox check against a real blackbox_exporter on loopback."""

from __future__ import annotations

import time

import pytest

from bot.checks.blackbox import CHECK, Params, run
from bot.checks.context import RunContext, VantagePoint, VantageSettings
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.blackbox import Exporter
from tests.peers.certs import VALID_DAYS
from tests.peers.mail import Peer
from tests.peers.web import WebPeer


def ctx_for(url: str, *, kind: str = "blackbox", timeout: float = 5.0) -> RunContext:
    point = VantagePoint(name="vpc", kind=kind, url=url)  # type: ignore[arg-type]
    return RunContext(timeout=timeout, vantage=VantageSettings(points={"vpc": point}))


def probe(module: str, peer: Peer) -> Params:
    return Params(vantage="vpc", module=module, target=f"{peer.host}:{peer.port}")


async def test_passing_probe_reports_duration(
    blackbox_exporter: Exporter, silent_peer: Peer
) -> None:
    result = await run(probe("tcp_connect", silent_peer), ctx_for(blackbox_exporter.url))

    assert result.status is CheckStatus.PASS, result.summary
    assert result.summary.startswith(f"vpc: tcp_connect 127.0.0.1:{silent_peer.port}: probe ")
    assert result.result["success"] is True
    assert result.result["duration_ms"] >= 0
    assert result.details["metrics"]["probe_success"] == 1


async def test_tls_probe_reports_days_left_on_the_certificate(
    blackbox_exporter: Exporter, tls_peer: Peer
) -> None:
    result = await run(probe("tcp_tls", tls_peer), ctx_for(blackbox_exporter.url))

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["days_left"] in (VALID_DAYS - 1, VALID_DAYS)
    assert f"cert valid {result.result['days_left']} more days" in result.summary


async def test_failing_probe_says_why_from_the_debug_log(
    blackbox_exporter: Exporter, closed_port: Peer
) -> None:
    result = await run(probe("tcp_connect", closed_port), ctx_for(blackbox_exporter.url))

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.REFUSED
    assert "connection refused" in result.summary
    assert any("Error dialing TCP" in line for line in result.details["debug"])


async def test_silent_peer_says_why_though_the_probe_used_the_budget(
    blackbox_exporter: Exporter, silent_peer: Peer
) -> None:
    """#14.7: the probe waits for a banner until the exporter's own timeout,
    a little under the budget; a second, debug request would have had no
    time left, so the reason must come with the first answer."""
    result = await run(probe("imap_starttls", silent_peer), ctx_for(blackbox_exporter.url))

    assert result.status is CheckStatus.FAIL
    assert "i/o timeout" in result.summary, result.summary
    assert result.error_kind is ErrorKind.TIMEOUT
    assert result.result["duration_ms"] > 1000  # it did wait out its timeout


async def test_http_probe_reports_the_status_code(
    blackbox_exporter: Exporter, web_server: WebPeer
) -> None:
    params = Params(vantage="vpc", module="http_2xx", target=web_server.url("/ok"))
    result = await run(params, ctx_for(blackbox_exporter.url))

    # http_2xx demands TLS, and this peer is plain HTTP.
    assert result.status is CheckStatus.FAIL
    assert result.result["http_status"] == 200
    assert "HTTP 200" in result.summary
    assert "SSL" in result.summary or "TLS" in result.summary


async def test_unknown_module_is_an_error_quoting_the_exporter(
    blackbox_exporter: Exporter, silent_peer: Peer
) -> None:
    result = await run(probe("no_such_module", silent_peer), ctx_for(blackbox_exporter.url))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.PROTOCOL
    assert 'Unknown module "no_such_module"' in result.summary


async def test_vantage_point_not_configured_is_skipped_naming_it(silent_peer: Peer) -> None:
    result = await run(probe("tcp_connect", silent_peer), RunContext(timeout=1))

    assert result.status is CheckStatus.SKIPPED
    assert result.summary == "no vantage point 'vpc' in the site config (configured: none)"


async def test_vantage_point_of_the_wrong_kind_is_an_error(silent_peer: Peer) -> None:
    ctx = ctx_for("http://127.0.0.1:9", kind="prometheus")
    result = await run(probe("tcp_connect", silent_peer), ctx)

    assert result.status is CheckStatus.ERROR
    assert "is a prometheus, not a blackbox" in result.summary


async def test_unreachable_exporter_is_an_error_refused(closed_port: Peer) -> None:
    url = f"http://{closed_port.host}:{closed_port.port}"
    result = await run(probe("tcp_connect", closed_port), ctx_for(url))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.REFUSED
    assert url in result.summary


async def test_silent_exporter_is_an_error_timeout_within_the_budget(silent_peer: Peer) -> None:
    url = f"http://{silent_peer.host}:{silent_peer.port}"
    started = time.monotonic()
    result = await run(probe("tcp_connect", silent_peer), ctx_for(url, timeout=0.5))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.TIMEOUT
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("raw", [{"vantage": "", "module": "m", "target": "t"}, {"vantage": "v"}])
def test_bad_params_are_rejected(raw: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        CHECK.params.model_validate(raw)
