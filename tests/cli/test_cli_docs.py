"""docs/cli.md documents every command and every option `triage` has."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli import _parser

DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()


def commands() -> dict[str, argparse.ArgumentParser]:
    actions = _parser()._subparsers._group_actions  # type: ignore[union-attr]
    (subparsers,) = [a for a in actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def section(name: str) -> str:
    match = re.search(rf"^## `triage {name}`\n(.*?)(?=^## )", DOC, re.M | re.S)
    assert match, f"docs/cli.md has no section for `triage {name}`"
    return match[1]


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_has_a_section_naming_each_of_its_options(name: str) -> None:
    text = section(name)
    options = [
        option
        for action in commands()[name]._actions
        for option in action.option_strings
        if option not in ("-h", "--help")
    ]
    missing = [o for o in options if not re.search(rf"`{re.escape(o)}[` ]", text)]
    assert not missing, f"triage {name}: {missing} not in docs/cli.md"
    assert f"[`{name}`](#triage-{name})" in DOC  # and a row in the summary table
