"""Views for the renderer, built from a bound runbook and the store."""

from __future__ import annotations

from bot.engine.conclude import render_manual
from bot.runbooks.binding import Binding
from bot.runbooks.schema import Step
from bot.slack.viewmodels import Progress, StepView, TargetView
from bot.store import AlertBinding, Incident, StepRun

# Messages in an incident's thread that are not steps.
NOT_STEPS = frozenset({"header", "escalation"})


def target_view(binding: Binding, target: str) -> TargetView:
    runbook = binding.runbook
    fields = binding.targets[target]
    return TargetView(
        name=target, title=fields["title"], impact=fields["impact"],
        runbook_id=runbook.id, runbook_title=runbook.title,
        summary=runbook.summary, source=runbook.source,
    )  # fmt: skip


def step_view(binding: Binding, incident: Incident, step: Step) -> StepView:
    steps = binding.runbook.steps
    scope = binding.scope(incident.target, alert=incident.alert)
    checks = [c.title or c.id for c in step.check_defs if c.applies(scope)]
    return StepView(
        id=step.id, title=step.title, why=step.why,
        number=steps.index(step) + 1, total=len(steps),
        checks=checks, manual=render_manual(step.manual, scope),
    )  # fmt: skip


def progress(
    binding: Binding, incident: Incident, runs: dict[str, StepRun], bindings: list[AlertBinding]
) -> Progress:
    alerts = [
        f"🔔 {a.name} ({a.source}): {a.status}" + (f", {a.times} times" if a.times > 1 else "")
        for a in bindings
    ]
    return Progress(
        incident_id=incident.id,
        total_steps=len(binding.runbook.steps),
        runs={step: run.result for step, run in runs.items()},
        status=incident.status,
        opened_by=incident.opened_by,
        resolved_by=incident.resolved_by,
        walk=not set(incident.step_messages) - NOT_STEPS,
        dry_run=incident.dry_run,
        alerts=alerts,
    )
