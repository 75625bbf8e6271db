"""One error path: a `TriageError` raised anywhere under a command becomes
one `triage COMMAND: message` line on stderr and its exit code, in `main`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.errors import FAILED, USAGE, TriageError, UsageError


def test_each_error_carries_its_exit_code() -> None:
    assert TriageError("x").code == FAILED == 1
    assert UsageError("x").code == USAGE == 2
    assert TriageError("x", exit_code=7).code == 7
    assert str(UsageError("no store")) == "no store"


class _Raising:
    """A subcommand module whose handler raises what the test gives it."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def add(self, subparsers: Any) -> None:
        parser = subparsers.add_parser("boom")
        parser.set_defaults(handler=self.handle)

    def handle(self, args: argparse.Namespace) -> int:
        raise self.error


@pytest.mark.parametrize(
    ("error", "code"),
    [(TriageError("the check broke"), 1), (UsageError("no such target"), 2),
     (TriageError("odd", exit_code=5), 5)],
)  # fmt: skip
def test_main_prints_the_error_once_and_exits_with_its_code(
    error: TriageError,
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, _Raising(error)))
    assert cli.main(["boom"]) == code
    captured = capsys.readouterr()
    assert captured.err == f"triage boom: {error.message}\n"
    assert captured.out == ""


def test_an_error_that_is_not_a_triage_error_is_not_swallowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, _Raising(RuntimeError("bug"))))
    with pytest.raises(RuntimeError, match="bug"):
        cli.main(["boom"])


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (["lint", "{empty}"], 2, "triage lint: no runbook files found"),
        (["test", "{empty}"], 2, "triage test: no *.test.yaml files found"),
        (["audit", "--db", "{empty}/none.db"], 2, "triage audit: no store at"),
        (["timeline", "1", "--db", "{empty}/none.db"], 2, "triage timeline: no store at"),
        (["postmortem", "1", "--db", "{empty}/none.db"], 2, "triage postmortem: no store at"),
        (["run", "{empty}/none.yaml", "-t", "x"], 2, "triage run: "),
        (["docs", "{empty}/none.yaml"], 2, "triage docs: "),
    ],
)
def test_every_command_reports_through_main(
    argv: list[str], code: int, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([a.replace("{empty}", str(tmp_path)) for a in argv]) == code
    err = capsys.readouterr().err
    assert err.startswith(said), err
    assert err.count("triage ") == 1, err
