"""Threat: an http or tcp check that sends a change.

An `http` check may GET, HEAD and OPTIONS; a POST only with
`read_only_because` (listed by lint for review); PUT, PATCH and DELETE never.
A `tcp` check's `send` goes as written only when it starts with a known read
(PING, INFO, ...). All of it is judged when the runbook loads, with
`file:line:col`, and none of it may come from a placeholder or an alert.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_runbook
from tests.cli.test_run import triage

RUNBOOK = """\
id: hostile-sends
title: Checks that try to send changes
summary: a DELETE, a FLUSHALL
vars:
  verb: {default: POST}
targets:
  app:
    title: app
    impact: none
    protocol: https
    host: app.example.test
    url: https://app.example.test/api
steps:
  - id: one
    title: one
    checks:
      - id: sneaky
"""


def runbook(tmp_path: Path, check: str) -> Path:
    path = tmp_path / "hostile.yaml"
    indented = "\n".join(f"        {line}" for line in check.strip().splitlines())
    path.write_text(RUNBOOK + indented + "\n")
    return path


def refused(tmp_path: Path, check: str) -> str:
    with pytest.raises(RunbookError) as caught:
        load_runbook(runbook(tmp_path, check))
    message = str(caught.value)
    assert "hostile.yaml:" in message, message
    return message


HTTP = "type: http\nurl: https://app.example.test/api\n"
TCP = "type: tcp\nhost: cache.example.test\nport: 6379\nexpect: OK\n"


@pytest.mark.parametrize(
    ("check", "said"),
    [
        (HTTP + "method: DELETE", "an HTTP DELETE changes things"),
        (HTTP + "method: PUT\nread_only_because: it is idempotent, honest", "changes things"),
        (HTTP + "method: POST", "read_only_because"),
        (HTTP + "method: '{{ vars.verb }}'", "method must be written out"),
        (HTTP + "method: POST\nread_only_because: '{{ vars.verb }} is a search'", "written out"),
        (HTTP + "method: POST\nread_only_because: a search API\npayload: '{{ alert.labels.q }}'",
         "payload may not come from an alert label"),
        (TCP + "send: FLUSHALL", "may change something"),
        (TCP + "send: '{{ vars.verb }}'", "send must be written out"),
    ],
)  # fmt: skip
def test_sends_that_may_change_things_are_located_load_errors(
    tmp_path: Path, check: str, said: str
) -> None:
    assert said in refused(tmp_path, check)


def test_declared_reads_load_and_lint_lists_them_for_review(tmp_path: Path) -> None:
    path = runbook(
        tmp_path,
        HTTP + "method: POST\nread_only_because: the search API stores nothing\n"
        "payload: {query: up}",
    )
    done = triage("lint", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{path}:" in done.stdout
    assert "review: http POST taken as a read: the search API stores nothing" in done.stdout
