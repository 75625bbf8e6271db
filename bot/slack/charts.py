"""Charts in a step's thread, after its findings: one PNG per Prometheus
series the step judged (bot.charts), or one line saying why there is none.
Never before the findings and never instead of them: any failure here is a
line in the thread or a log record, never an error for the click."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.charts.draw import Drawn, draw
from bot.charts.series import NoChart, fetch
from bot.charts.spark import alt_text
from bot.charts.spec import ChartSpec, Unchartable, declared, specs
from bot.checks.context import VantageSettings
from bot.engine.records import StepRecord
from bot.runbooks.binding import Binding
from bot.slack.mrkdwn import escape
from bot.slack.poster import Poster
from bot.store import Incident
from bot.store.protocol import Store

log = logging.getLogger(__name__)


async def alert_start(store: Store, incident: Incident) -> float | None:
    """The source's start of the incident's first alert, else its receive time."""
    fired = [e for e in await store.events_of(incident.id) if e.kind == "alert_fired"]
    if fired and fired[0].source_at is not None:
        return fired[0].source_at
    bound = await store.alerts_of(incident.id)
    return min((b.fired_at for b in bound), default=None)


async def post_charts(
    store: Store,
    poster: Poster,
    vantage: VantageSettings,
    incident: Incident,
    record: StepRecord,
    *,
    binding: Binding | None = None,
) -> list[Drawn]:
    """`binding` given, the step's own `chart:` is drawn too."""
    points = {n: p.url for n, p in vantage.points.items() if p.kind == "prometheus"}
    marker = await alert_start(store, incident)
    now, target = time.time(), incident.target
    wanted = specs(record, points, now=now, marker=marker, target=target)
    steps = binding.runbook.steps if binding else []
    step = next((s for s in steps if s.id == record.id), None)
    if binding is not None and step is not None and step.chart is not None:
        scope = binding.scope(target, alert=incident.alert)
        wanted.append(declared(step.chart, scope, points, now=now, marker=marker, target=target))
    drawn = []
    for n, spec in enumerate(wanted, start=1):
        if isinstance(spec, Unchartable):
            await _say(poster, incident, f"📉 No chart of {spec.title}: {spec.why}")
            continue
        try:
            chart = await _draw(spec)
        except NoChart as exc:
            await _say(poster, incident, f"📉 No chart of {spec.title}: {exc}")
            continue
        await poster.upload(
            incident.channel, incident.thread_ts,
            filename=f"incident-{incident.id}-{record.id}-{n}.png", content=chart.png,
            title=spec.title, alt_txt=alt_text(spec.title, chart.plotted),
        )  # fmt: skip
        drawn.append(chart)
    return drawn


async def _draw(spec: ChartSpec) -> Drawn:
    series = await fetch(spec)
    try:
        # Rendering takes tens of milliseconds of CPU: off the event loop.
        return await asyncio.to_thread(draw, spec, series)
    except Exception as exc:  # a chart is a courtesy: say so, never fail the step
        log.exception("could not draw %s", spec.title)
        raise NoChart(f"could not be drawn ({type(exc).__name__})") from exc


async def _say(poster: Poster, incident: Incident, text: str) -> None:
    line = escape(text)
    blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": line[:2900]}]}]
    await poster.post(
        incident.channel, text=line[:2900], blocks=blocks, thread_ts=incident.thread_ts
    )
