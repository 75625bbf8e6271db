"""The engine against real loopback peers: concurrency, deadlines, order,
conclusions."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from bot.checks.context import RunContext
from bot.checks.registry import REGISTRY
from bot.checks.result import CheckResult, CheckStatus, ErrorKind
from bot.checks.spec import CheckType
from bot.engine.runner import GRACE_S, Engine
from bot.runbooks.binding import bind
from bot.runbooks.loader import load_runbook, load_site
from tests.peers.mail import Peer
from tests.peers.web import WebPeer

HEADER = """
id: t
title: T
summary: s
targets:
  web: {title: Web, impact: none, protocol: http, url: "URL"}
  mail: {title: Mail, impact: none, protocol: smtp, host: 127.0.0.1, port: PORT}
"""


def engine_for(tmp_path: Path, body: str, **values: Any) -> Engine:
    text = HEADER + body
    for key, value in {"PORT": 1, "URL": "http://127.0.0.1:1/", **values}.items():
        text = text.replace(key, str(value))
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return Engine(bind(load_runbook(path), load_site(None)))


async def test_a_silent_peer_costs_its_deadline_and_not_the_other_checks(
    tmp_path: Path, silent_peer: Peer, web_server: WebPeer
) -> None:
    engine = engine_for(
        tmp_path,
        """
steps:
  - id: s
    title: S
    checks:
      - {id: silent, type: tcp, host: 127.0.0.1, port: PORT, banner: "^220", timeout: 0.3}
      - {id: web, type: http, url: "URL"}
""",
        PORT=silent_peer.port,
        URL=web_server.url("/ok"),
    )
    started = time.monotonic()
    step = await engine.run_step("s", "mail")
    elapsed = time.monotonic() - started
    silent, web = step.checks
    assert (silent.status, silent.result.error_kind) == (CheckStatus.FAIL, ErrorKind.TIMEOUT)
    assert web.status is CheckStatus.PASS
    assert elapsed < 0.3 + GRACE_S + 1.0
    assert step.status == "fail"


@pytest.fixture
def stuck_tcp(monkeypatch: pytest.MonkeyPatch) -> None:
    """An executor that ignores its budget: only the engine can stop it."""

    async def never(params: Any, ctx: RunContext) -> CheckResult:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    original = REGISTRY["tcp"]
    monkeypatch.setitem(
        REGISTRY._types, "tcp", CheckType("tcp", original.params, never, original.description)
    )


@pytest.fixture
def crashing_tcp(monkeypatch: pytest.MonkeyPatch) -> None:
    async def crash(params: Any, ctx: RunContext) -> CheckResult:
        raise RuntimeError("bug in executor")

    original = REGISTRY["tcp"]
    monkeypatch.setitem(
        REGISTRY._types, "tcp", CheckType("tcp", original.params, crash, original.description)
    )


ONE_TCP_ONE_HTTP = """
steps:
  - id: s
    title: S
    checks:
      - {id: probe, type: tcp, host: 127.0.0.1, port: 1, timeout: 0.2}
      - {id: web, type: http, url: "URL"}
"""


@pytest.mark.usefixtures("stuck_tcp")
async def test_engine_enforces_the_deadline_of_an_executor_that_ignores_it(
    tmp_path: Path, web_server: WebPeer
) -> None:
    engine = engine_for(tmp_path, ONE_TCP_ONE_HTTP, URL=web_server.url("/ok"))
    started = time.monotonic()
    probe, web = (await engine.run_step("s", "web")).checks
    assert time.monotonic() - started < 0.2 + GRACE_S + 1.0
    assert (probe.status, probe.result.error_kind) == (CheckStatus.FAIL, ErrorKind.TIMEOUT)
    assert "0.2 s deadline" in probe.result.summary
    assert web.status is CheckStatus.PASS


@pytest.mark.usefixtures("crashing_tcp")
async def test_a_crashing_check_is_an_error_and_the_others_still_run(
    tmp_path: Path, web_server: WebPeer
) -> None:
    engine = engine_for(tmp_path, ONE_TCP_ONE_HTTP, URL=web_server.url("/ok"))
    probe, web = (await engine.run_step("s", "web")).checks
    assert (probe.status, probe.result.error_kind) == (CheckStatus.ERROR, ErrorKind.INTERNAL)
    assert "RuntimeError: bug in executor" in probe.result.summary
    assert web.status is CheckStatus.PASS


CHAINED = """
steps:
  - id: s
    title: S
    targets: [web]
    checks:
      - {id: second, type: http, url: "{{ checks.first.result.url }}"}
      - {id: first, type: http, url: "{{ target.url }}"}
    conclusions:
      - when: {second: pass}
        say: "followed to {{ checks.second.result.url }}"
      - say: "nothing to follow"
"""


async def test_a_check_reading_another_waits_for_its_result(
    tmp_path: Path, web_server: WebPeer
) -> None:
    engine = engine_for(tmp_path, CHAINED, URL=web_server.url("/redirect"))
    step = await engine.run_step("s", "web")
    second, first = step.checks
    assert first.status is CheckStatus.PASS
    assert second.status is CheckStatus.PASS
    assert step.conclusion is not None
    assert step.conclusion.say == f"followed to {web_server.url('/ok')}"


async def test_a_check_whose_input_failed_is_skipped_saying_why(
    tmp_path: Path, web_server: WebPeer
) -> None:
    engine = engine_for(tmp_path, CHAINED, URL=web_server.url("/error"))
    step = await engine.run_step("s", "web")
    second, first = step.checks
    assert first.status is CheckStatus.FAIL
    assert second.status is CheckStatus.SKIPPED
    assert second.result.summary == "needs first to pass (it failed)"
    assert step.conclusion is not None and step.conclusion.say == "nothing to follow"


ALTERNATIVES = """
steps:
  - id: s
    title: S
    checks:
      - {id: by-http, as: public, type: http, if: "target.url", url: "{{ target.url }}"}
      - id: by-tcp
        as: public
        type: tcp
        if: "target.port"
        host: 127.0.0.1
        port: "{{ target.port }}"
        timeout: 0.5
    conclusions:
      - when: {public: fail}
        say: "down: {{ checks.public.summary }}"
      - when: {public: pass}
        say: "up"
"""


async def test_alternatives_share_a_name_in_conclusions(
    tmp_path: Path, web_server: WebPeer, closed_port: Peer
) -> None:
    engine = engine_for(tmp_path, ALTERNATIVES, URL=web_server.url("/ok"), PORT=closed_port.port)
    web = await engine.run_step("s", "web")
    mail = await engine.run_step("s", "mail")
    assert [c.status for c in web.checks] == [CheckStatus.PASS, CheckStatus.SKIPPED]
    assert web.conclusion is not None and web.conclusion.say == "up"
    assert [c.status for c in mail.checks] == [CheckStatus.SKIPPED, CheckStatus.FAIL]
    assert mail.conclusion is not None
    assert mail.conclusion.say.startswith("down: 127.0.0.1:")
    assert "refused" in mail.conclusion.say


async def test_run_all_runs_steps_at_once_not_one_after_another(
    tmp_path: Path, silent_peer: Peer
) -> None:
    steps = "\n".join(
        f"""  - id: s{i}
    title: S{i}
    checks:
      - {{id: c, type: tcp, host: 127.0.0.1, port: PORT, banner: "^220", timeout: 0.4}}"""
        for i in range(4)
    )
    engine = engine_for(tmp_path, "steps:\n" + steps, PORT=silent_peer.port)
    result = await engine.run_all("mail")
    serial = sum(c.result.duration_ms for c in result.checks)
    assert len(result.steps) == 4
    assert result.status == "fail"
    assert result.duration_ms < serial / 2
