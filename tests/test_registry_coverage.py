"""A check type owns its description: adding one is its own module and one
registry line. Shown with a type that exists only in this test: registered,
it is described in the docs and by a dry run, with no other table to edit.
(tests/plugins shows a type from another package in schema, lint, run, dry
run and docs; tests/actions does the same for action types.) And nothing
outside a type's own module dispatches on a type's name or class."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.checks.context import RunContext
from bot.checks.describing import by_parameters
from bot.checks.params import Params
from bot.checks.registry import REGISTRY
from bot.checks.result import CheckResult
from bot.checks.spec import CheckType
from bot.docs.checks import describe as docs_words
from bot.engine.dryrun import describe as dry_call


class EchoParams(Params):
    word: str


async def _run(params: Any, ctx: RunContext) -> CheckResult:
    return CheckResult.passed(params.word)


ECHO = CheckType(
    name="echo",
    params=EchoParams,
    run=_run,
    description="Say a word (exists only in this test).",
    describe=lambda p: f"says {p.get('word')}",
    dry_call=lambda p, ctx: (f"say {p.word}", {"type": "echo", "word": p.word}),
)


@pytest.fixture
def echo_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY._types, ECHO.name, ECHO)


@pytest.mark.usefixtures("echo_registered")
def test_a_new_type_is_described_by_itself_in_docs_and_dry_run() -> None:
    assert docs_words("echo", {"word": "hi"}) == "says hi"
    say, call = dry_call("echo", EchoParams(word="hi"), RunContext(timeout=1.0))
    assert (say, call) == ("say hi", {"type": "echo", "word": "hi"})


def test_a_type_without_words_of_its_own_is_described_by_its_parameters() -> None:
    bare = CheckType("bare", EchoParams, _run, "no words")
    assert bare.words({"word": "hi", "expect": "x"}) == "word `hi`"
    _, call = bare.dry(EchoParams(word="hi"), RunContext(timeout=1.0))
    assert call == {"type": "bare", "params": {"word": "hi"}}


def test_every_built_in_type_says_its_own_dry_run_call() -> None:
    assert [name for name, t in REGISTRY.items() if t.dry_call is None] == []


def test_every_built_in_type_but_module_has_docs_words_of_its_own() -> None:
    # `module` checks are described by their parameters: a module and a target.
    generic = [name for name, t in REGISTRY.items() if t.describe is by_parameters]
    assert generic == ["module"]


def test_every_built_in_type_has_a_section_in_the_runbook_guide() -> None:
    guide = (Path(__file__).parents[1] / "docs" / "runbooks.md").read_text()
    missing = [name for name in REGISTRY if f"### `{name}`" not in guide]
    assert missing == []


ROOT = Path(__file__).parents[1]
# `x.type == "aws"`, `check.type in (...)`, `isinstance(action, AwsAction)`:
# per-type knowledge outside the type's own module.
_DISPATCH = re.compile(
    r"\.type\s*(==|!=|in\b|not in\b)|isinstance\([^)]*\b(AwsAction|EcsRestartAction)\b"
)


def test_nothing_outside_a_type_module_dispatches_on_a_type() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if _DISPATCH.search(line)
    ]
    assert found == []


def test_opt_ins_are_said_by_their_own_type() -> None:
    """What `triage lint` lists for review comes from each type's `reviews`."""
    aws, http = REGISTRY["aws"], REGISTRY["http"]
    written = {"call": "ecs.update_service", "allow_operation": "restarting is the point"}
    assert aws.reviews(written) == {
        "allow_operation": "review: ecs.update_service allowed in a check: restarting is the point"
    }
    assert http.reviews({"method": "POST", "read_only_because": "a search"}) == {
        "read_only_because": "review: http POST taken as a read: a search"
    }
    assert ECHO.reviews({"word": "hi"}) == {}
