"""`triage console` driven through its stdin, with real checks against a
loopback HTTP peer."""

from __future__ import annotations

import io
import re

import pytest

from bot.cli import main
from tests.peers.web import WebPeer


def drive(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


def test_console_shows_help_opens_an_incident_and_runs_a_step(
    web_server: WebPeer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Pressed by label: the header's buttons (and so the numbers) are not this test's business.
    drive(monkeypatch, "help", "/triage ntfy", "run step", "q")
    code = main(["console", "--set", f"targets.ntfy.url={web_server.url('/error')}"])
    out = capsys.readouterr().out
    assert code == 0
    assert "only visible to you" in out and "`smtp-relay`" in out
    assert "Probe failure on a user-facing endpoint: ntfy push server" in out
    assert re.search(r"^▶ \[\d+\] Run step$", out, re.MULTILINE)
    assert "❌ Public HTTP request" in out and "500" in out
    assert "From outside, ntfy push server fails" in " ".join(out.split())


def test_console_presses_buttons_by_number(
    web_server: WebPeer,
    web_closed_port: int,
    aws_fake_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Whatever [1] is, everything it may reach is on loopback.
    drive(monkeypatch, "/triage ntfy", "1", "99")
    sets = [
        f"targets.ntfy.url={web_server.url('/ok')}",
        f"aws.endpoint_url=http://127.0.0.1:{web_closed_port}",
        "aws.max_attempts=1",
    ]
    assert main(["console", *(arg for s in sets for arg in ("--set", s))]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^▶ \[1\] \S", out, re.MULTILINE)
    assert "'99': type /triage <target>" in out


def test_console_answers_an_unknown_word_and_ends_at_end_of_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    drive(monkeypatch, "/triage smtp-rely", "hello")
    assert main(["console"]) == 0
    out = capsys.readouterr().out
    assert "Did you mean `smtp-relay`?" in out
    assert "'hello': type /triage <target>" in out


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--group", "oncall"], "--group 'oncall': expected GROUP=USER,USER"),
        (["--group", "S0ONCALL=bob"], "expected GROUP=USER,USER"),
        (["--as", "bob"], "--as 'bob': expected a Slack user id"),
    ],
)
def test_console_refuses_malformed_users_and_groups(
    args: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["console", *args]) == 2
    assert complaint in capsys.readouterr().err
