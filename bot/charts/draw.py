"""The PNG: one clear line per series, the alert's start marked, the
threshold when there is one, times in UTC, a title saying what and where;
sized to be read at Slack's thumbnail size (about 360 pixels wide).

matplotlib is imported here only, when a chart is drawn: start-up and
`triage lint` do not pay for it. The object API (Figure + the Agg canvas),
not pyplot: no global state, so drawing off the event loop is safe."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from bot.charts.series import Series
from bot.charts.spec import ChartSpec

# More lines than this are unreadable in a thumbnail: the rest are named.
MAX_SERIES = 6
TITLE_WIDTH = 80  # characters on a line of the title at its font size
SIZE_IN, DPI = (7.2, 3.2), 100
DAY = 86400.0


@dataclass(frozen=True)
class Drawn:
    png: bytes
    # What was plotted, read back from the drawn lines: (label, [(unix time, value)]).
    plotted: list[tuple[str, list[tuple[float, float]]]]


def draw(spec: ChartSpec, series: list[Series]) -> Drawn:
    # Lazily, on purpose: see the module's docstring.
    from matplotlib import dates  # noqa: PLC0415
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=SIZE_IN, dpi=DPI)
    # Fixed margins: a layout engine costs more than the drawing itself.
    more = f" (+{len(series) - MAX_SERIES} series not drawn)" if len(series) > MAX_SERIES else ""
    title = _title(spec.title + more)
    top = 0.89 if "\n" not in title else 0.83
    figure.subplots_adjust(left=0.08, right=0.98, top=top, bottom=0.17)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    shown = series[:MAX_SERIES]
    lines = [
        axes.plot([_utc(t) for t, _ in s.points], [v for _, v in s.points], lw=2, label=s.label)[0]
        for s in shown
    ]
    if spec.marker is not None and spec.start <= spec.marker <= spec.end:
        axes.axvline(_utc(spec.marker), color="crimson", ls="--", lw=1.5, label="alert started")
    if spec.threshold is not None:
        axes.axhline(spec.threshold, color="dimgray", ls=":", lw=1.5, label="threshold")
    axes.set_title(title, fontsize=11, loc="left")
    axes.set_xlim(_utc(spec.start), _utc(spec.end))
    axes.xaxis.set_major_formatter(dates.DateFormatter("%H:%M", tz=UTC))  # type: ignore[no-untyped-call]
    axes.set_xlabel("UTC", fontsize=9)
    axes.tick_params(labelsize=9)
    axes.grid(alpha=0.3)
    if len(shown) > 1 or spec.marker is not None or spec.threshold is not None:
        axes.legend(fontsize=8, loc="best")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return Drawn(out.getvalue(), [(str(line.get_label()), _read_back(line)) for line in lines])


def _utc(at: float) -> float:
    """matplotlib's date axis: days since 1970-01-01 UTC, its default epoch."""
    return at / DAY


def _read_back(line: Any) -> list[tuple[float, float]]:
    xs, ys = line.get_data()
    return [(float(x) * DAY, float(y)) for x, y in zip(xs, ys, strict=True)]


def _title(text: str) -> str:
    """What and where, in full when it fits two lines (a check's title, the
    target and the vantage point often take more than one)."""
    first, *rest = textwrap.wrap(text, TITLE_WIDTH) or [""]
    return f"{first}\n{_fit(' '.join(rest), TITLE_WIDTH)}" if rest else first


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
