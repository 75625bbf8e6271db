"""`triage demo` end to end, in-process: every scenario found by the right
check and concluded correctly, a chart of the probe's history after the
findings and the postmortem draft after Resolve, and nothing left behind but
the folder of the files the bot posted, which the demo names."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli import main
from bot.demo import play
from bot.demo.faults import DEFAULT, FAULTS, Fault
from bot.demo.session import Session
from bot.demo.slackapi import SlackRecorder
from bot.errors import TriageError


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
    (folder,) = own_tmp.iterdir()  # the simulated stack's folder is gone; the files stay
    assert folder.name.startswith("triage-demo-files-")
    assert f"The files the bot posted are in {folder}:" in out
    assert_chart_after_the_findings(out, folder)
    assert_postmortem_after_resolve(out, folder, fault)


def assert_chart_after_the_findings(out: str, folder: Path) -> None:
    """Where Slack shows the image: its file, saved, and the series as a sparkline."""
    findings = out.index("Findings")
    chart = out.index(f"saved as {folder / 'incident-1-outside-in-1.png'}")
    # The history check's finding, from the demo's Prometheus, then its picture.
    said = " ".join(word for word in out[findings:chart].split() if word != "│")
    assert re.search(
        r"has been failing \(Prometheus\): prometheus: probe_success\{[^}]+\} = 0 for", said
    )
    assert findings < chart < out.index("▶ ")  # the alert's triage drew it, before any click
    # 1 until the fault's start, then 0: full bars, then the lowest.
    assert re.search(r"^ +│ +probe_success: █+▁+ 1 → 0$", out[chart:], re.MULTILINE)
    png = (folder / "incident-1-outside-in-1.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and 5_000 < len(png) < 150_000


def assert_postmortem_after_resolve(out: str, folder: Path, fault: Fault) -> None:
    draft = folder / "incident-1-postmortem.md"
    shown = out.index(f"saved as {draft}")
    assert out.index("Resolved by @U0YOU") < shown < out.index("Demo finished")
    assert f"(incident-1-postmortem.md, {draft.stat().st_size:,} bytes)" in out
    text = draft.read_text()
    assert (
        text.startswith("# Postmortem draft: Probe failure") and f"target `{fault.target}`" in text
    )
    assert "┊ ## What the checks found" in out[shown:]  # the draft itself, in the thread


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


async def test_without_a_postmortem_draft_the_demo_fails_at_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wait is for the upload with a deadline: none posted, an error."""
    monkeypatch.setattr(play, "POSTMORTEM_WAIT_S", 0.2)
    slack = SlackRecorder()
    try:
        session = Session(SimpleNamespace(slack=slack, user="U0YOU"), io.StringIO())  # type: ignore[arg-type]
        with pytest.raises(TriageError, match=r"no postmortem draft in the thread 0\.2 s after"):
            await play.wait_for_postmortem(session)
    finally:
        slack.stop()
