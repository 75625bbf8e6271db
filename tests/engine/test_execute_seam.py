"""The engine's execute seam: whatever runs a check (its executor, or a
rehearsal's recording) runs under the same deadline and crash handling."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.result import CheckResult, CheckStatus, ErrorKind
from bot.engine.runner import GRACE_S, Engine
from bot.runbooks.binding import Binding, bind
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.loader import load_runbook, load_site

RUNBOOK = """
id: t
title: T
summary: s
targets:
  mail: {title: Mail, impact: none, protocol: smtp, host: 127.0.0.1, port: 1}
steps:
  - id: s
    title: S
    checks:
      - {id: probe, type: tcp, host: "{{ target.host }}", port: "{{ target.port }}", timeout: 0.2}
"""


def binding(tmp_path: Path) -> Binding:
    path = tmp_path / "t.yaml"
    path.write_text(RUNBOOK)
    return bind(load_runbook(path), load_site(None))


async def test_the_seam_gets_the_prepared_parameters_instead_of_the_executor(
    tmp_path: Path,
) -> None:
    seen: list[tuple[str, Params, float]] = []

    async def recorded(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        seen.append((check.id, params, ctx.timeout))
        return CheckResult.passed("recorded")

    step = await Engine(binding(tmp_path), execute=recorded).run_step("s", "mail")
    assert step.checks[0].result.summary == "recorded"
    ((check_id, params, timeout),) = seen
    assert (check_id, params.model_dump()["port"], timeout) == ("probe", 1, 0.2)


async def test_the_engine_deadline_stops_a_seam_that_never_answers(tmp_path: Path) -> None:
    async def hangs(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    started = time.monotonic()
    step = await Engine(binding(tmp_path), execute=hangs).run_step("s", "mail")
    assert time.monotonic() - started < 0.2 + GRACE_S + 1.0
    probe = step.checks[0]
    assert (probe.status, probe.result.error_kind) == (CheckStatus.FAIL, ErrorKind.TIMEOUT)


async def test_a_crashing_seam_is_an_internal_error_of_that_check(tmp_path: Path) -> None:
    async def crashes(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        raise RuntimeError("bad recording")

    step = await Engine(binding(tmp_path), execute=crashes).run_step("s", "mail")
    probe = step.checks[0]
    assert (probe.status, probe.result.error_kind) == (CheckStatus.ERROR, ErrorKind.INTERNAL)
    assert "RuntimeError: bad recording" in probe.result.summary
