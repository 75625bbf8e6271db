"""`triage test`: rehearsals replay recorded results through the real engine,
never the network, and say plainly what a wrong expectation got instead."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.checks.context import RunContext
from bot.checks.registry import REGISTRY
from bot.checks.result import CheckResult
from bot.checks.spec import CheckType
from bot.cli import main
from bot.runbooks.loader import load_runbook
from tests.peers.mail import Peer

ROOT = Path(__file__).parents[2]

RUNBOOK = """
id: mini
title: Mini
summary: A tiny runbook to rehearse.
targets:
  mail: {title: Mail, impact: none, protocol: smtp, host: 127.0.0.1, port: PORT}
  web: {title: Web, impact: none, protocol: http, url: "http://127.0.0.1:PORT/"}
steps:
  - id: reach
    title: Does it answer?
    checks:
      - id: connect
        type: tcp
        if: "target.port"
        host: "{{ target.host }}"
        port: "{{ target.port }}"
      - {id: fetch, type: http, if: "target.url", url: "{{ target.url }}"}
    conclusions:
      - when: {connect: fail}
        say: "{{ target.title }} at {{ target.host }} refuses: {{ checks.connect.summary }}"
        next: by-hand
      - when: {connect: pass}
        say: "{{ target.title }} answers (alert {{ alert.labels.instance }})"
      - say: nothing to say
  - id: by-hand
    title: Look by hand
    manual:
      - say: Look at the logs.
"""

ANSWERS = """
scenarios:
  - name: mail answers
    target: mail
    alert: {labels: {instance: "mail-1"}}
    results:
      reach:
        connect: {status: pass, summary: "127.0.0.1:PORT: connected"}
    expect:
      reach: {status: pass, conclusion: "Mail answers (alert mail-1)", next: null}
"""


def rehearse(tmp_path: Path, tests: str, port: int = 1) -> Path:
    (tmp_path / "mini.yaml").write_text(RUNBOOK.replace("PORT", str(port)))
    path = tmp_path / "mini.test.yaml"
    path.write_text(tests.replace("PORT", str(port)))
    return path


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A port that is listened on but never accepted from: whatever dials it
    waits in the backlog, where the test can find it afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def dialled(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.fixture
def executors_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any real executor the engine calls fails the scenario it runs in."""

    async def forbidden(params: Any, ctx: RunContext) -> CheckResult:
        raise AssertionError("a rehearsal called a real executor")

    for name, original in list(REGISTRY.items()):
        replaced = CheckType(name, original.params, forbidden, original.description)
        monkeypatch.setitem(REGISTRY._types, name, replaced)


def test_shipped_rehearsals_pass_and_reach_every_conclusion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["test", str(ROOT / "runbooks")]) == 0
    out = capsys.readouterr().out
    total = sum(
        len(s.conclusions) for s in load_runbook(ROOT / "runbooks/probe-failure.yaml").steps
    )
    assert f"conclusions reached: {total} of {total}" in out
    assert "FAIL" not in out
    assert out.count("PASS") >= 5


@pytest.mark.usefixtures("executors_forbidden")
def test_recorded_results_stand_in_for_a_peer_that_is_never_dialled(
    tmp_path: Path, listener: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    path = rehearse(tmp_path, ANSWERS, port=listener.getsockname()[1])
    assert main(["test", str(path)]) == 0
    assert "PASS  mail answers" in capsys.readouterr().out
    assert not dialled(listener)


def test_a_scenario_for_an_address_nothing_listens_on_passes_on_its_recording(
    tmp_path: Path, closed_port: Peer
) -> None:
    assert main(["test", str(rehearse(tmp_path, ANSWERS, port=closed_port.port))]) == 0


def test_a_wrong_expectation_fails_showing_expected_and_got_per_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = ANSWERS.replace("status: pass, conclusion", "status: fail, conclusion").replace(
        "(alert mail-1)", "(alert mail-2)"
    )
    path = rehearse(tmp_path, wrong)
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    at = out.index(f"  FAIL  mail answers  ({path}:3)")
    assert out[at + 1 : at + 7] == [
        "        step reach:",
        "          status      expected: fail",
        "                           got: pass",
        "          conclusion  expected: 'Mail answers (alert mail-2)'",
        "                           got: 'Mail answers (alert mail-1)'",
        "                      they part at character 26: '2)' vs '1)'",
    ]


def test_contains_and_regex_forms_and_set_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = """
scenarios:
  - name: refused at the host the site config names
    target: mail
    set: {targets.mail.host: 10.9.8.7}
    results:
      reach:
        connect: {status: fail, error_kind: refused, summary: "10.9.8.7:1: connection refused"}
    expect:
      reach:
        status: fail
        conclusion: {contains: "at 10.9.8.7 refuses"}
        next: by-hand
      by-hand: {status: manual, conclusion: null}
  - name: regex that does not match
    target: mail
    results:
      reach:
        connect: {status: fail, summary: refused}
    expect:
      reach: {conclusion: {matches: "^Web "}}
"""
    assert main(["test", str(rehearse(tmp_path, tests))]) == 1
    out = capsys.readouterr().out
    assert "PASS  refused at the host the site config names" in out
    assert "expected: matches /^Web /" in out
    assert "got: 'Mail at 127.0.0.1 refuses: refused'" in out


@pytest.mark.usefixtures("executors_forbidden")
def test_a_check_without_a_recording_is_reported_and_not_run(
    tmp_path: Path, listener: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = """
scenarios:
  - name: forgot the recording
    target: mail
    expect:
      reach: {status: pass}
"""
    path = rehearse(tmp_path, tests, port=listener.getsockname()[1])
    assert main(["test", str(path)]) == 1
    out = capsys.readouterr().out
    assert "! no recorded result for reach/connect, which runs for target mail" in out
    assert "a rehearsal called a real executor" not in out
    assert not dialled(listener)


def test_a_recording_the_runbook_never_uses_fails_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = ANSWERS.replace(
        "        connect:", '        fetch: {status: pass, summary: "200 OK"}\n        connect:'
    )
    assert main(["test", str(rehearse(tmp_path, tests))]) == 1
    assert "! recorded result for reach/fetch was not used" in capsys.readouterr().out


def test_an_invalid_rehearsal_exits_2_with_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = rehearse(tmp_path, ANSWERS.replace("connect: {status", "conect: {status"))
    assert main(["test", str(path)]) == 2
    assert capsys.readouterr().out.startswith(f"{path}:8:9: no check 'conect' in step 'reach'")


def test_a_folder_without_rehearsals_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mini.yaml").write_text(RUNBOOK)
    assert main(["test", str(tmp_path)]) == 2
    assert "no *.test.yaml files" in capsys.readouterr().err


def test_conclusions_no_scenario_reaches_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(rehearse(tmp_path, ANSWERS))]) == 0
    out = capsys.readouterr().out.splitlines()
    at = out.index("  conclusions reached: 1 of 3")
    assert out[at + 1 :] == [
        "        not reached: reach #1 (connect: fail)",
        "        not reached: reach #3 (otherwise)",
    ]
