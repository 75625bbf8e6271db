"""The engine's platform-neutral findings: what Slack, the terminal and JSON
render. Plain data, no behaviour beyond summarising itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.checks.result import CheckResult, CheckStatus

# Worst first: a step (or run) takes the worst status of its checks.
_SEVERITY = [CheckStatus.FAIL, CheckStatus.ERROR, CheckStatus.PASS, CheckStatus.SKIPPED]


def worst(statuses: list[CheckStatus]) -> CheckStatus:
    for status in _SEVERITY:
        if status in statuses:
            return status
    return CheckStatus.SKIPPED


def pick(runs: list[CheckRun]) -> CheckRun:
    """What a name standing for several runs reads (`as` alternatives, the
    items of a `for_each`): the worst of those that ran, so a drill-down
    looks at the failing one."""
    ran = [r for r in runs if r.applicable and r.status is not CheckStatus.SKIPPED]
    for status in _SEVERITY:
        for run in ran:
            if run.status is status:
                return run
    return runs[0]


@dataclass(frozen=True, kw_only=True)
class CheckRun:
    id: str
    type: str
    title: str
    outcome_name: str
    result: CheckResult
    # False when the check's `if:` rules it out for this target.
    applicable: bool = True
    # The item of its `for_each` this run is for (None: no for_each).
    each: Any = None

    @property
    def status(self) -> CheckStatus:
        return self.result.status

    def view(self) -> dict[str, Any]:
        """What conclusions read as `checks.<id>`."""
        r = self.result
        return {
            "status": r.status.value,
            "summary": r.summary,
            "error_kind": r.error_kind.value if r.error_kind else None,
            "result": r.result,
            "details": r.details,
        } | ({"each": self.each} if self.each is not None else {})

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "status": r.status.value,
            "summary": r.summary,
            "error_kind": r.error_kind.value if r.error_kind else None,
            "duration_ms": r.duration_ms,
            "details": r.details,
        }


@dataclass(frozen=True, kw_only=True)
class ManualView:
    say: str
    command: str | None = None
    ask: str | None = None
    answers: list[tuple[str, str]] = field(default_factory=list)
    # A question's place among its step's (or the escalation's) questions as
    # the runbook writes them, before any `if:` drops one, and a digest of its
    # text as written: what an answer button names it by, stably, whatever a
    # later run shows (bot.incidents.answers). None when built by hand.
    position: int | None = None
    digest: str | None = None


@dataclass(frozen=True, kw_only=True)
class Conclusion:
    say: str
    next: str | None = None
    # Which of the step's rules it was (rehearsals count coverage by it).
    rule: int | None = field(default=None, compare=False)


@dataclass(frozen=True, kw_only=True)
class StepResult:
    id: str
    title: str
    why: str
    checks: list[CheckRun]
    conclusion: Conclusion | None = None
    manual: list[ManualView] = field(default_factory=list)
    applies: bool = True
    duration_ms: float = 0.0

    @property
    def status(self) -> str:
        if not self.applies:
            return "skipped"
        if not self.checks:
            return "manual"
        return worst([c.status for c in self.checks]).value

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "checks": [c.to_json() for c in self.checks],
            "conclusion": self.conclusion.say if self.conclusion else None,
            "next": self.conclusion.next if self.conclusion else None,
            "manual": [asdict(m) for m in self.manual],
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True, kw_only=True)
class RunResult:
    runbook: str
    title: str
    target: str
    steps: list[StepResult]
    duration_ms: float

    @property
    def checks(self) -> list[CheckRun]:
        return [c for s in self.steps for c in s.checks]

    @property
    def status(self) -> str:
        return worst([c.status for c in self.checks]).value

    def to_json(self) -> dict[str, Any]:
        return {
            "runbook": self.runbook,
            "title": self.title,
            "target": self.target,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "steps": [s.to_json() for s in self.steps],
        }
