"""The terminal report of a run: one line per check, then the conclusions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bot.checks.result import CheckStatus
from bot.engine.results import CheckRun, RunResult, StepResult

ICONS = {
    CheckStatus.PASS: "✅",
    CheckStatus.FAIL: "❌",
    CheckStatus.ERROR: "⚠️ ",
    CheckStatus.SKIPPED: "⏭ ",
}
STEP_WORDS = {
    "pass": "ok",
    "fail": "FAILING",
    "error": "ERROR",
    "skipped": "n/a",
    "manual": "manual",
}


def check_line(run: CheckRun, *, step: str | None = None) -> str:
    name = f"{step}/{run.id}" if step else run.id
    kind = f" [{run.result.error_kind}]" if run.result.error_kind else ""
    took = f"({run.result.duration_ms:.0f} ms)"
    return f"{ICONS[run.status]} {name:<24} {run.result.summary}{kind}  {took}"


def render(result: RunResult, *, target_title: str, impact: str) -> str:
    return "\n".join(_lines(result, target_title=target_title, impact=impact))


def _lines(result: RunResult, *, target_title: str, impact: str) -> Iterator[str]:
    yield f"{result.title}"
    yield f"target: {result.target} ({target_title})"
    yield f"impact: {impact}"
    for number, step in enumerate(result.steps, start=1):
        yield ""
        yield from _step(number, step)
    yield ""
    yield _footer(result)


def _step(number: int, step: StepResult) -> Iterator[str]:
    yield f"{number}. {step.title}  [{STEP_WORDS[step.status]}]"
    if not step.applies:
        yield "   (not for this target)"
        return
    for run in step.checks:
        if run.applicable:
            yield f"   {check_line(run)}"
    if step.conclusion:
        then = f" (next: {step.conclusion.next})" if step.conclusion.next else ""
        yield f"   → {step.conclusion.say}{then}"
    for item in step.manual:
        if item.ask:
            yield f"   ? {item.ask}"
            yield from (f"     - {label}: {say}" for label, say in item.answers)
        else:
            yield f"   ☞ {item.say}"
            if item.command:
                yield f"     $ {item.command}"


def _footer(result: RunResult) -> str:
    ran = [c for c in result.checks if c.status is not CheckStatus.SKIPPED]
    counts = {s: sum(1 for c in ran if c.status is s) for s in CheckStatus}
    slowest = max((c.result.duration_ms for c in ran), default=0.0)
    return (
        f"{result.status.upper()}: {counts[CheckStatus.PASS]} passed, "
        f"{counts[CheckStatus.FAIL]} failed, {counts[CheckStatus.ERROR]} errors "
        f"in {result.duration_ms / 1000:.2f} s (slowest check {slowest / 1000:.2f} s)"
    )


def render_plan(title: str, target: str, steps: list[dict[str, Any]]) -> str:
    """A dry run: each check's call, nothing contacted."""
    lines = [f"{title}", f"target: {target}", "DRY RUN: no check was run, nothing was contacted"]
    for number, step in enumerate(steps, start=1):
        lines += ["", f"{number}. {step['title']}"]
        if not step["checks"]:
            lines.append("   (no check for this target)")
        for check in step["checks"]:
            lines.append(f"   {check['id']:<20} {check['summary'].removeprefix('dry run: ')}")
            for key, value in check.get("query_params", {}).items():
                if key in ("query", "target"):  # PromQL, a probe's target: decoded
                    lines.append(f"   {'':<20} {key}: {value}")
            if "as_written" in check:
                lines.append(f"   {'':<20} as written: {_compact(check['as_written'])}")
    return "\n".join(lines)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), default=str)
