"""Load a rehearsal file and tie it to its runbook, every problem located.

Names the rehearsal uses (target, steps, checks, site-config keys) must exist
in the runbook: a typo would otherwise make a scenario test nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.rehearsals.schema import RehearsalFile, Scenario
from bot.runbooks.binding import BindError, Binding, bind, foreign_names
from bot.runbooks.issues import Loc, Problem, RunbookError
from bot.runbooks.loader import load_runbook, locate, read_yaml, validate_located
from bot.runbooks.schema import Runbook, Step
from bot.runbooks.site import SetError, SiteConfig, apply_set

SUFFIX = ".test.yaml"


@dataclass(frozen=True)
class Prepared:
    scenario: Scenario
    binding: Binding
    line: int  # where the scenario starts in its file


@dataclass(frozen=True)
class Rehearsal:
    path: Path
    runbook: Runbook
    scenarios: list[Prepared]


def rehearsal_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the `*.test.yaml` files inside folders named."""
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob(f"*{SUFFIX}")) if path.is_dir() else [path]
    return found


def load_rehearsal(path: Path) -> Rehearsal:
    data, positions = read_yaml(path)
    doc = validate_located(RehearsalFile, data, positions, path)
    runbook_path = _runbook_path(path, doc)
    if not runbook_path.is_file():
        problem = Problem(("runbook",), f"no runbook file {str(runbook_path)!r}")
        raise RunbookError([locate(problem, positions, path)])
    runbook = load_runbook(runbook_path)
    problems: list[Problem] = []
    prepared: list[Prepared] = []
    for i, scenario in enumerate(doc.scenarios):
        loc: Loc = ("scenarios", i)
        problems += _references(runbook, scenario, loc)
        binding, found = _bind(runbook, scenario, loc)
        problems += found
        if binding is not None:
            prepared.append(Prepared(scenario, binding, positions.locate(loc).line))
    if problems:
        raise RunbookError([locate(p, positions, path) for p in problems])
    return Rehearsal(path, runbook, prepared)


def _runbook_path(path: Path, doc: RehearsalFile) -> Path:
    if doc.runbook is not None:
        return path.parent / doc.runbook
    return path.with_name(path.name.removesuffix(SUFFIX) + ".yaml")


def _references(runbook: Runbook, scenario: Scenario, loc: Loc) -> list[Problem]:
    problems: list[Problem] = []
    if scenario.target not in runbook.targets:
        known = ", ".join(runbook.targets)
        problems.append(
            Problem((*loc, "target"), f"no target {scenario.target!r} (catalogue: {known})")
        )
    steps = {s.id: s for s in runbook.steps}
    for step_id, recorded in scenario.results.items():
        here = (*loc, "results", step_id)
        if step_id not in steps:
            problems.append(Problem(here, _no_step(step_id, steps), at_key=True))
            continue
        checks = [c.id for c in steps[step_id].check_defs]
        known = ", ".join(checks) or "none"
        problems += [
            Problem(
                (*here, check_id),
                f"no check {check_id!r} in step {step_id!r} (checks: {known})",
                at_key=True,
            )
            for check_id in recorded
            if check_id not in checks and not _an_item(check_id, steps[step_id])
        ]
    for step_id, expectation in scenario.expect.items():
        here = (*loc, "expect", step_id)
        if step_id not in steps:
            problems.append(Problem(here, _no_step(step_id, steps), at_key=True))
        if expectation.next is not None and expectation.next not in steps:
            problems.append(Problem((*here, "next"), _no_step(expectation.next, steps)))
    return problems


def _no_step(step_id: str, steps: Mapping[str, Any]) -> str:
    return f"no step {step_id!r} in this runbook (steps: {', '.join(steps)})"


def _bind(runbook: Runbook, scenario: Scenario, loc: Loc) -> tuple[Binding | None, list[Problem]]:
    """The runbook bound to the defaults plus the scenario's `set:` values."""
    data: dict[str, Any] = {}
    keys: dict[tuple[str, ...], str] = {}
    for key, value in scenario.set.items():
        try:
            # JSON is YAML: apply_set reads the value back with its type.
            keys[apply_set(data, f"{key}={json.dumps(value, default=str)}")] = key
        except SetError as exc:
            return None, [Problem((*loc, "set", key), str(exc), at_key=True)]
    try:
        site = SiteConfig.model_validate(data)
        foreign = foreign_names(runbook, site)  # a rehearsal is about this runbook only
        if foreign:
            raise BindError(foreign)
        return bind(runbook, site), []
    except ValidationError as exc:
        return None, [
            Problem(_set_loc(tuple(e["loc"]), keys, loc), e["msg"], named=True)
            for e in exc.errors()
        ]
    except BindError as exc:
        # Names the runbook does not have: point at the key that names them.
        return None, [
            Problem(_set_loc(p.loc, keys, loc), p.message, at_key=True) for p in exc.problems
        ]


def _set_loc(where: Loc, keys: dict[tuple[str, ...], str], loc: Loc) -> Loc:
    """The `set:` key that brought in the value at `where` in the site config."""
    for path, key in keys.items():
        if tuple(where[: len(path)]) == path or path[: len(where)] == tuple(where):
            return (*loc, "set", key)
    return (*loc, "set")


def _an_item(check_id: str, step: Step) -> bool:
    """`health-imap`: the run of `health` (a `for_each` check) for one item."""
    return any(c.for_each is not None and check_id.startswith(f"{c.id}-") for c in step.check_defs)
