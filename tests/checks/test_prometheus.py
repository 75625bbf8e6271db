"""The prometheus check against a loopback stand-in of the query API."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.checks.context import RunContext, VantagePoint, VantageSettings
from bot.checks.prometheus import CHECK, Params, run
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers import prometheus_server as prom
from tests.peers.alertstack import probe_scrape
from tests.peers.blackbox import Exporter
from tests.peers.mail import Peer
from tests.peers.prometheus import PromPeer
from tests.peers.prometheus_server import Prometheus
from tests.peers.web import WebPeer

QUERY = 'probe_success{instance="smtp-in.example.com:25"}'
SINCE = f"time() - max_over_time(timestamp(({QUERY}) == 1)[1h:])"
HELD = f"time() - min_over_time(timestamp({QUERY})[1h:])"
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
    prometheus_peer.vector(HELD, (LABELS, "3599.5"))

    result = await run(params(), ctx_for(prometheus_peer.url))

    assert result.status is CheckStatus.FAIL
    assert "= 0 for over 1h" in result.summary


async def test_less_than_a_step_of_data_says_so(prometheus_peer: PromPeer) -> None:
    prometheus_peer.vector(QUERY, ({"__name__": "probe_success", **LABELS}, "0"))
    prometheus_peer.vector(SINCE)
    prometheus_peer.vector(HELD)

    result = await run(params(), ctx_for(prometheus_peer.url))

    assert "= 0 in all the data Prometheus holds (under one evaluation interval)" in (
        result.summary
    )


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


# Against Debian's real Prometheus: blackbox_exporter probing a closed port,
# so `probe_success` has been 0 for every second of data Prometheus holds.


@pytest.fixture
def failing_probe(
    tmp_path: Path, blackbox_exporter: Exporter, closed_port: Peer
) -> Iterator[tuple[Prometheus, str]]:
    instance = f"127.0.0.1:{closed_port.port}"
    scrape = probe_scrape(blackbox_exporter.url, [instance], job="blackbox-imap")
    with prom.running(tmp_path / "prometheus", prom.config([scrape])) as prometheus:
        # A few samples, so that the 1 s steps of a subquery see some.
        prometheus.wait_for(f'count_over_time(probe_success{{instance="{instance}"}}[1h]) >= 3')
        yield prometheus, instance


async def test_young_prometheus_says_how_much_data_it_holds(
    failing_probe: tuple[Prometheus, str],
) -> None:
    """#14.6: not "for over 1h" when Prometheus has seconds of data."""
    prometheus, instance = failing_probe
    query = f'probe_success{{instance="{instance}"}}'

    result = await run(params(query), ctx_for(prometheus.url, timeout=5))

    assert result.status is CheckStatus.FAIL
    assert "for over 1h" not in result.summary
    assert re.search(r"= 0 in all \d+ s of data Prometheus holds", result.summary), result.summary
    held = result.result[0]["data_for_s"]
    assert 0 <= held < 120


async def test_no_series_names_the_label_and_the_values_there_are(
    failing_probe: tuple[Prometheus, str],
) -> None:
    """#14.6: the site config names the target by address; Prometheus's
    `instance` label says 127.0.0.1:port."""
    prometheus, instance = failing_probe
    query = 'probe_success{job="blackbox-imap",instance="imap.example.com:143"}'

    result = await run(params(query), ctx_for(prometheus.url, timeout=5))

    assert result.status is CheckStatus.FAIL
    assert 'no series with instance="imap.example.com:143"' in result.summary, result.summary
    assert f'probe_success{{job="blackbox-imap"}} has instance="{instance}"' in result.summary
