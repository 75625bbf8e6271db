"""Which charts a step's run asks for: one per `prometheus` check that ran,
over its vantage point, with the query it asked. Read from the run's
recorded details, so a chart shows exactly the series the finding judged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.checks.registry import REGISTRY
from bot.engine.records import StepRecord
from bot.runbooks.schema import Chart
from bot.runbooks.templates import TemplateError

# How far back a chart looks when no alert start says otherwise, and the
# most it looks back when one does (a week-old alert would flatten the
# last hour into a line).
WINDOW_S = 3600.0
MAX_WINDOW_S = 6 * 3600.0


@dataclass(frozen=True, kw_only=True)
class Unchartable:
    """A chart the step asks for that cannot be drawn, and why in one line."""

    title: str
    why: str


@dataclass(frozen=True, kw_only=True)
class ChartSpec:
    title: str  # what and where, for the chart's title
    url: str  # the Prometheus to ask
    query: str
    start: float
    end: float
    marker: float | None  # the alert's start, when known
    threshold: float | None = None
    timeout: float = 5.0


def window(now: float, marker: float | None, *, minimum: float = WINDOW_S) -> tuple[float, float]:
    """The last hour; longer to show the alert's start with a tenth before it."""
    start = now - minimum
    if marker is not None and marker < start:
        start = max(now - MAX_WINDOW_S, marker - (now - marker) / 10)
    return start, now


def specs(
    record: StepRecord,
    points: dict[str, str],
    *,
    now: float,
    marker: float | None,
    target: str,
) -> list[ChartSpec | Unchartable]:
    """A chart per check of a step's run whose type is charted (prometheus); `points` vantage name
    -> URL of the Prometheus vantage points configured."""
    start, end = window(now, marker)
    found: list[ChartSpec | Unchartable] = []
    for check in record.checks:
        known = REGISTRY.get(check.type)  # a plugin's type may be gone since
        if known is None or not known.charted:
            continue
        vantage, query = check.details.get("vantage"), check.details.get("query")
        url = points.get(str(vantage))
        title = f"{check.name}: {target}" + (f" (from {vantage})" if vantage else "")
        if url and isinstance(query, str):
            found.append(
                ChartSpec(title=title, url=url, query=query, start=start, end=end, marker=marker)
            )
        elif check.status != "skipped":
            why = check.summary or "the check got no answer from its Prometheus"
            found.append(Unchartable(title=title, why=why))
    return found


def declared(
    chart: Chart,
    scope: dict[str, Any],
    points: dict[str, str],
    *,
    now: float,
    marker: float | None,
    target: str,
) -> ChartSpec | Unchartable:
    """A step's own `chart:`, its templates filled in for this target."""
    title = f"{chart.title or chart.query.source}: {target}"
    try:
        query, vantage = str(chart.query.render(scope)), str(chart.vantage.render(scope))
    except TemplateError as exc:
        return Unchartable(title=title, why=f"its query could not be filled in: {exc}")
    url = points.get(vantage)
    if url is None:
        return Unchartable(title=title, why=f"no prometheus vantage point {vantage!r}")
    seconds = int(chart.window[:-1]) * (60 if chart.window.endswith("m") else 3600)
    start, end = window(now, marker, minimum=min(float(seconds), MAX_WINDOW_S))
    return ChartSpec(
        title=f"{title} (from {vantage})", url=url, query=query, start=start, end=end,
        marker=marker, threshold=chart.threshold,
    )  # fmt: skip
