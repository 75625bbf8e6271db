"""The prometheus check against a loopback stand-in of the query API."""

from __future__ import annotations

import time

import pytest

from bot.checks.context import RunContext, VantagePoint, VantageSettings
from bot.checks.prometheus import CHECK, Params, run
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.mail import Peer
from tests.peers.prometheus import PromPeer
from tests.peers.web import WebPeer

QUERY = 'probe_success{instance="smtp-in.example.com:25"}'
SINCE = f"time() - max_over_time(timestamp(({QUERY}) == 1)[1h:])"
LABELS = {"instance": "smtp-in.example.com:25", "job": "blackbox-tcp"}


def ctx_for(url: str, *, timeout: float = 2.0) -> RunContext:
    point = VantagePoint(name="prom", kind="prometheus", url=url)
    return RunContext(timeout=timeout, vantage=VantageSettings(points={"prom": point}))


def params(query: str = QUERY, expect: str | None = "[0].value == '1'") -> Params:
    return Params.model_validate({"vantage": "prom", "query": query, "expect": expect})


async def test_expectation_met_passes_and_shows_the_series(prometheus_peer: PromPeer) -> None:
    prometheus_peer.vector(QUERY, ({"__name__": "probe_success", **LABELS}, "1"))

    result = await run(params(), ctx_for(prometheus_peer.url))

    assert result.status is CheckStatus.PASS, result.summary
    assert result.summary == (
        'prom: probe_success{instance="smtp-in.example.com:25",job="blackbox-tcp"} = 1'
    )
    assert result.result == [
        {"metric": {"__name__": "probe_success", **LABELS}, "value": "1", "timestamp": 1.7e9}
    ]
    assert prometheus_peer.asked == [QUERY]  # no second query while it passes


async def test_failing_probe_says_how_long_it_has_been_failing(prometheus_peer: PromPeer) -> None:
    prometheus_peer.vector(QUERY, ({"__name__": "probe_success", **LABELS}, "0"))
    prometheus_peer.vector(SINCE, (LABELS, "754.2"))

    result = await run(params(), ctx_for(prometheus_peer.url))

    assert result.status is CheckStatus.FAIL
    assert "= 0 for 13 min; expected [0].value == '1'" in result.summary
    assert result.result[0]["down_for_s"] == 754.2


async def test_failing_longer_than_the_window_says_so(prometheus_peer: PromPeer) -> None:
    prometheus_peer.vector(QUERY, ({"__name__": "probe_success", **LABELS}, "0"))
    prometheus_peer.vector(SINCE)

    result = await run(params(), ctx_for(prometheus_peer.url))

    assert result.status is CheckStatus.FAIL
    assert "= 0 for over 1h" in result.summary


async def test_no_series_without_expect_fails(prometheus_peer: PromPeer) -> None:
    prometheus_peer.vector("up == 0")

    result = await run(params("up == 0", expect=None), ctx_for(prometheus_peer.url))

    assert result.status is CheckStatus.FAIL
    assert result.summary == "prom: no series; expected at least one series"


async def test_scalar_answer_is_one_series_without_labels(prometheus_peer: PromPeer) -> None:
    prometheus_peer.answers["time()"] = {"resultType": "scalar", "result": [1.7e9, "1700000000"]}

    result = await run(params("time()", "to_number([0].value) > `0`"), ctx_for(prometheus_peer.url))

    assert result.status is CheckStatus.PASS, result.summary
    assert result.summary == "prom: {} = 1700000000"


async def test_query_error_is_an_error_quoting_prometheus(prometheus_peer: PromPeer) -> None:
    result = await run(params("sum(("), ctx_for(prometheus_peer.url))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.PROTOCOL
    assert result.summary.startswith("prom: bad_data: 1:1: parse error")


async def test_not_a_prometheus_is_a_protocol_error(web_server: WebPeer) -> None:
    result = await run(params(), ctx_for(web_server.url("/ok")))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.PROTOCOL
    assert "not a Prometheus API answer (HTTP 404)" in result.summary


async def test_unreachable_prometheus_is_an_error_refused(closed_port: Peer) -> None:
    result = await run(params(), ctx_for(f"http://{closed_port.host}:{closed_port.port}"))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.REFUSED


async def test_silent_prometheus_times_out_within_the_budget(silent_peer: Peer) -> None:
    started = time.monotonic()
    result = await run(
        params(), ctx_for(f"http://{silent_peer.host}:{silent_peer.port}", timeout=0.5)
    )

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.TIMEOUT
    assert time.monotonic() - started < 1.0


async def test_no_such_vantage_point_is_skipped() -> None:
    result = await run(params(), RunContext(timeout=1))
    assert result.status is CheckStatus.SKIPPED
    assert "no vantage point 'prom'" in result.summary


def test_bad_expect_is_rejected_at_validation() -> None:
    with pytest.raises(ValueError, match="bad JMESPath"):
        CHECK.params.model_validate({"vantage": "p", "query": "up", "expect": "[0."})
