"""Checks between the parts of a runbook: ids unique, names that exist,
templates that refer to things the runbook has, no cycles."""

from __future__ import annotations

from collections.abc import Iterator

from bot.actions.registry import ACTION_TYPES
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.issues import Loc, Problem
from bot.runbooks.schema import ManualItem, Question, Runbook, Step, Target
from bot.runbooks.templates import Expr, Template, TemplateError, compile_tree, templates_in

TARGET_FIELDS = frozenset({"name", *Target.model_fields})
# Parameters that say where a check connects, or what it asks whom. An
# alert's labels are text from outside: they may pick a catalogue target
# (triggers), never an address, a port, a vantage point, a blackbox module
# (which decides where and how it probes) or a query.
ADDRESS_KEYS = frozenset(
    {
        "host", "url", "target", "server_name", "port", "vantage", "module", "query",
        "endpoint", "endpoint_url", "region",
    }
)  # fmt: skip
ALERT_ADDRESS = (
    "a host or URL may not come from an alert label (nor a port, vantage point, module,"
    " query or region): map the label to a catalogue target in `triggers` and use"
    " {{ target.* }}"
)


def _reads_alert(value: object) -> bool:
    return any(c[0] == "alert" for t in templates_in(value) for e in t.exprs for c in e.chains())


SITE_FIELDS = frozenset({"vantage_points"})
# What an `if:` may test: the target, the variables, the alert and the site.
IF_ROOTS = ("vars", "target", "alert", "site")
TEMPLATE_ROOTS = ("vars", "target", "alert", "checks")
# What `for_each` may list: never the alert, since items fill in addresses.
EACH_ROOTS = ("vars", "target", "site", "checks")


def check_references(runbook: Runbook) -> list[Problem]:
    problems = list(_unique_steps(runbook))
    problems += _trigger_targets(runbook)
    step_ids = {s.id for s in runbook.steps}
    for i, step in enumerate(runbook.steps):
        problems += _step(runbook, step, ("steps", i), step_ids)
    problems += _target_templates(runbook)
    if runbook.escalation:
        # The escalation comes after every step: it may read any step's checks.
        every = set(readable(runbook, len(runbook.steps)))
        problems += _manual(runbook, runbook.escalation.manual, ("escalation", "manual"), every)
        roots = ("vars", "target", "alert", "checks")
        for j, action in enumerate(runbook.escalation.actions):
            here = ("escalation", "actions", j)
            problems += _target_names(runbook, action.targets, here)
            for loc, tree in ACTION_TYPES[action.type].templated(action):
                problems += _compiled(runbook, tree, (*here, *loc), roots, every)
    return problems


def names_of(step: Step) -> set[str]:
    """What other parts read a step's checks by: ids and `as` names."""
    return {c.id for c in step.check_defs} | {c.as_ for c in step.check_defs if c.as_}


def readable(runbook: Runbook, index: int) -> dict[str, str]:
    """Check name -> the step it is read from, for the step at `index`: its
    own checks, then earlier steps' (the nearest one holding the name)."""
    found: dict[str, str] = {}
    for step in runbook.steps[: index + 1]:  # later ones override: the nearest wins
        found |= dict.fromkeys(names_of(step), step.id)
    return found


def opt_ins(runbook: Runbook) -> Iterator[Problem]:
    """Checks that opt out of a safety rule, with the reason given, for review."""
    for i, step in enumerate(runbook.steps):
        for j, check in enumerate(step.check_defs):
            # Each type says which of its safety rules a check opts out of.
            notes = check.check_type.reviews(check.param_templates)
            for key, message in notes.items():
                yield Problem(("steps", i, "checks", j, key), message)


def _unique_steps(runbook: Runbook) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, step in enumerate(runbook.steps):
        if step.id in seen:
            yield Problem(("steps", i, "id"), f"duplicate step id {step.id!r}")
        seen.add(step.id)


def _trigger_targets(runbook: Runbook) -> Iterator[Problem]:
    for i, trigger in enumerate(runbook.triggers.alertmanager):
        for value, name in trigger.targets.items():
            loc = ("triggers", "alertmanager", i, "targets", value)
            if name not in runbook.targets:
                yield Problem(loc, _unknown_target(runbook, name))
            yield from _compiled(runbook, value, loc, roots=("vars",))
        if trigger.default is not None and trigger.default not in runbook.targets:
            here: Loc = ("triggers", "alertmanager", i, "default")
            yield Problem(here, _unknown_target(runbook, trigger.default))
    for monitor, name in runbook.triggers.kuma.items():
        if name not in runbook.targets:
            yield Problem(("triggers", "kuma", monitor), _unknown_target(runbook, name))
    for check, name in runbook.triggers.healthchecks.items():
        if name not in runbook.targets:
            yield Problem(("triggers", "healthchecks", check), _unknown_target(runbook, name))


def _step(runbook: Runbook, step: Step, loc: Loc, step_ids: set[str]) -> list[Problem]:
    problems = _target_names(runbook, step.targets, loc)
    checks = step.check_defs
    ids = {c.id for c in checks}
    names = ids | {c.as_ for c in checks if c.as_}
    # This step's checks and earlier steps' (drill-downs across steps).
    visible = set(readable(runbook, int(loc[-1])))
    seen: set[str] = set()
    for j, check in enumerate(checks):
        here = (*loc, "checks", j)
        if check.id in seen:
            problems.append(Problem((*here, "id"), f"duplicate check id {check.id!r} in this step"))
        seen.add(check.id)
        # Other checks may be read by id or by `as` name, never its own.
        others = visible - {check.id, check.as_ or ""}
        problems += _check_templates(runbook, check, here, others)
        problems += _needs(runbook, check, here, others)
    problems += _cycles(checks, loc)
    for k, conclusion in enumerate(step.conclusions):
        here = (*loc, "conclusions", k)
        for name in conclusion.when:
            if name not in names:
                known = ", ".join(sorted(names)) or "none"
                problems.append(
                    Problem(
                        (*here, "when", name),
                        f"no check {name!r} in this step (known: {known})",
                        at_key=True,
                    )
                )
        if conclusion.next and conclusion.next not in step_ids:
            problems.append(
                Problem((*here, "next"), f"no step {conclusion.next!r} in this runbook")
            )
        problems += _templates(runbook, [conclusion.say], (*here, "say"), visible)
        if conclusion.if_ is not None:
            expr = Expr(conclusion.if_.expression, conclusion.if_)
            problems += _expr(runbook, expr, (*here, "if"), visible, roots=(*IF_ROOTS, "checks"))
    problems += _manual(runbook, step.manual, (*loc, "manual"), visible)
    return problems


def _needs(runbook: Runbook, check: CheckDef, loc: Loc, others: set[str]) -> list[Problem]:
    problems = [
        Problem((*loc, "needs", name), _no_check(runbook, name, others), at_key=True)
        for name in check.needs
        if name not in others
    ]
    if check.for_each is not None and check.as_:
        message = "a for_each check's id names all its runs: it cannot take an `as` name too"
        problems.append(Problem((*loc, "as"), message))
    if check.for_each is not None and not isinstance(check.for_each, list):
        expr = Expr(check.for_each.expression, check.for_each)
        # Items may fill in any parameter: never text from outside.
        problems += _expr(runbook, expr, (*loc, "for_each"), others, roots=EACH_ROOTS)
    return problems


def _compiled(
    runbook: Runbook,
    value: object,
    loc: Loc,
    roots: tuple[str, ...] = ("vars", "target", "alert"),
    checks: set[str] | None = None,
) -> list[Problem]:
    """Templates written where no model compiled them (mapping keys, free-form
    parameters): compile them now and check what they refer to."""
    try:
        templates = templates_in(compile_tree(value))
    except TemplateError as exc:
        return [Problem(loc, str(exc))]
    return _templates(runbook, templates, loc, checks or set(), roots=roots)


def _check_templates(runbook: Runbook, check: CheckDef, loc: Loc, ids: set[str]) -> list[Problem]:
    problems = [Problem((*loc, key), message) for key, message in check.template_errors.items()]
    for key in sorted(check.check_type.literal & check.param_templates.keys()):
        if templates_in(check.param_templates[key]):
            message = f"{key} must be written out, not a placeholder: it is judged at load"
            problems.append(Problem((*loc, key), message))
    vetted = check.check_type.vet(check.param_templates)
    problems += [Problem((*loc, key), message) for key, message in vetted.items()]
    roots = (*TEMPLATE_ROOTS, "each") if check.for_each is not None else TEMPLATE_ROOTS
    for key, value in check.param_templates.items():
        if key in ADDRESS_KEYS and _reads_alert(value):
            problems.append(Problem((*loc, key), ALERT_ADDRESS))
        where = (*loc, key)
        problems += _templates(runbook, templates_in(value), where, ids - {check.id}, roots=roots)
    if check.if_ is not None:
        expr = Expr(check.if_.expression, check.if_)
        problems += _expr(runbook, expr, (*loc, "if"), set(), roots=IF_ROOTS)
    return problems


def _manual(runbook: Runbook, items: list[ManualItem], loc: Loc, checks: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for k, item in enumerate(items):
        texts = (
            [item.ask, *(a.say for a in item.answers)]
            if isinstance(item, Question)
            else [t for t in (item.say, item.command) if t is not None]
        )
        problems += _templates(runbook, texts, (*loc, k), checks)
        if item.if_ is not None:
            expr = Expr(item.if_.expression, item.if_)
            roots = (*IF_ROOTS, "checks")
            problems += _expr(runbook, expr, (*loc, k, "if"), checks, roots=roots)
    return problems


def _target_templates(runbook: Runbook) -> list[Problem]:
    problems: list[Problem] = []
    for name, target in runbook.targets.items():
        for field in ("host", "port", "url", "server_name", "service", "target_group"):
            value = getattr(target, field)
            if isinstance(value, Template):
                loc: Loc = ("targets", name, field)
                problems += _templates(runbook, [value], loc, set(), roots=("vars",))
        for key, value in target.attrs.items():
            loc = ("targets", name, "attrs", key)
            problems += _templates(runbook, [value], loc, set(), roots=("vars",))
    return problems


def _templates(
    runbook: Runbook,
    templates: list[Template],
    loc: Loc,
    checks: set[str],
    roots: tuple[str, ...] = TEMPLATE_ROOTS,
) -> list[Problem]:
    return [
        p for t in templates for e in t.exprs for p in _expr(runbook, e, loc, checks, roots=roots)
    ]


def _expr(
    runbook: Runbook, expr: Expr, loc: Loc, checks: set[str], *, roots: tuple[str, ...]
) -> list[Problem]:
    messages = (_chain(runbook, chain, checks=checks, roots=roots) for chain in expr.chains())
    return [Problem(loc, f"{{{{ {expr.source} }}}}: {m}") for m in messages if m]


def _chain(
    runbook: Runbook, chain: tuple[str, ...], *, checks: set[str], roots: tuple[str, ...]
) -> str | None:
    """What is wrong with one chain of names read from the scope, if anything."""
    root, name = (*chain, "", "")[:2]
    if root not in roots:
        return f"only {', '.join(roots)} may be used here"
    if root == "vars" and name and name not in runbook.vars:
        return f"no variable {name!r} (declared: {', '.join(sorted(runbook.vars)) or 'none'})"
    if root == "target" and name and name not in TARGET_FIELDS:
        return f"targets have no field {name!r}"
    if root == "site" and name and name not in SITE_FIELDS:
        return f"site has no field {name!r} (fields: {', '.join(sorted(SITE_FIELDS))})"
    if root == "checks" and name not in checks:
        return _no_check(runbook, name, checks)
    return None


def _no_check(runbook: Runbook, name: str, checks: set[str]) -> str:
    later = [s.id for s in runbook.steps if name in names_of(s)]
    if later:
        return (
            f"check {name!r} is in step {later[0]!r}, which comes later: a step reads its own"
            " checks and earlier steps' (move one of them)"
        )
    return f"no check {name!r} to read (known: {', '.join(sorted(checks)) or 'none'})"


def _target_names(runbook: Runbook, names: list[str] | None, loc: Loc) -> list[Problem]:
    return [
        Problem((*loc, "targets", k), _unknown_target(runbook, name))
        for k, name in enumerate(names or [])
        if name not in runbook.targets
    ]


def _unknown_target(runbook: Runbook, name: str) -> str:
    return f"no target {name!r} in the catalogue (known: {', '.join(runbook.targets)})"


def dependencies(check: CheckDef) -> set[str]:
    """The checks this one runs after: those its parameters read, and those
    it `needs`."""
    found = set(check.needs) | reads_checks(check.param_templates)
    if check.for_each is not None and not isinstance(check.for_each, list):
        chains = Expr(check.for_each.expression, check.for_each).chains()
        found |= {c[1] for c in chains if len(c) > 1 and c[0] == "checks"}
    return found


def reads_checks(value: object) -> set[str]:
    """The check names templates in `value` read (`checks.<name>...`)."""
    return {
        chain[1]
        for t in templates_in(value)
        for e in t.exprs
        for chain in e.chains()
        if len(chain) > 1 and chain[0] == "checks"
    }


def members(checks: list[CheckDef]) -> dict[str, list[str]]:
    """Name -> the ids of the checks it stands for: each id for itself, an
    `as` name for every alternative that shares it."""
    named: dict[str, list[str]] = {}
    for check in checks:
        named.setdefault(check.id, []).append(check.id)
        if check.as_ and check.as_ != check.id:
            named.setdefault(check.as_, []).append(check.id)
    return named


def _cycles(checks: list[CheckDef], loc: Loc) -> list[Problem]:
    named = members(checks)
    graph = {c.id: {i for d in dependencies(c) for i in named.get(d, [d])} for c in checks}
    done: set[str] = set()
    for j, check in enumerate(checks):
        path: list[str] = []
        if _cyclic(check.id, graph, path, done):
            return [
                Problem(
                    (*loc, "checks", j),
                    f"checks depend on each other in a cycle: {' -> '.join(path)}",
                )
            ]
    return []


def _cyclic(node: str, graph: dict[str, set[str]], path: list[str], done: set[str]) -> bool:
    if node in path:
        path.append(node)
        return True
    if node in done:
        return False
    path.append(node)
    if any(_cyclic(dep, graph, path, done) for dep in graph.get(node, ())):
        return True
    path.pop()
    done.add(node)
    return False
