"""An action type owns its model, plan, docs words, templates and run:
adding one is its own module and one registry line. Shown with a type that
exists only in this test (`note`, which posts a line and calls nothing):
registered, the `actions:` union accepts it, its plan is made, it is
carried out within the action's deadline, documented and its templates
linted, with no other table to edit and no `isinstance` anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.actions import registry
from bot.actions.plan import plan_for
from bot.actions.registry import ACTION_TYPES, action_union
from bot.actions.run import carry_out
from bot.actions.types import ActionBase, ActionType, Execution, Loc, Plan
from bot.checks.context import AwsSettings
from bot.docs import markdown
from bot.registry import Registry
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.templating.fields import TemplateText
from bot.templating.templates import compile_tree

ROOT = Path(__file__).parents[2]


class NoteAction(ActionBase):
    """Post a line in the thread (exists only in this test)."""

    type: Literal["note"]
    text: TemplateText


def _plan(action: NoteAction, scope: dict[str, Any]) -> Plan:
    said = str(action.text.render(scope))
    return Plan(action.id, action.title, read=None, calls=[], sets=said, approval=False)


async def _execute(action: NoteAction, plan: Plan, run: Execution) -> str:
    await run.progress(plan.sets)
    await run.note({"said": plan.sets})
    return f"noted: {plan.sets}"


def _templated(action: NoteAction) -> Iterator[tuple[Loc, Any]]:
    yield ("text",), str(action.text)


NOTE = ActionType(
    name="note",
    model=NoteAction,
    plan=_plan,
    execute=_execute,
    describe=lambda action, fill: f"posts `{fill(compile_tree(str(action.text)))}`",
    templated=_templated,
)


@pytest.fixture
def note_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The one registry line, for this test only.
    monkeypatch.setitem(registry.ACTION_TYPES._types, NOTE.name, NOTE)


WRITTEN = {"id": "say", "title": "Say where", "type": "note", "text": "on {{ target.host }}"}


@pytest.mark.usefixtures("note_registered")
async def test_a_new_action_type_is_validated_planned_run_and_documented() -> None:
    action = TypeAdapter(action_union()).validate_python(WRITTEN)
    assert isinstance(action, NoteAction)
    plan = plan_for(action, {"target": {"host": "db.internal"}})
    assert plan.sets == "on db.internal" and plan.calls == []
    said: list[str] = []
    noted: list[dict[str, Any]] = []

    async def progress(line: str) -> None:
        said.append(line)

    outcome = await carry_out(action, plan, AwsSettings(), progress)
    assert (outcome, said) == ("noted: on db.internal", ["on db.internal"])
    run = Execution(AwsSettings(), progress, note=_record(noted))
    await NOTE.execute(action, plan, run)
    assert noted == [{"said": "on db.internal"}]
    binding = SimpleNamespace(vars={}, runbook=None)
    row = markdown._action(binding, action)  # type: ignore[arg-type]
    assert row[:3] == ["`say`", "Say where", "posts `on <target.host>`"]
    assert list(ACTION_TYPES["note"].templated(action)) == [(("text",), "on {{ target.host }}")]


def _record(into: list[dict[str, Any]]) -> Any:
    async def note(values: dict[str, Any]) -> None:
        into.append(values)

    return note


def test_an_unregistered_type_is_refused_by_the_union() -> None:
    class Escalation(BaseModel):
        actions: list[action_union()]  # type: ignore[valid-type]

    with pytest.raises(ValidationError, match="note"):
        Escalation.model_validate({"actions": [WRITTEN]})


def test_the_union_is_derived_from_the_registry_alone() -> None:
    with_note = Registry([*ACTION_TYPES.values(), NOTE], kind="action type")
    action = TypeAdapter(action_union(with_note)).validate_python(WRITTEN)
    assert action.type == "note"
    with pytest.raises(ValueError, match="registered twice"):
        Registry([NOTE, NOTE], kind="action type")


def _shipped_actions() -> Iterator[tuple[ActionBase, dict[str, Any]]]:
    catalogue = Catalogue.load([ROOT / "runbooks"], load_site(None, []))
    for binding in catalogue.bindings.values():
        escalation = binding.runbook.escalation
        for action in escalation.actions if escalation else []:
            for target in action.targets or list(binding.targets):
                yield action, binding.scope(target)


def test_a_type_calls_only_the_aws_operations_it_declares() -> None:
    """What tests/deploy/test_iam.py derives IAM from: a type that declares
    its operations keeps to them (the `aws` type's call is its own field)."""
    seen = set()
    for action, scope in _shipped_actions():
        declared = ACTION_TYPES[action.type].aws_operations
        plan = plan_for(action, scope)
        calls = {c.name for c in [*plan.calls, *([plan.read] if plan.read else [])]}
        seen.add(action.type)
        if action.type == "aws":
            assert declared == frozenset()
            continue
        assert calls <= declared, (action.id, calls - declared)
    assert seen == set(ACTION_TYPES), "a type no shipped runbook uses goes untested here"


def test_the_aws_actions_read_shows_what_its_query_picks() -> None:
    """`read.query` (JMESPath) shapes the state shown before confirming."""
    action = next(a for a, _ in _shipped_actions() if a.type == "aws" and a.read)
    plan = plan_for(action, {"vars": {"cluster": "mail"}, "target": {"service": "smtp"}})
    answer = {"services": [{"runningCount": 1, "desiredCount": 2, "status": "ACTIVE",
                            "deployments": [{}, {}], "events": ["noise"] * 50}]}  # fmt: skip
    shown = plan.state_of(answer)
    assert shown == {"running": 1, "desired": 2, "status": "ACTIVE", "deployments": 2}
