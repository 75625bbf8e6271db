"""What a chart adds after the findings, and the PNG's size, in the demo.

Plays every demo fault (or those named) in one process, as `triage demo
--no-input` does, with the incident service's chart step timed: from the
moment the findings are shown (the service calls `_charts` right after) to
the last chart uploaded. The first fault pays matplotlib's import and first
drawing; the rest show the steady cost. Prints, per fault and per run (the
alert's triage, then the walk's Run step), the chart time, the triage's time
to its findings, their ratio, and the PNG sizes saved.

Usage: python bench/demo_charts.py [FAULT ...]
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.demo.faults import FAULTS  # noqa: E402
from bot.demo.play import run_demo  # noqa: E402
from bot.incidents import service  # noqa: E402
from bot.slack import presenter  # noqa: E402

Timed = list[tuple[str, float]]


def timing(timed: Timed) -> None:
    """Record how long each triage took (findings and charts) and each step's
    charts that drew at least one (a step without a chart is not counted)."""

    def clocked(name: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = await call(*args, **kwargs)
            if name != "charts" or result:  # post_charts returns what it drew
                timed.append((name, time.perf_counter() - started))
            return result

        return wrapper

    presenter.post_charts = clocked("charts", presenter.post_charts)  # type: ignore[assignment]
    triage = service.IncidentService.triage
    service.IncidentService.triage = clocked("triage", triage)  # type: ignore[method-assign]


def main(names: list[str]) -> None:
    timed: Timed = []
    timing(timed)
    print(
        f"{'fault':<24} {'findings ms':>11} {'chart ms':>9} {'ratio':>6} {'later ms':>9}  PNG bytes"
    )
    for name in names or list(FAULTS):
        timed.clear()
        with tempfile.TemporaryDirectory() as folder:
            run_demo(FAULTS[name], out=io.StringIO(), lines=None, files=Path(folder))
            sizes = sorted(p.stat().st_size for p in Path(folder).glob("*.png"))
        charts = [took for what, took in timed if what == "charts"]
        # The triage's time includes its charts: the findings came that much earlier.
        triage = sum(took for what, took in timed if what == "triage") - charts[0]
        later = ", ".join(f"{c * 1000:.0f}" for c in charts[1:])
        print(
            f"{name:<24} {triage * 1000:>11.0f} {charts[0] * 1000:>9.0f} "
            f"{charts[0] / triage:>6.2f} {later:>9}  {', '.join(map(str, sizes))}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
