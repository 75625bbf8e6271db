"""What a presenter is given: plain typed views built from a bound runbook,
the stored records and the store, so that rendering stays a pure function.
The header and a step's message are both drawn from StepRecords."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.engine.conclude import render_manual
from bot.engine.records import StepRecord, read_across
from bot.engine.results import ManualView
from bot.runbooks.binding import Binding
from bot.runbooks.schema import Step
from bot.store import AlertBinding, Incident, StepRun

# The escalation's answer buttons carry this in place of a step id (the
# schema reserves it: no step may take it); also its message's name.
ESCALATION_ID = "escalation"
HEADER = "header"
# Messages in an incident's thread that are not steps.
NOT_STEPS = frozenset({HEADER, ESCALATION_ID})


@dataclass(frozen=True, kw_only=True)
class TargetView:
    name: str
    title: str
    impact: str
    runbook_id: str
    runbook_title: str
    summary: str
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class StepView:
    id: str
    title: str
    why: str
    number: int
    total: int
    checks: list[str] = field(default_factory=list)  # check titles (or ids)
    manual: list[ManualView] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class EscalationView:
    why: str
    manual: list[ManualView] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)  # (id, title) for this target


@dataclass(frozen=True, kw_only=True)
class Progress:
    """The header's view of an incident: kept current as steps run."""

    incident_id: int
    total_steps: int
    runs: dict[str, StepRecord] = field(default_factory=dict)  # step id -> its latest run
    status: str = "open"
    opened_by: str = ""
    resolved_by: str | None = None
    walk: bool = False  # no step posted yet: offer to walk through
    dry_run: bool = False  # checks and actions only show what they would call
    running: bool = False  # every check is running now (auto-triage)
    alerts: list[str] = field(default_factory=list)  # lines about the alerts bound to it

    @property
    def findings(self) -> list[tuple[str, str, str]]:
        """(icon, name, text): failing checks first, then each step's conclusion."""
        failing = [
            ("❌" if c.status == "fail" else "⚠️", c.name, c.summary)
            for run in self.runs.values()
            for c in run.failing
        ]
        said = [("➡️", "", run.conclusion) for run in self.runs.values() if run.conclusion]
        return failing + said

    @property
    def failing(self) -> list[str]:
        return [f"{step}/{c.id}" for step, run in self.runs.items() for c in run.failing]


def target_view(binding: Binding, target: str) -> TargetView:
    runbook = binding.runbook
    fields = binding.targets[target]
    return TargetView(
        name=target, title=fields["title"], impact=fields["impact"],
        runbook_id=runbook.id, runbook_title=runbook.title,
        summary=runbook.summary, source=runbook.source,
    )  # fmt: skip


def step_view(binding: Binding, incident: Incident, step: Step) -> StepView:
    """The step before it runs: its manual items read no checks yet (after
    a run, the record's manual items, filled from its results, are shown)."""
    steps = binding.runbook.steps
    scope = binding.scope(incident.target, alert=incident.alert)
    checks = [c.title or c.id for c in step.check_defs if c.applies(scope)]
    return StepView(
        id=step.id, title=step.title, why=step.why,
        number=steps.index(step) + 1, total=len(steps),
        checks=checks, manual=render_manual(step.manual, scope),
    )  # fmt: skip


def escalation_view(
    binding: Binding, incident: Incident, runs: Mapping[str, StepRecord]
) -> EscalationView:
    """`runs`: each step's latest record; its manual items read the findings
    (`checks.<name>` across every step run), as its actions' plans do."""
    escalation = binding.runbook.escalation
    if escalation is None:
        return EscalationView(why="")
    scope = binding.scope(incident.target, alert=incident.alert, checks=read_across(runs.values()))
    actions = [
        (a.id, a.title)
        for a in escalation.actions
        if a.targets is None or incident.target in a.targets
    ]
    return EscalationView(
        why=escalation.why, manual=render_manual(escalation.manual, scope), actions=actions
    )


def records(runs: Mapping[str, StepRun]) -> dict[str, StepRecord]:
    """Each step's latest run, typed (the one reader of stored results)."""
    return {step: StepRecord.from_json(run.result) for step, run in runs.items()}


def progress(
    binding: Binding,
    incident: Incident,
    runs: Mapping[str, StepRun],
    bindings: Sequence[AlertBinding],
) -> Progress:
    """The header's view from what the store holds (read by the caller, so
    that this stays a pure function over either store)."""
    alerts = [
        f"🔔 {a.name} ({a.source}): {a.status}" + (f", {a.times} times" if a.times > 1 else "")
        for a in bindings
    ]
    return Progress(
        incident_id=incident.id,
        total_steps=len(binding.runbook.steps),
        runs=records(runs),
        status=incident.status,
        opened_by=incident.opened_by,
        resolved_by=incident.resolved_by,
        walk=not set(incident.step_messages) - NOT_STEPS,
        dry_run=incident.dry_run,
        alerts=alerts,
    )
