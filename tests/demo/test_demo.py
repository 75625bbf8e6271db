"""`triage demo` end to end, in-process: every scenario found by the right
check and concluded correctly, and nothing left behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo.faults import DEFAULT, FAULTS, Fault


@pytest.fixture
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's temporary folder goes here, so the test can see it is gone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("fault", FAULTS.values(), ids=list(FAULTS))
def test_demo_finds_the_injected_fault_and_names_the_cause(
    fault: Fault, own_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--no-input", "--fault", fault.name]) == 0
    out = capsys.readouterr().out
    before_any_click = out.partition("▶ ")[0]
    assert "[FIRING:1]" in before_any_click or "[🔴 Down]" in before_any_click
    assert "Findings" in before_any_click  # triaged from the alert alone
    found = [line for line in out.splitlines() if f"❌ {fault.found_by}:" in line]
    assert found, f"no failing {fault.found_by!r} line"
    assert any(fault.evidence in line for line in found)
    assert fault.conclusion in " ".join(out.split())
    assert "Resolved by @U0YOU" in out
    assert list(own_tmp.iterdir()) == []


def test_demo_defaults_to_the_smtp_relay_being_down(
    own_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--no-input"]) == 0
    assert f"Fault {DEFAULT!r}" in capsys.readouterr().out


def test_list_faults_names_every_scenario_and_its_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [[f.name, f.target] for f in FAULTS.values()]


def test_an_unknown_fault_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--fault", "nope"])
    assert exit_.value.code == 2
    assert "smtp-relay-down" in capsys.readouterr().err
