"""Charts against Debian's real Prometheus on loopback, scraping an exporter
whose value the test flips from 1 to 0: the PNG is a PNG of a sensible size,
and what was plotted is what Prometheus holds (compared point by point, not
pixel by pixel). Through the incident service: the chart is uploaded to the
thread after the step's findings, and a chart that cannot be drawn says so
in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts.draw import draw
from bot.charts.series import NoChart, fetch
from bot.charts.spark import sparkline
from bot.charts.spec import ChartSpec
from bot.cli.run import settings
from bot.incidents.service import Actor, IncidentService
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.slack.poster import Poster
from bot.slack.presenter import slack_incidents
from bot.store import SqliteStore
from tests.charts.exporter import Exporter, running_exporter
from tests.peers import prometheus_server as prom
from tests.peers.mail import Peer
from tests.peers.slack import SlackStandIn

QUERY = 'probe_success{probe="smtp"}'
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def flipped(tmp_path: Path) -> Iterator[tuple[prom.Prometheus, Exporter, float]]:
    """Prometheus with a few 1s then a few 0s scraped; the time of the flip."""
    with running_exporter() as exporter:
        scrape = {"job_name": "exporter", "static_configs": [{"targets": [exporter.address]}]}
        with prom.running(tmp_path / "prometheus", prom.config([scrape])) as prometheus:
            prometheus.wait_for(f"count_over_time({QUERY}[1m]) >= 3")
            exporter.value, flipped_at = 0.0, time.time()
            prometheus.wait_for(f"count_over_time(({QUERY} == 0)[1m:1s]) >= 3")
            yield prometheus, exporter, flipped_at


def spec_for(url: str, start: float, marker: float | None) -> ChartSpec:
    return ChartSpec(
        title="Probe history: smtp-relay (from prom)", url=url, query=QUERY,
        start=start, end=time.time(), marker=marker, threshold=0.5,
    )  # fmt: skip


async def test_the_plotted_points_are_prometheus_series_and_the_png_is_small(
    flipped: tuple[prom.Prometheus, Exporter, float],
) -> None:
    prometheus, _, flipped_at = flipped
    spec = spec_for(prometheus.url, flipped_at - 30, flipped_at)
    series = await fetch(spec)
    drawn = draw(spec, series)
    assert drawn.png.startswith(PNG)
    assert 5_000 < len(drawn.png) < 150_000, len(drawn.png)
    print(f"\nchart PNG: {len(drawn.png)} bytes, {len(series[0].points)} points")
    (_label, points), *others = drawn.plotted
    assert others == []  # one series, one line
    # Read back from the drawn line: the same instants (to the millisecond) and values.
    assert [(round(t, 3), v) for t, v in points] == [(round(t, 3), v) for t, v in series[0].points]
    values = [v for _, v in points]
    assert values == sorted(values, reverse=True) and values[0] == 1 and values[-1] == 0
    first_zero = next(t for t, v in points if v == 0)
    # Seen at the first scrape after the flip (1 s scrapes, range steps of 1 s).
    assert flipped_at - 1 <= first_zero <= flipped_at + 4


async def test_no_data_and_a_prometheus_that_is_down_say_why(
    flipped: tuple[prom.Prometheus, Exporter, float], closed_port: Peer
) -> None:
    prometheus, _, flipped_at = flipped
    empty = ChartSpec(
        title="t", url=prometheus.url, query='probe_success{probe="none"}',
        start=flipped_at - 30, end=time.time(), marker=None,
    )  # fmt: skip
    with pytest.raises(NoChart, match="no data for"):
        await fetch(empty)
    with pytest.raises(NoChart, match="connection refused"):
        await fetch(spec_for(f"http://127.0.0.1:{closed_port.port}", flipped_at - 30, None))


RUNBOOK = """
id: history
title: Probe history
summary: The probe fails.
vars:
  where: {default: prom, description: the Prometheus to ask}
  probe: {default: smtp, description: the probe's label}
targets:
  smtp-relay:
    title: SMTP relay
    impact: Mail bounces.
    protocol: tcp
    host: 127.0.0.1
    port: 9
steps:
  - id: history
    title: How long has the probe failed?
    checks:
      - id: history
        title: Probe history
        type: prometheus
        vantage: prom
        query: 'probe_success{probe="smtp"}'
        expect: "[0].value == '1'"
"""


DECLARED = """
  - id: declared
    title: The probe over the last minutes
    manual:
      - say: Look at the chart.
    chart:
      title: Probe success
      query: 'probe_success{probe="{{ vars.probe }}"}'
      vantage: "{{ vars.where }}"
      window: 5m
      threshold: 0.5
"""


def incidents(
    slack_api: SlackStandIn, tmp_path: Path, prometheus_url: str, where: str = "prom"
) -> IncidentService:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "history.yaml").write_text(RUNBOOK + DECLARED)
    site = load_site(
        None,
        [
            "vantage_points.prom.kind=prometheus",
            f"vantage_points.prom.url={prometheus_url}",
            f"vars.where={where}",
            "vars.probe=smtp",
        ],
    )
    catalogue = Catalogue.load([tmp_path / "runbooks"], site)
    client = AsyncWebClient(base_url=slack_api.url, token=slack_api.token)
    poster = Poster(client, post_interval=0.0, edit_interval=0.0)
    return slack_incidents(catalogue, SqliteStore(tmp_path / "t.db"), poster, settings(site))


async def test_a_step_with_a_prometheus_check_gets_its_chart_after_the_findings(
    slack_api: SlackStandIn, tmp_path: Path, flipped: tuple[prom.Prometheus, Exporter, float]
) -> None:
    prometheus, _, _ = flipped
    w = incidents(slack_api, tmp_path, prometheus.url)
    actor = Actor("U1", "r1")
    incident = await w.open(channel="C1", target="smtp-relay", runbook="history", actor=actor)
    await w.run_step(incident.id, "history", actor)
    w.store.close()
    findings = [c for c in slack_api.calls("chat.update") if "❌" in str(c.args)]
    uploads = slack_api.calls("files.getUploadURLExternal")
    assert findings and len(uploads) == 1
    assert findings[0].at < uploads[0].at  # the findings first, then the picture
    (png,) = [u for u in slack_api.uploads() if u.completed]
    assert png.filename == "incident-1-history-1.png" and (png.content or b"").startswith(PNG)
    assert png.thread_ts == incident.thread_ts or png.thread_ts is not None
    assert png.title == "Probe history: smtp-relay (from prom)"
    # files_upload_v2 sends alt text with files.getUploadURLExternal.
    alt = slack_api.calls("files.getUploadURLExternal")[-1].args.get("alt_txt")
    assert "probe_success: ▁" in str(alt) and "→ 0" in str(alt)  # the series as alt text
    done = slack_api.calls("files.completeUploadExternal")[-1].at
    after_ms, size = (done - findings[0].at) * 1000, len(png.content or b"")
    print(f"\nchart after the findings: {after_ms:.0f} ms, {size} bytes")


async def test_a_chart_that_cannot_be_drawn_says_so_in_one_line(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    w = incidents(slack_api, tmp_path, f"http://127.0.0.1:{closed_port.port}")
    actor = Actor("U1", "r1")
    incident = await w.open(channel="C1", target="smtp-relay", runbook="history", actor=actor)
    await w.run_step(incident.id, "history", actor)
    w.store.close()
    said = [m.text for m in slack_api.messages("C1").values() if "No chart" in (m.text or "")]
    assert len(said) == 1 and "connection refused" in said[0]
    assert slack_api.uploads() == []


def test_matplotlib_is_not_imported_until_a_chart_is_drawn() -> None:
    """Start-up and `triage lint` do not pay for it (about a second)."""
    code = (
        "import sys, bot.cli, bot.app.build, bot.slack.presenter, bot.slack.charts;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )  # fmt: skip
    assert out.stdout.strip() == "False"


async def test_a_steps_own_chart_is_drawn_with_its_threshold_and_window(
    slack_api: SlackStandIn, tmp_path: Path, flipped: tuple[prom.Prometheus, Exporter, float]
) -> None:
    prometheus, _, _ = flipped
    w = incidents(slack_api, tmp_path, prometheus.url)
    actor = Actor("U1", "r1")
    incident = await w.open(channel="C1", target="smtp-relay", runbook="history", actor=actor)
    await w.run_step(incident.id, "declared", actor)
    w.store.close()
    (png,) = [u for u in slack_api.uploads() if u.completed]
    assert png.title == "Probe success: smtp-relay (from prom)"
    assert png.filename == "incident-1-declared-1.png"


async def test_a_chart_naming_no_vantage_point_says_so(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    w = incidents(slack_api, tmp_path, f"http://127.0.0.1:{closed_port.port}", where="nowhere")
    actor = Actor("U1", "r1")
    incident = await w.open(channel="C1", target="smtp-relay", runbook="history", actor=actor)
    await w.run_step(incident.id, "declared", actor)
    w.store.close()
    said = [m.text for m in slack_api.messages("C1").values() if "No chart" in (m.text or "")]
    assert len(said) == 1 and "no prometheus vantage point" in said[0]


def test_the_sparkline_follows_the_values() -> None:
    assert sparkline([1, 1, 1, 0, 0]) == "███▁▁"
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert len(sparkline([float(v % 3) for v in range(1000)], width=20)) <= 20
    assert sparkline([]) == ""


async def test_an_alerts_unattended_triage_gets_the_charts_after_its_findings(
    slack_api: SlackStandIn, tmp_path: Path, flipped: tuple[prom.Prometheus, Exporter, float]
) -> None:
    """The one run path: an alert's triage draws what a click's run draws."""
    prometheus, _, _ = flipped
    w = incidents(slack_api, tmp_path, prometheus.url)
    opener = Actor("alert:alertmanager", "")
    incident = await w.open(
        channel="C1", target="smtp-relay", runbook="history", actor=opener, unattended=True
    )
    assert await w.triage(incident) == "fail"
    w.store.close()
    findings = [c for c in slack_api.calls("chat.update") if "history/history" in str(c.args)]
    uploads = slack_api.calls("files.getUploadURLExternal")
    assert findings and len(uploads) == 2  # the check's series, and the step's own chart
    assert findings[0].at < uploads[0].at  # the findings first, then the pictures
    titles = sorted(u.title for u in slack_api.uploads() if u.completed)
    assert titles == [
        "Probe history: smtp-relay (from prom)",
        "Probe success: smtp-relay (from prom)",
    ]
