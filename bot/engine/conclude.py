"""Turn a step's check outcomes into its conclusion; fill in manual items."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from bot.checks.params import truthy
from bot.checks.result import CheckStatus
from bot.engine.results import CheckRun, Conclusion, ManualView, StepResult, pick, worst
from bot.runbooks.schema import ManualItem, Question, Step
from bot.runbooks.templates import Template, TemplateError, shell_quote


def outcomes(runs: list[CheckRun]) -> dict[str, CheckStatus]:
    """Status by check id and by `as` name; alternatives sharing a name give
    the worst of those that ran."""
    by_name: dict[str, list[CheckStatus]] = {}
    for run in runs:
        by_name.setdefault(run.id, []).append(run.status)
        if run.outcome_name != run.id:
            by_name.setdefault(run.outcome_name, []).append(run.status)
    return {name: worst(statuses) for name, statuses in by_name.items()}


def conclude(step: Step, runs: list[CheckRun], scope: dict[str, Any]) -> Conclusion | None:
    """The first rule that matches, in the order the runbook gives them."""
    seen = outcomes(runs)
    full = {**scope, "checks": {**scope.get("checks", {}), **views(runs)}}
    for index, rule in enumerate(step.conclusions):
        if rule.matches(seen, full):
            return Conclusion(say=_fill(rule.say, full), next=rule.next, rule=index)
    return None


def render_manual(items: list[ManualItem], scope: dict[str, Any]) -> list[ManualView]:
    """The items whose `if:` holds, filled in; each question keeps its
    position among the questions as written and its digest (ManualView)."""
    views: list[ManualView] = []
    position = -1
    for item in items:
        position += isinstance(item, Question)  # counted before the `if:`
        if item.if_ is not None and not truthy(item.if_.search(scope)):
            continue
        if isinstance(item, Question):
            answers = [(a.label, _fill(a.say, scope)) for a in item.answers]
            ask = _fill(item.ask, scope)
            digest = question_digest(item)
            views.append(
                ManualView(say="", ask=ask, answers=answers, position=position, digest=digest)
            )
        else:
            command = _fill(item.command, scope, quote=True) if item.command else None
            views.append(ManualView(say=_fill(item.say, scope), command=command))
    return views


def question_digest(question: Question) -> str:
    """A question as the runbook writes it (its text, unfilled): a button
    drawn from another version of the runbook carries another digest."""
    return hashlib.sha256(question.ask.source.encode()).hexdigest()[:8]


def answer_check(digest: str, label: str) -> str:
    """What an answer button carries to tell its question and answer from
    any other at its position: short, as a button's value must be."""
    return hashlib.sha256(f"{digest}\x1f{label}".encode()).hexdigest()[:6]


def answer_say(question: Question, index: int, scope: dict[str, Any]) -> str:
    """What answer `index` says, filled in `scope` (whatever its `if:`)."""
    return _fill(question.answers[index].say, scope)


def read_across(steps: Sequence[StepResult]) -> dict[str, Any]:
    """`checks.<name>` as the escalation and its actions read it (they come
    after every step): each step's checks, a later step's name over an
    earlier one's. Pass it as `Binding.scope(..., checks=...)`."""
    found: dict[str, Any] = {}
    for step in steps:
        found |= views(step.checks)
    return found


def views(runs: list[CheckRun]) -> dict[str, Any]:
    """`checks.<name>` for each id and each name shared by several runs
    (`as`, `for_each`): the run `pick` chooses."""
    by_name: dict[str, list[CheckRun]] = {}
    for run in runs:
        by_name.setdefault(run.id, []).append(run)
        if run.outcome_name != run.id:
            by_name.setdefault(run.outcome_name, []).append(run)
    return {name: pick(group).view() for name, group in by_name.items()}


def _fill(template: Template, scope: dict[str, Any], *, quote: bool = False) -> str:
    try:
        value = template.render(scope, quote=shell_quote if quote else None)
    except TemplateError as exc:
        # Say what is missing rather than hide the step's advice.
        return f"{template.source} (not filled in: {exc})"
    return value if isinstance(value, str) else str(value)
