"""The demo's Prometheus (bot/demo/prometheus.py), the charts' vantage point
on a machine without one: it refuses what Prometheus refuses, with the same
error JSON word for word (held against Debian's real Prometheus), and what
it answers is the demo's probe history as the charts and the prometheus
check read it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.charts.series import fetch
from bot.charts.spec import ChartSpec
from bot.demo.prometheus import SCRAPE_S, UNSUPPORTED, ProbeHistory, app
from bot.demo.web import serve_app
from tests.peers import prometheus_server as prom

FAILING, PASSING = "127.0.0.1:25", "https://127.0.0.1/v1/health"
FAILING_FOR = 300.0

RANGE = {"query": "up", "start": "1", "end": "100", "step": "1"}
MAX_RESOLUTION = (
    "exceeded maximum resolution of 11,000 points per timeseries. "
    "Try decreasing the query resolution (?step=XX)"
)
NEGATIVE_STEP = (
    'invalid parameter "step": zero or negative query resolution step widths are not accepted. '
    "Try a positive integer"
)


def without(params: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != name}


def bad_time(name: str, raw: str) -> str:
    return f'invalid parameter "{name}": cannot parse "{raw}" to a valid timestamp'


def bad_duration(name: str, raw: str) -> str:
    return f'invalid parameter "{name}": cannot parse "{raw}" to a valid duration'


NO_QUERY = "1:1: parse error: no expression found in input"
BAD_INSTANT_TIME = "invalid parameter \"time\": Invalid time value for 'time': " + (
    'cannot parse "x" to a valid timestamp'
)
END_BEFORE_START = 'invalid parameter "end": end timestamp must not be before start time'

# (endpoint, parameters, Prometheus 2.42's error)
REFUSED: list[tuple[str, dict[str, str], str]] = [
    ("query_range", without(RANGE, "query"), NO_QUERY),
    ("query_range", RANGE | {"query": " "}, NO_QUERY),
    ("query_range", without(RANGE, "start"), bad_time("start", "")),
    ("query_range", without(RANGE, "end"), bad_time("end", "")),
    ("query_range", RANGE | {"start": "yesterday"}, bad_time("start", "yesterday")),
    # RFC 3339 needs its offset.
    ("query_range", RANGE | {"end": "2026-11-30T09:00:00"}, bad_time("end", "2026-11-30T09:00:00")),
    ("query_range", RANGE | {"start": "100", "end": "1"}, END_BEFORE_START),
    ("query_range", without(RANGE, "step"), bad_duration("step", "")),
    ("query_range", RANGE | {"step": "1x"}, bad_duration("step", "1x")),
    ("query_range", RANGE | {"step": "0"}, NEGATIVE_STEP),
    ("query_range", RANGE | {"step": "-15"}, NEGATIVE_STEP),
    # One step too small for the range: 11,001 intervals.
    ("query_range", RANGE | {"start": "0", "end": "11001", "step": "1"}, MAX_RESOLUTION),
    ("query_range", RANGE | {"start": "0", "end": "86400", "step": "5"}, MAX_RESOLUTION),
    # Checked before the query is parsed, as Prometheus does.
    ("query_range", {"start": "0", "end": "86400", "step": "5"}, MAX_RESOLUTION),
    ("query_range", RANGE | {"timeout": "soon"}, bad_duration("timeout", "soon")),
    ("query", {}, f'invalid parameter "query": {NO_QUERY}'),
    ("query", {"query": "up", "time": "x"}, BAD_INSTANT_TIME),
]

# What both accept, at the edges: 11,000 intervals exactly, RFC 3339 times,
# Prometheus durations.
RFC3339 = {"start": "2026-11-30T08:00:00Z", "end": "2026-11-30T09:00:00.5+00:00", "step": "1m"}
ACCEPTED: list[tuple[str, dict[str, str]]] = [
    ("query_range", RANGE | {"start": "0", "end": "11000", "step": "1"}),
    ("query_range", RANGE | {"start": "1.5", "end": "100.25", "step": "0.5"}),
    ("query_range", RANGE | RFC3339),
    ("query_range", RANGE | {"step": "1h30m", "timeout": "10s"}),
    ("query", {"query": "up", "time": "1700000000"}),
]


@dataclass(frozen=True)
class StandIn:
    url: str
    history: ProbeHistory


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    now = time.time()
    history = ProbeHistory({FAILING: now - FAILING_FOR, PASSING: None}, since=now - 3600)
    runner, port = await serve_app(app(history))
    try:
        yield StandIn(f"http://127.0.0.1:{port}", history)
    finally:
        await runner.cleanup()


async def ask(url: str, endpoint: str, params: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"{url}/api/v1/{endpoint}", params=params)


def bad_data(error: str) -> dict[str, Any]:
    return {"status": "error", "errorType": "bad_data", "error": error}


@pytest.mark.parametrize(("endpoint", "params", "error"), REFUSED)
async def test_it_refuses_what_prometheus_refuses_in_its_words(
    stand_in: StandIn, endpoint: str, params: dict[str, str], error: str
) -> None:
    answer = await ask(stand_in.url, endpoint, params)
    assert answer.status_code == 400
    assert answer.json() == bad_data(error)


@pytest.mark.parametrize(("endpoint", "params"), ACCEPTED)
async def test_it_accepts_what_prometheus_accepts(
    stand_in: StandIn, endpoint: str, params: dict[str, str]
) -> None:
    answer = await ask(stand_in.url, endpoint, params)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "success"


async def test_real_prometheus_answers_the_same(stand_in: StandIn, tmp_path: Path) -> None:
    """The cases above, asked of Debian's Prometheus 2.42: the same refusals,
    byte for byte once parsed, and the same acceptances."""
    with prom.running(tmp_path / "prometheus", prom.config([])) as real:
        for endpoint, params, _ in REFUSED:
            theirs = await ask(real.url, endpoint, params)
            ours = await ask(stand_in.url, endpoint, params)
            assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json()), params
        for endpoint, params in ACCEPTED:
            theirs = await ask(real.url, endpoint, params)
            assert theirs.status_code == 200, (params, theirs.text)


async def test_promql_it_does_not_evaluate_is_refused_not_guessed(stand_in: StandIn) -> None:
    for query in ("rate(probe_success[5m])", "probe_success > 0", "sum(probe_success)"):
        answer = await ask(stand_in.url, "query", {"query": query})
        assert (answer.status_code, answer.json()) == (400, bad_data(UNSUPPORTED))


async def test_a_chart_of_the_history_shows_the_fault_start(stand_in: StandIn) -> None:
    now = time.time()
    spec = ChartSpec(
        title="t", url=stand_in.url, query=f'probe_success{{instance="{FAILING}"}}',
        start=now - 1800, end=now, marker=None,
    )  # fmt: skip
    (series,) = await fetch(spec)
    values = [v for _, v in series.points]
    assert set(values) == {0.0, 1.0} and values == sorted(values, reverse=True)
    first_zero = next(t for t, v in series.points if v == 0)
    fault = stand_in.history.failing_since[FAILING]
    assert fault is not None
    # Seen at the first step after the first scrape after the fault (times
    # are answered to the millisecond).
    step = (spec.end - spec.start) / 240
    assert fault - 0.001 <= first_zero <= fault + SCRAPE_S + step
    assert len(series.points) == 241  # every step of the range has a sample


async def test_it_answers_the_prometheus_checks_queries(stand_in: StandIn) -> None:
    """The instant query, then how long ago it was last 1, as
    bot/checks/prometheus.py asks them; by POST as well as GET."""
    selector = f'probe_success{{instance="{FAILING}"}}'
    instant = (await ask(stand_in.url, "query", {"query": selector})).json()["data"]
    assert instant["resultType"] == "vector"
    (sample,) = instant["result"]
    labels = {"__name__": "probe_success", "instance": FAILING, "job": "blackbox"}
    assert sample["metric"] == labels and sample["value"][1] == "0"
    since = f"time() - max_over_time(timestamp(({selector}) == 1)[1h:])"
    async with httpx.AsyncClient(timeout=10) as client:
        posted = await client.post(f"{stand_in.url}/api/v1/query", data={"query": since})
    (age,) = posted.json()["data"]["result"]
    assert age["metric"] == {"instance": FAILING, "job": "blackbox"}
    # The last 1 was scraped before the fault, seen at a whole-minute subquery step.
    assert FAILING_FOR <= float(age["value"][1]) <= FAILING_FOR + 60 + SCRAPE_S
    group = await ask(stand_in.url, "query", {"query": "group by (instance) (probe_success)"})
    found = sorted(s["metric"]["instance"] for s in group.json()["data"]["result"])
    assert found == sorted([FAILING, PASSING])
