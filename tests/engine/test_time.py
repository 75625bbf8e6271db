"""Time in templates, `if:` and conclusions (#15.3), through the engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
  db: {title: DB, impact: none, protocol: tcp, host: 127.0.0.1, port: 1}
steps:
  - id: s
    title: S
    checks:
      - {id: job, type: tcp, host: "{{ target.host }}", port: "{{ target.port }}"}
      - id: later
        type: tcp
        if: "now() < `0`"
        host: "{{ target.host }}"
        port: "{{ target.port }}"
    conclusions:
      - when: {job: pass}
        if: "age(checks.job.result.last) > duration('26h')"
        say: "last success {{ checks.job.result.last }}, older than {{ duration('26h') }} s"
      - say: recent enough
"""


async def run(tmp_path: Path, hours_ago: int) -> tuple[str | None, bool]:
    path = tmp_path / "t.yaml"
    path.write_text(RUNBOOK)
    last = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()

    async def recorded(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        return CheckResult.passed("ok", result={"last": last})

    engine = Engine(bind(load_runbook(path), load_site(None)), execute=recorded)
    step = await engine.run_step("s", "db")
    said = step.conclusion.say if step.conclusion else None
    return said, next(c for c in step.checks if c.id == "later").applicable


async def test_a_conclusion_compares_an_age_with_a_duration(tmp_path: Path) -> None:
    said, later_applies = await run(tmp_path, hours_ago=30)
    assert said is not None and said.endswith("older than 93600 s")
    assert later_applies is False  # `if: now() < 0` is false
    assert (await run(tmp_path, hours_ago=2))[0] == "recent enough"


def test_expiry_and_relative_starts_need_no_arithmetic() -> None:
    """JMESPath has no `+` or `-`: `until()` and `ago()` say "in under 14
    days" and "15 minutes ago" (a start for an AWS call's time range)."""
    from bot.checks.params import compile_jmespath

    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    expiring = compile_jmespath("until(not_after) < duration('14d')")
    assert expiring.search({"not_after": soon}) is True
    assert expiring.search({"not_after": later}) is False
    start = compile_jmespath("ago('15m')").search({})
    assert abs(start - (datetime.now(UTC) - timedelta(minutes=15)).timestamp()) < 60
