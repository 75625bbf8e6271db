"""`triage console` rehearses an escalation end to end, as a person at a
terminal would: a real process, each line typed only once the output it
answers has appeared, the action carried out against moto.

Confirm dialogs are shown and answered by typing; a second named user
approves (`as U0OTHER`); the user groups the site config's allow list names
are resolved in the console (`--group`), never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from tests.peers.aws import MotoPeer, ecs_service
from tests.peers.web import WebPeer

ROOT = Path(__file__).parents[2]
DEADLINE = 30.0
ACTION = "Replace the service's tasks"
UPDATE = 'ecs.update_service(cluster="cabal-mail", service="cabal-ntfy", forceNewDeployment=true)'


class Terminal:
    """The console's stdin and stdout, read as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.out = ""
        self.err = ""
        self._seen = 0  # expect() looks only past what it matched before
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(stream, name), daemon=True)
            for stream, name in ((process.stdout, "out"), (process.stderr, "err"))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: object, name: str) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._changed:
                setattr(self, name, getattr(self, name) + line)
                self._changed.notify_all()

    def quit(self) -> int:
        """q, the exit status, and all output read."""
        self.type("q")
        code = self.process.wait(timeout=DEADLINE)
        for reader in self._readers:
            reader.join(DEADLINE)
        return code

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, pattern: str) -> re.Match[str]:
        """Wait (with a deadline) for pattern in output not yet matched."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + DEADLINE
        with self._changed:
            while not (match := regex.search(self.out, self._seen)):
                left = deadline - time.monotonic()
                assert left > 0, f"no {pattern!r} within {DEADLINE:g} s; output:\n{self.out}"
                self._changed.wait(left)
            self._seen = match.end()
            return match

    def button(self, label: str) -> str:
        """The number of the last button shown with this label."""
        numbers = re.findall(rf"\[(\d+)\] {re.escape(label)}", self.out)
        assert numbers, f"no [{label}] button in:\n{self.out}"
        return str(numbers[-1])


Start = Callable[[str | None], Terminal]


@pytest.fixture
def console(aws_env: MotoPeer, web_server: WebPeer) -> Iterator[Start]:
    """Starts the console with a group-only allow list (S0ONCALL, named in
    the site config), the group's members as given (None: no --group)."""
    ecs_service("cabal-mail", "cabal-ntfy", desired=2, running=2, events=[])
    started: list[subprocess.Popen[str]] = []

    def start(members: str | None) -> Terminal:
        sets = [
            f"targets.ntfy.url={web_server.url('/ok')}",
            "vars.region=us-east-1",
            "actions.force-new-deployment.groups=[S0ONCALL]",
        ]
        args = [arg for s in sets for arg in ("--set", s)]
        args += ["--group", f"S0ONCALL={members}"] if members else []
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console", *args],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        started.append(process)
        return Terminal(process)

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=DEADLINE)


def escalate(term: Terminal) -> None:
    term.type("/triage ntfy")
    term.expect(r"\[\d+\] Escalate")
    term.type(term.button("Escalate"))
    term.expect(re.escape(f"] {ACTION}"))
    term.type(term.button(ACTION))


def deployment() -> str:
    """The service's current deployment: forceNewDeployment replaces it (moto too)."""
    ecs = boto3.client("ecs")
    (service,) = ecs.describe_services(cluster="cabal-mail", services=["cabal-ntfy"])["services"]
    return str(service["deployments"][0]["id"])


def test_a_confirmed_approved_escalation_end_to_end(console: Start) -> None:
    term = console("U0YOU,U0OTHER")
    term.expect(r"^user group S0ONCALL \(allowed: force-new-deployment\): U0YOU, U0OTHER$")
    escalate(term)
    # The dialog, with the state read from moto and the exact call.
    term.expect(r"^╔═ dialog: Confirm the change$")
    term.expect(r"Now: running 2 of desired 2")
    term.expect(re.escape(UPDATE))
    term.expect(
        r"^╚═ type confirm to press \[Request approval\]; anything else presses \[Cancel\]$"
    )
    term.type("confirm")
    term.expect(r"^▶ \[Request approval\] as @U0YOU$")
    term.expect(r"🔐 @U0YOU asks to run Replace the service's tasks")
    before = deployment()
    # The requester cannot approve their own change.
    term.type(term.button("Approve"))
    term.expect(r"You asked for this change; someone else must approve it\.")
    assert deployment() == before
    term.type("as U0OTHER")
    term.expect(r"^▶ you are now @U0OTHER$")
    term.type(term.button("Approve"))
    term.expect(r"^▶ \[\d+\] Approve \(as @U0OTHER\)$")
    term.expect(r"request to run Replace the service's tasks .*: approved by\W+@U0OTHER")
    term.expect(r"✅ done: ecs\.update_service")
    term.expect(r"started by @U0YOU, approved by @U0OTHER")
    assert term.quit() == 0
    assert deployment() != before  # the call the dialog showed reached moto
    assert "Traceback" not in term.err, term.err


def test_anything_but_confirm_closes_the_dialog_and_changes_nothing(console: Start) -> None:
    term = console("U0YOU,U0OTHER")
    before = deployment()
    escalate(term)
    term.expect(r"^╚═ type confirm")
    term.type("no")
    term.expect(r"^▶ \[Cancel\]: dialog closed, nothing changed$")
    assert term.quit() == 0
    assert "asks to run" not in term.out
    assert deployment() == before


def test_a_group_named_in_the_site_config_without_members_refuses_plainly(
    console: Start,
) -> None:
    term = console(None)
    term.expect(r"^user group S0ONCALL \(allowed: force-new-deployment\): nobody here")
    escalate(term)
    term.expect(r"You may not run .*not on its allow list")
    assert term.quit() == 0
    assert "Traceback" not in term.err and "could not list members" not in term.err, term.err
