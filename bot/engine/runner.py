"""Run a runbook's checks: one step, or every step at once.

Checks of a step run concurrently; a check whose parameters read another
check's result (`{{ checks.tg.result.arn }}`) waits for it. Each check has a
deadline enforced here, whatever its executor does, and a failing or
crashing check never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.checks.context import AwsSettings, DnsSettings, RunContext, VantageSettings
from bot.checks.params import Params, attended_only
from bot.checks.result import CheckResult, CheckStatus, ErrorKind, one_line
from bot.engine.conclude import conclude, render_manual
from bot.engine.results import CheckRun, RunResult, StepResult
from bot.runbooks.binding import Binding, step_applies
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.references import dependencies, members
from bot.runbooks.schema import Step
from bot.runbooks.templates import TemplateError

log = logging.getLogger(__name__)

# The engine's deadline trails the check's own by a little, so that an
# executor that keeps its budget can still say where the time went.
GRACE_S = 0.25

OnCheck = Callable[[str, CheckRun], None]
# Runs one prepared check. The default calls its executor; rehearsals replay
# recorded results through the same deadlines and crash handling.
Execute = Callable[[CheckDef, Params, RunContext], Awaitable[CheckResult]]


async def run_executor(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
    return await check.check_type.run(params, ctx)


@dataclass(frozen=True, kw_only=True)
class Settings:
    ca_file: str | None = None
    aws: AwsSettings = field(default_factory=AwsSettings)
    vantage: VantageSettings = field(default_factory=VantageSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)


class Engine:
    def __init__(
        self,
        binding: Binding,
        *,
        settings: Settings | None = None,
        on_check: OnCheck | None = None,
        execute: Execute | None = None,
    ) -> None:
        self.binding = binding
        self.settings = settings or Settings()
        self._on_check = on_check
        self._execute_check = execute or run_executor

    @property
    def runbook_id(self) -> str:
        return self.binding.runbook.id

    async def run_all(
        self,
        target: str,
        *,
        alert: Mapping[str, Any] | None = None,
        steps: list[str] | None = None,
        unattended: bool = False,
    ) -> RunResult:
        """Every (or the named) step's checks at once. `unattended`: nobody
        asked (auto-triage), so checks that need a person are skipped."""
        started = time.monotonic()
        chosen = [s for s in self.binding.runbook.steps if steps is None or s.id in steps]
        results = await asyncio.gather(
            *(self._step(s, target, alert, unattended=unattended) for s in chosen)
        )
        return RunResult(
            runbook=self.runbook_id,
            title=self.binding.runbook.title,
            target=target,
            steps=list(results),
            duration_ms=_ms_since(started),
        )

    async def run_step(
        self, step_id: str, target: str, *, alert: Mapping[str, Any] | None = None
    ) -> StepResult:
        return await self._step(self.binding.runbook.step(step_id), target, alert)

    async def _step(
        self, step: Step, target: str, alert: Mapping[str, Any] | None, *, unattended: bool = False
    ) -> StepResult:
        started = time.monotonic()
        scope = self.binding.scope(target, alert=alert)
        applies = step_applies(step, target)
        runs = await self._checks(step, scope, unattended) if applies else []
        return StepResult(
            id=step.id,
            title=step.title,
            why=step.why,
            checks=runs,
            conclusion=conclude(step, runs, scope) if applies else None,
            manual=render_manual(step.manual, scope) if applies else [],
            applies=applies,
            duration_ms=_ms_since(started),
        )

    async def _checks(self, step: Step, scope: dict[str, Any], unattended: bool) -> list[CheckRun]:
        checks = step.check_defs
        done: dict[str, asyncio.Future[CheckRun]] = {
            c.id: asyncio.get_running_loop().create_future() for c in checks
        }

        named = members(checks)

        async def one(check: CheckDef) -> CheckRun:
            deps = {
                d: _chosen([await done[i] for i in named.get(d, [])])
                for d in sorted(dependencies(check))
            }
            run = await self._check(check, scope, deps, unattended)
            done[check.id].set_result(run)
            if self._on_check:
                self._on_check(step.id, run)
            return run

        return list(await asyncio.gather(*(one(c) for c in checks)))

    async def _check(
        self, check: CheckDef, scope: dict[str, Any], deps: dict[str, CheckRun], unattended: bool
    ) -> CheckRun:
        started = time.monotonic()
        applicable = check.applies(scope)
        if applicable:
            result = await self._outcome(check, scope, deps, unattended)
        else:
            result = CheckResult.skipped(f"not for target {scope['target']['name']}")
        return CheckRun(
            id=check.id,
            type=check.type,
            title=check.title,
            outcome_name=check.outcome_name,
            result=result.with_duration(_ms_since(started)),
            applicable=applicable,
        )

    async def _outcome(
        self, check: CheckDef, scope: dict[str, Any], deps: dict[str, CheckRun], unattended: bool
    ) -> CheckResult:
        unmet = [d for d, run in deps.items() if run.status is not CheckStatus.PASS]
        if unmet:
            return CheckResult.skipped(f"needs {', '.join(unmet)}, which did not pass")
        try:
            params = check.prepare({**scope, "checks": {d: r.view() for d, r in deps.items()}})
        except (TemplateError, ValidationError) as exc:
            return CheckResult.errored(ErrorKind.INTERNAL, f"parameters: {_one_line(exc)}")
        why = attended_only(params) if unattended else None
        if why is not None:
            return CheckResult.skipped(f"not run by auto-triage: it {why}; run the step to run it")
        return await self._execute(check, params)

    async def _execute(self, check: CheckDef, params: Params) -> CheckResult:
        ctx = RunContext(
            timeout=check.timeout,
            ca_file=self.settings.ca_file,
            aws=self.settings.aws,
            vantage=self.settings.vantage,
            dns=self.settings.dns,
        )
        try:
            async with asyncio.timeout(check.timeout + GRACE_S):
                return await self._execute_check(check, params, ctx)
        except TimeoutError:
            kind = check.check_type.on_deadline
            summary = f"no result within the {check.timeout:g} s deadline"
            if kind is CheckStatus.FAIL:
                return CheckResult.failed(summary, kind=ErrorKind.TIMEOUT)
            return CheckResult.errored(ErrorKind.TIMEOUT, summary)
        except Exception as exc:
            # A bug in one executor must not take the step down with it.
            log.exception("check %s (%s) crashed", check.id, check.type)
            return CheckResult.errored(
                ErrorKind.INTERNAL, f"check crashed: {type(exc).__name__}: {_one_line(exc)}"
            )


def _chosen(runs: list[CheckRun]) -> CheckRun:
    """What an `as` name reads: the alternative that ran for this target."""
    ran = [r for r in runs if r.applicable and r.status is not CheckStatus.SKIPPED]
    return (ran or runs)[0]


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return one_line(str(exc))
