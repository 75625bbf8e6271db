"""Which charts a step's run asks for, read from its typed record."""

from __future__ import annotations

from bot.charts.spec import ChartSpec, Unchartable, specs
from bot.engine.records import CheckRecord, StepRecord

POINTS = {"central": "http://127.0.0.1:9090"}


def _prometheus(id: str, status: str, **details: object) -> CheckRecord:
    return CheckRecord(
        id=id, type="prometheus", title="", status=status, summary="no series",
        details=dict(details),
    )  # fmt: skip


def test_each_prometheus_check_of_a_record_is_charted_or_says_why_not() -> None:
    record = StepRecord(
        id="s", title="S", status="fail",
        checks=[
            _prometheus("up", "fail", vantage="central", query="up == 0"),
            _prometheus("gone", "error", vantage="elsewhere", query="up"),
            _prometheus("later", "skipped"),
            CheckRecord(id="tcp", type="tcp", title="", status="fail", summary="refused"),
        ],
    )  # fmt: skip
    found = specs(record, POINTS, now=7200.0, marker=None, target="relay")
    assert found == [
        ChartSpec(
            title="up: relay (from central)", url=POINTS["central"], query="up == 0",
            start=3600.0, end=7200.0, marker=None,
        ),
        Unchartable(title="gone: relay (from elsewhere)", why="no series"),
    ]  # fmt: skip
