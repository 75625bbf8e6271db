"""docs/runbooks.md shows each construct with an example under
docs/examples/: every one lints and rehearses (`triage lint`, `triage test`),
and the page shows each example file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def test_every_example_lints_and_rehearses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(EXAMPLES)]) == 0
    assert main(["test", str(EXAMPLES)]) == 0
    assert "0 failed, 0 invalid files" in capsys.readouterr().err


def test_the_page_cites_every_example() -> None:
    page = (ROOT / "docs" / "runbooks.md").read_text()
    for example in EXAMPLES.glob("*.yaml"):
        if example.name.endswith(".test.yaml"):
            continue
        assert f"examples/{example.name}" in page, example.name
