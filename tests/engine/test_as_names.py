"""`as` names are readable by other checks, not only by conclusions (#15.6):
the alternative that ran for the target is the one read."""

from __future__ import annotations

from pathlib import Path

from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.result import CheckResult
from bot.engine.runner import Engine
from bot.runbooks.binding import bind
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.loader import load_runbook, load_site

RUNBOOK = """
id: t
title: T
summary: s
targets:
  a: {title: A, impact: none, host: 127.0.0.1, port: 1}
  b: {title: B, impact: none, host: 127.0.0.1, port: 2}
steps:
  - id: s
    title: S
    checks:
      - {id: find-a, as: find, type: tcp, if: "target.name == 'a'", host: 127.0.0.1, port: 1}
      - {id: find-b, as: find, type: tcp, if: "target.name == 'b'", host: 127.0.0.1, port: 2}
      - {id: look, type: tcp, host: 127.0.0.1, port: "{{ checks.find.result.port }}"}
"""


async def test_a_check_reads_the_alternative_that_ran(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(RUNBOOK)
    seen: dict[str, int] = {}

    async def recorded(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        port = params.model_dump()["port"]
        seen[check.id] = port
        return CheckResult.passed("ok", result={"port": port + 100})

    engine = Engine(bind(load_runbook(path), load_site(None)), execute=recorded)
    await engine.run_step("s", "b")
    assert seen == {"find-b": 2, "look": 102}
