"""Dry run: the exact call each check would make, and no call at all.

`dry_run` plugs into the engine's execute seam: the check's parameters are
filled in and validated as for a real run (a metadata address is refused
here too), then described instead of executed. The result is skipped, with
a summary saying what would happen and the call itself in `details`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.checks.context import RunContext
from bot.checks.describing import Call
from bot.checks.params import Params
from bot.checks.registry import REGISTRY
from bot.checks.result import CheckResult, one_line
from bot.engine.results import RunResult
from bot.runbooks.binding import Binding
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.references import dependencies
from bot.runbooks.templates import Template


async def dry_run(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
    """The engine's execute seam for a dry run."""
    say, call = describe(check.type, params, ctx)
    return CheckResult.skipped(one_line(f"dry run: {say}"), details={"dry_run": call})


def describe(check_type: str, params: Params, ctx: RunContext) -> tuple[str, Call]:
    """(what would happen in words, the call as data) for one check: the
    registered type describes itself."""
    return REGISTRY[check_type].dry(params, ctx)


def plan(result: RunResult, binding: Binding) -> list[dict[str, Any]]:
    """Each step's applicable checks and their calls. A check that reads
    another's result cannot be filled in without running that one: its
    parameters are shown as written."""
    steps = []
    for step in result.steps:
        defs = binding.runbook.step(step.id).check_defs
        checks = []
        for run in step.checks:
            check = _def_of(defs, run.id)
            if not run.applicable:
                checks.append(_skipped_by_if(run.id, run.type, check))
                continue
            call = run.result.details.get("dry_run")
            entry = {"id": run.id, "type": run.type, "summary": run.result.summary, "call": call}
            entry |= _decoded(call)
            if call is None and run.result.error_kind is None:
                entry["summary"] = _after(check)
                entry["as_written"] = as_written(check)
            checks.append(entry)
        steps.append({"id": step.id, "title": step.title, "checks": checks})
    return steps


def _after(check: CheckDef) -> str:
    """When a check that waits for others would run: `needs` says how
    they must end (a drill-down), anything else it reads must pass."""
    verbs = {"pass": "passes", "fail": "fails", "error": "errors", "skipped": "is skipped"}
    waits = [
        f"{name} {' or '.join(verbs[w] for w in check.needed(name))}"
        for name in sorted(dependencies(check))
    ]
    return f"runs after the checks it reads, if {' and '.join(waits)}"


def _def_of(defs: list[CheckDef], run_id: str) -> CheckDef:
    """The check a run is of: its own id, or a `for_each` check's item."""
    for check in defs:
        if check.id == run_id:
            return check
    return next(c for c in defs if c.for_each is not None and run_id.startswith(f"{c.id}-"))


def _skipped_by_if(check_id: str, check_type: str, check: CheckDef) -> dict[str, Any]:
    """A check its `if:` leaves out is shown, saying so: checks that read it
    are listed too, and a responder should see why it is not there."""
    why = f"if: {check.if_.expression}" if check.if_ is not None else "its step's targets"
    return {
        "id": check_id,
        "type": check_type,
        "summary": f"skipped for this target ({why} is false)",
        "call": None,
        "skipped": True,
    }


def _decoded(call: Any) -> dict[str, Any]:
    """The query string of a URL call, decoded: PromQL read as written, not
    as `probe_success%7Binstance%3D...`."""
    url = call.get("url") if isinstance(call, dict) else None
    if not isinstance(url, str) or "?" not in url:
        return {}
    return {"query_params": dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))}


def as_written(check: CheckDef) -> dict[str, Any]:
    return {key: _source(value) for key, value in check.param_templates.items()}


def _source(value: Any) -> Any:
    if isinstance(value, Template):
        return str(value)
    if isinstance(value, list):
        return [_source(v) for v in value]
    if isinstance(value, dict):
        return {k: _source(v) for k, v in value.items()}
    return value
