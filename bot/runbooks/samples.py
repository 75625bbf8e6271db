"""Load-time validation of check parameters that hold placeholders.

A parameter like `port: "{{ target.port }}"` can only be checked once a
value is filled in. So at load time every check is filled in for every
catalogue target it applies to, with the variables' defaults, and validated
by its executor's own model: a target without a port fails now, in `triage
lint`, not during an incident. Values only known later (alert labels, other
checks' results) are left for run time.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.runbooks.binding import Binding, bind, step_applies
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.issues import Loc, Problem
from bot.runbooks.schema import Runbook
from bot.runbooks.site import SiteConfig
from bot.runbooks.templates import Template, TemplateError, templates_in

UNSET = "<vars."


def sample_problems(runbook: Runbook, site: SiteConfig | None = None) -> list[Problem]:
    binding = bind(runbook, _standing_in(runbook, site or SiteConfig()))
    problems: list[Problem] = []
    for i, step in enumerate(runbook.steps):
        for j, check in enumerate(step.check_defs):
            problems += _literal(check, ("steps", i, "checks", j))
            for target in binding.targets:
                if step_applies(step, target):
                    problems += _sample(binding, check, target, ("steps", i, "checks", j))
    return _first_per_place(problems)


def _standing_in(runbook: Runbook, site: SiteConfig) -> SiteConfig:
    """A variable nobody set yet (no default, not in the site config) is
    fine at lint: the site sets it later, and a run refuses it until then.
    It stands in as `<vars.name>`; what it makes invalid is left for run time."""
    unset = {
        name: f"{UNSET}{name}>"
        for name, var in runbook.vars.items()
        if var.default is None and name not in site.vars
    }
    return site.model_copy(update={"vars": {**site.vars, **unset}}) if unset else site


def _literal(check: CheckDef, loc: Loc) -> list[Problem]:
    """Values written as they are, checked once whatever the targets (a check
    whose `if:` fits no catalogue target is still checked)."""
    templated = {k for k, v in check.param_templates.items() if templates_in(v)}
    stand_ins = {k: _fill(v, None) for k, v in check.param_templates.items()}
    try:
        check.check_type.params.model_validate(stand_ins)
    except ValidationError as exc:
        return [
            Problem((*loc, str(e["loc"][0])), f"{e['loc'][0]}: {_message(e['msg'])}")
            for e in exc.errors()
            if e["loc"] and e["loc"][0] not in templated
        ]
    return []


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _sample(binding: Binding, check: CheckDef, target: str, loc: Loc) -> list[Problem]:
    scope = binding.scope(target)
    if not check.applies(scope):
        return []
    rendered: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in check.param_templates.items():
        try:
            rendered[key] = _fill(value, scope)
        except TemplateError as exc:
            problems.append(Problem((*loc, key), f"for target {target!r}: {exc}"))
    if problems:
        return problems
    try:
        check.check_type.params.model_validate(rendered)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else None
            value = check.param_templates.get(field) if field else None
            if field and (
                not templates_in(value) or _later(value) or UNSET in str(rendered.get(field))
            ):
                continue  # literal values: see _literal; later ones: at run time
            where = (*loc, field) if field else loc
            named = f"{field}: {_message(error['msg'])}" if field else _message(error["msg"])
            problems.append(Problem(where, f"for target {target!r}: {named}"))
    return problems


def _fill(value: Any, scope: dict[str, Any] | None) -> Any:
    """Like render_tree, but a placeholder only filled in at run time (an
    alert label, another check's result), or any placeholder when there is
    no scope, stands in as its own source text."""
    if isinstance(value, Template):
        return f"<{value.source}>" if scope is None or _later(value) else value.render(scope)
    if isinstance(value, list):
        return [_fill(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, scope) for k, v in value.items()}
    return value


def _later(value: Any) -> bool:
    return any(
        chain[0] in ("alert", "checks", "each")
        for t in templates_in(value)
        for e in t.exprs
        for chain in e.chains()
    )


def _first_per_place(problems: list[Problem]) -> list[Problem]:
    """One problem per place is enough: the same mistake for seven targets
    is one mistake."""
    seen: set[Loc] = set()
    kept: list[Problem] = []
    for problem in problems:
        if problem.loc not in seen:
            seen.add(problem.loc)
            kept.append(problem)
    return kept
