"""Streaming (bot.incidents.streaming): results close together go out in
one show, "running" is shown only when no result comes at once, and
nothing is shown once the run has ended."""

from __future__ import annotations

import asyncio

from bot.checks.result import CheckResult
from bot.engine.records import StepRecord
from bot.engine.results import CheckRun
from bot.incidents.streaming import RUNNING, Streaming


def _run(check: str) -> CheckRun:
    result = CheckResult.failed(f"{check} failed")
    return CheckRun(id=check, type="tcp", title=check, outcome_name=check, result=result)


async def test_results_close_together_are_shown_once_with_all_of_them() -> None:
    shows: list[dict[str, StepRecord]] = []
    shown = asyncio.Event()

    async def show(partial: dict[str, StepRecord]) -> None:
        shows.append(partial)
        shown.set()

    stream = Streaming({"s": "Step"}, show, settle=0.05)
    stream.told("s", _run("a"))
    stream.told("s", _run("b"))
    stream.told("other", _run("c"))  # not a step of this run: ignored
    await asyncio.wait_for(shown.wait(), 5)
    await stream.close()
    assert len(shows) == 1
    (record,) = shows[0].values()
    assert record.status == RUNNING and [c.id for c in record.checks] == ["a", "b"]


async def test_running_is_shown_only_when_no_result_comes_within_the_grace() -> None:
    said: list[str] = []
    ran = asyncio.Event()

    async def running() -> None:
        said.append("running")
        ran.set()

    async def show(partial: dict[str, StepRecord]) -> None:
        said.append("so far")

    quick = Streaming({"s": "Step"}, show, running=running, grace=30, settle=0)
    quick.told("s", _run("a"))
    await quick.close()
    slow = Streaming({"s": "Step"}, show, running=running, grace=0.01)
    await asyncio.wait_for(ran.wait(), 5)
    await slow.close()
    # The quick run: its result came, so no "running"; it ended before the
    # settle time, so no partial show either (the final findings follow).
    assert said == ["running"]
