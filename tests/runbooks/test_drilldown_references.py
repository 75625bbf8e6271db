"""What lint says about drill-downs, cross-step reads and `for_each`
(#15.4), and manual items reading their step's checks (#15.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_runbook

HEAD = """\
id: t
title: T
summary: s
targets:
  web: {title: Web, impact: none, host: 127.0.0.1, port: 1}
steps:
  - id: one
    title: One
    checks:
      - {id: ec2, type: tcp, host: 127.0.0.1, port: 9}
"""


def problems(tmp_path: Path, body: str) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + body)
    try:
        load_runbook(path)
    except RunbookError as exc:
        return str(exc)
    return ""


def test_a_manual_item_reads_a_check_of_its_step(tmp_path: Path) -> None:
    body = """\
    manual:
      - say: Look at it.
        command: "aws ec2 describe-instances --instance-ids {{ checks.ec2.result.id }}"
        if: "checks.ec2.status == 'fail'"
"""
    assert problems(tmp_path, body) == ""


def test_a_later_steps_check_cannot_be_read(tmp_path: Path) -> None:
    body = """\
    manual:
      - say: "{{ checks.late.summary }}"
  - id: two
    title: Two
    checks:
      - {id: late, type: tcp, host: 127.0.0.1, port: 9}
      - {id: back, type: tcp, host: 127.0.0.1, port: "{{ checks.ec2.result.port }}"}
"""
    said = problems(tmp_path, body)
    assert "check 'late' is in step 'two', which comes later" in said
    assert "ec2" not in said  # an earlier step's check is readable


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ("{id: x, type: tcp, needs: {nope: fail}, host: 127.0.0.1, port: 9}", "no check 'nope'"),
        (
            "{id: x, type: tcp, for_each: 'alert.labels.ports', host: 127.0.0.1, port: 9}",
            "only vars, target, site, checks may be used here",
        ),
        (
            "{id: x, type: tcp, host: 127.0.0.1, port: '{{ each }}'}",
            "only vars, target, alert, checks may be used here",
        ),
        ("{id: x, type: tcp, for_each: 'nope(target)', host: a, port: 9}", "unknown function"),
        ("{id: x, as: y, type: tcp, for_each: [a], host: a, port: 9}", "cannot take an `as`"),
    ],
)
def test_drill_down_mistakes_are_named(tmp_path: Path, check: str, message: str) -> None:
    assert message in problems(tmp_path, f"      - {check}\n")
