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
from bot.engine.conclude import conclude, render_manual, views
from bot.engine.results import CheckRun, RunResult, StepResult, pick, worst
from bot.runbooks.binding import Binding, step_applies
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.references import dependencies, members, readable, reads_checks
from bot.runbooks.schema import ManualItem, Question, Step
from bot.runbooks.templates import Expr, TemplateError

log = logging.getLogger(__name__)

# The engine's deadline trails the check's own by a little, so that an
# executor that keeps its budget can still say where the time went.
GRACE_S = 0.25

OnCheck = Callable[[str, CheckRun], None]
# Runs one prepared check. The default calls its executor; rehearsals replay
# recorded results through the same deadlines and crash handling.
Execute = Callable[[CheckDef, Params, RunContext], Awaitable[CheckResult]]
# Awaited before each check starts (templates, sockets, a request's building
# are CPU): the bot waits there for the acks on their way (bot.incidents.work).
Pace = Callable[[], Awaitable[None]]


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
        pace: Pace | None = None,
    ) -> None:
        self.binding = binding
        self.settings = settings or Settings()
        self._on_check = on_check
        self._execute_check = execute or run_executor
        self._pace = pace

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
        session = _Session(self, target, alert, unattended, {s.id for s in chosen})
        results = await asyncio.gather(*(session.step(s) for s in chosen))
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
        """One step. Checks of earlier steps that it reads run again (they
        are read-only): a step's findings never depend on what ran before."""
        session = _Session(self, target, alert, False, {step_id})
        return await session.step(self.binding.runbook.step(step_id))

    async def _check(
        self,
        check: CheckDef,
        scope: dict[str, Any],
        deps: dict[str, list[CheckRun]],
        unattended: bool,
        *,
        each: Any = None,
    ) -> CheckRun:
        if self._pace is not None:  # before its deadline's clock starts
            await self._pace()
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
            each=each,
        )

    async def _outcome(
        self,
        check: CheckDef,
        scope: dict[str, Any],
        deps: dict[str, list[CheckRun]],
        unattended: bool,
    ) -> CheckResult:
        unmet = _unmet(check, deps)
        if unmet:
            return CheckResult.skipped(f"needs {'; '.join(unmet)}")
        try:
            params = check.prepare(
                {**scope, "checks": {d: pick(r).view() for d, r in deps.items()}}
            )
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


class _Session:
    """One run for one target: every check runs at most once, and a check
    that reads another (of its step or an earlier one) waits for it."""

    def __init__(
        self,
        engine: Engine,
        target: str,
        alert: Mapping[str, Any] | None,
        unattended: bool,
        shown: set[str],
    ) -> None:
        self.engine = engine
        self.runbook = engine.binding.runbook
        self.scope = engine.binding.scope(target, alert=alert)
        self.unattended = unattended
        self.target = target
        self.shown = shown  # steps whose checks are reported as they end
        self.tasks: dict[tuple[str, str], asyncio.Task[list[CheckRun]]] = {}

    async def step(self, step: Step) -> StepResult:
        started = time.monotonic()
        if not step_applies(step, self.target):
            return StepResult(id=step.id, title=step.title, why=step.why, checks=[], applies=False)
        groups = await asyncio.gather(*(self.runs(step, c) for c in step.check_defs))
        runs = [run for group in groups for run in group]
        # Manual items and conclusions read this step's checks and earlier ones.
        earlier = await self.read(step, _earlier_reads(step))
        scope = {**self.scope, "checks": earlier | views(runs)}
        return StepResult(
            id=step.id,
            title=step.title,
            why=step.why,
            checks=runs,
            conclusion=conclude(step, runs, scope),
            manual=render_manual(step.manual, scope),
            applies=True,
            duration_ms=_ms_since(started),
        )

    def runs(self, step: Step, check: CheckDef) -> asyncio.Task[list[CheckRun]]:
        key = (step.id, check.id)
        if key not in self.tasks:
            self.tasks[key] = asyncio.ensure_future(self._run(step, check))
        return self.tasks[key]

    async def read(self, step: Step, names: set[str]) -> dict[str, Any]:
        """Views of the named checks, as templates read them."""
        found = await self.deps(step, names)
        return {name: pick(runs).view() for name, runs in found.items()}

    async def deps(self, step: Step, names: set[str]) -> dict[str, list[CheckRun]]:
        """The runs each name stands for: this step's checks first, then the
        nearest earlier step's (references.readable). Never an empty list: a
        check whose step is not for this target, or a `for_each` over no
        items, reads as skipped."""
        where = readable(self.runbook, self.runbook.steps.index(step))
        found: dict[str, list[CheckRun]] = {}
        for name in sorted(names):
            home = where.get(name)
            if home is None:
                continue
            source = self.runbook.step(home)
            runs: list[CheckRun] = []
            why = f"step {home} is not for this target"
            if step_applies(source, self.target):
                ids = members(source.check_defs).get(name, [])
                for check in (c for c in source.check_defs if c.id in ids):
                    runs += await self.runs(source, check)
                why = "no item to run it for"
            found[name] = runs or [_nothing(name, why)]
        return found

    async def _run(self, step: Step, check: CheckDef) -> list[CheckRun]:
        # Never its own name: alternatives sharing an `as` name read others.
        deps = await self.deps(step, dependencies(check) - {check.id})
        read = {name: pick(runs).view() for name, runs in deps.items()}
        ready = check.applies(self.scope) and not _unmet(check, deps)
        # `for_each` may list what a check it reads found (the failing ones).
        items = check.items({**self.scope, "checks": read}) if ready else [(check.id, None)]
        runs = await asyncio.gather(
            *(
                self.engine._check(
                    check.for_item(run_id),
                    {**self.scope, "each": item},
                    deps,
                    self.unattended,
                    each=item,
                )
                for run_id, item in items
            )
        )
        if self.engine._on_check and step.id in self.shown:
            for run in runs:
                self.engine._on_check(step.id, run)
        return list(runs)


def _nothing(name: str, why: str) -> CheckRun:
    """What a name reads when no check of it ran at all."""
    return CheckRun(
        id=name,
        type="",
        title="",
        outcome_name=name,
        result=CheckResult.skipped(why),
        applicable=False,
    )


def _earlier_reads(step: Step) -> set[str]:
    """Names this step's conclusions and manual items read."""
    texts: list[Any] = [c.say for c in step.conclusions]
    texts += [t for m in step.manual for t in _manual_texts(m)]
    found = reads_checks(texts)
    for item in [*step.conclusions, *step.manual]:
        if item.if_ is not None:
            chains = Expr(item.if_.expression, item.if_).chains()
            found |= {c[1] for c in chains if len(c) > 1 and c[0] == "checks"}
    return found


def _manual_texts(item: ManualItem) -> list[Any]:
    if isinstance(item, Question):
        return [item.ask, *(a.say for a in item.answers)]
    return [item.say, item.command]


def _unmet(check: CheckDef, deps: dict[str, list[CheckRun]]) -> list[str]:
    """What keeps a check from running: a check it reads or needs that did
    not end as wanted (by default, passed)."""
    unmet = []
    for name, runs in deps.items():
        status = worst([r.status for r in runs]).value
        wanted = check.needed(name)
        if status not in wanted:
            unmet.append(
                f"{name} to {' or '.join(_verb(w) for w in wanted)} (it {_verb(status, past=True)})"
            )
    return unmet


def _verb(status: str, *, past: bool = False) -> str:
    verbs = {"pass": ("pass", "passed"), "fail": ("fail", "failed"), "error": ("error", "errored")}
    pair = verbs.get(status, ("be skipped", "was skipped"))
    return pair[1] if past else pair[0]


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return one_line(str(exc))
