from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.schema import runbook_schema

ROOT = Path(__file__).parents[2]
INVALID = ROOT / "tests" / "runbooks" / "invalid"


def test_lint_accepts_the_shipped_runbooks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(ROOT / "runbooks")]) == 0
    assert "0 invalid" in capsys.readouterr().err


def test_lint_prints_file_line_col_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    bad = INVALID / "unknown-check-type.yaml"
    assert main(["lint", str(bad), str(ROOT / "runbooks")]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{bad}:11:23: unknown check type 'ping'")


def test_schema_is_json_schema_with_every_check_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    text = json.dumps(schema)
    for check_type in ("tcp", "tls", "starttls", "http", "aws"):
        assert f'"const": "{check_type}"' in text


def test_committed_schema_file_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "runbook.schema.json").read_text())
    assert committed == runbook_schema(), "run: triage schema > docs/runbook.schema.json"
