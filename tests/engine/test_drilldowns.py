"""Drill-downs and no repetition (#15.4): a check that waits for another to
fail (`needs`), reads of an earlier step's checks, `for_each` over a list,
check results in manual items and conclusions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.result import CheckResult, CheckStatus
from bot.engine.runner import Engine
from bot.runbooks.binding import bind
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.loader import load_runbook, load_site

HEAD = """
id: t
title: T
summary: s
targets:
  web: {title: Web, impact: none, host: 127.0.0.1, port: 1, attrs: {tiers: "imap, smtp"}}
"""


class Peer:
    """The execute seam: each check's port decides its answer (ports in
    `failing` fail), and every call is counted."""

    def __init__(self, failing: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.failing = failing
        self.calls: list[tuple[str, Any]] = []

    async def __call__(self, check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        port = params.model_dump()["port"]
        self.calls.append((check.id, port))
        if port in self.failing:
            return CheckResult.failed(f"port {port} closed", result={"port": port})
        return CheckResult.passed("ok", result={"port": port, "id": f"i-{port}"})


def engine(tmp_path: Path, body: str, peer: Peer) -> Engine:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + body)
    return Engine(bind(load_runbook(path), load_site(None)), execute=peer)


NEEDS = """
steps:
  - id: s
    title: S
    checks:
      - {id: find, type: tcp, host: 127.0.0.1, port: 7}
      - id: look
        needs: {find: fail}
        type: tcp
        host: 127.0.0.1
        port: "{{ checks.find.result.port }}"
"""


async def test_a_drill_down_runs_when_the_check_it_needs_failed(tmp_path: Path) -> None:
    peer = Peer(failing={7})
    step = await engine(tmp_path, NEEDS, peer).run_step("s", "web")
    assert peer.calls == [("find", 7), ("look", 7)]
    assert [c.status for c in step.checks] == [CheckStatus.FAIL, CheckStatus.FAIL]


async def test_a_drill_down_is_skipped_when_the_check_it_needs_passed(tmp_path: Path) -> None:
    peer = Peer()
    step = await engine(tmp_path, NEEDS, peer).run_step("s", "web")
    assert peer.calls == [("find", 7)]
    assert step.checks[1].result.summary == "needs find to fail (it passed)"


CROSS = """
steps:
  - id: one
    title: One
    checks:
      - {id: group, type: tcp, host: 127.0.0.1, port: 5}
  - id: two
    title: Two
    checks:
      - {id: health, type: tcp, host: 127.0.0.1, port: "{{ checks.group.result.port }}"}
    manual:
      - say: Look at the instance.
        command: "aws ec2 describe-instances --instance-ids {{ checks.group.result.id }}"
    conclusions:
      - {when: {health: pass}, say: "group {{ checks.group.result.id }} is fine"}
"""


async def test_a_step_reads_an_earlier_steps_check(tmp_path: Path) -> None:
    peer = Peer()
    step = await engine(tmp_path, CROSS, peer).run_step("two", "web")
    # Its own findings do not depend on what ran before: the read check runs again.
    assert peer.calls == [("group", 5), ("health", 5)]
    assert [c.id for c in step.checks] == ["health"]
    assert step.manual[0].command == "aws ec2 describe-instances --instance-ids i-5"
    assert step.conclusion is not None and step.conclusion.say == "group i-5 is fine"


async def test_run_all_runs_a_check_read_across_steps_once(tmp_path: Path) -> None:
    peer = Peer()
    result = await engine(tmp_path, CROSS, peer).run_all("web")
    assert sorted(peer.calls) == [("group", 5), ("health", 5)]
    assert [c.id for c in result.checks] == ["group", "health"]


EACH = """
steps:
  - id: s
    title: S
    checks:
      - {id: tier, for_each: [25, 587, 465], type: tcp, host: 127.0.0.1, port: "{{ each }}"}
      - id: named
        for_each: "split(target.attrs.tiers)"
        type: tcp
        host: "{{ each }}.example"
        port: 9
      - {id: why, type: tcp, needs: {tier: fail}, host: 127.0.0.1, port: "{{ checks.tier.each }}"}
    conclusions:
      - when: {tier: fail}
        if: "checks.tier.each == `587`"
        say: "port {{ checks.tier.each }} is down"
      - {when: {tier: pass}, say: all up}
"""


async def test_for_each_expands_to_checks_with_distinct_ids(tmp_path: Path) -> None:
    peer = Peer(failing={587})
    step = await engine(tmp_path, EACH, peer).run_step("s", "web")
    ids = [c.id for c in step.checks]
    assert ids == ["tier-25", "tier-587", "tier-465", "named-imap", "named-smtp", "why"]
    assert ("named-smtp", 9) in peer.calls
    # The id names them all: the worst is the one conclusions and drill-downs read.
    assert step.conclusion is not None and step.conclusion.say == "port 587 is down"
    assert ("why", 587) in peer.calls


async def test_for_each_over_what_a_check_found(tmp_path: Path) -> None:
    body = """
steps:
  - id: find
    title: Find
    checks:
      - {id: ports, type: tcp, host: 127.0.0.1, port: 4}
  - id: look
    title: Look at each
    checks:
      - id: each-port
        for_each: "checks.ports.result.open"
        type: tcp
        host: 127.0.0.1
        port: "{{ each }}"
"""
    peer = Peer()

    async def found(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        if check.id == "ports":
            return CheckResult.passed("ok", result={"open": [11, 12]})
        return await peer(check, params, ctx)

    path = tmp_path / "t.yaml"
    path.write_text(HEAD + body)
    engine_ = Engine(bind(load_runbook(path), load_site(None)), execute=found)
    step = await engine_.run_step("look", "web")
    assert [c.id for c in step.checks] == ["each-port-11", "each-port-12"]
    assert peer.calls == [("each-port-11", 11), ("each-port-12", 12)]


async def test_a_null_value_never_makes_a_conclusion_vanish(tmp_path: Path) -> None:
    body = """
steps:
  - id: s
    title: S
    checks:
      - {id: c, type: tcp, host: 127.0.0.1, port: 3}
    conclusions:
      - {when: {c: pass}, say: "days left: {{ checks.c.result.days_left }}"}
"""
    step = await engine(tmp_path, body, Peer()).run_step("s", "web")
    assert step.conclusion is not None
    assert step.conclusion.say.startswith("days left: {{ checks.c.result.days_left }}")
    assert "not filled in" in step.conclusion.say


ESCALATION = """
steps:
  - id: s
    title: S
    checks:
      - {id: find, type: tcp, host: 127.0.0.1, port: 8}
escalation:
  manual:
    - say: Restart it.
      command: "aws ec2 reboot-instances --instance-ids {{ checks.find.result.id }}"
  actions:
    - id: replace
      title: Replace the tasks
      type: aws
      call: ecs.update_service
      params: {cluster: main, service: "{{ checks.find.result.id }}", forceNewDeployment: true}
"""


async def test_the_escalation_and_its_actions_read_check_results(tmp_path: Path) -> None:
    from bot.actions.plan import plan_for
    from bot.engine.conclude import read_across, render_manual

    e = engine(tmp_path, ESCALATION, Peer())
    result = await e.run_all("web")
    scope = e.binding.scope("web", checks=read_across(result.steps))
    escalation = e.binding.runbook.escalation
    assert escalation is not None
    manual = render_manual(escalation.manual, scope)
    assert manual[0].command == "aws ec2 reboot-instances --instance-ids i-8"
    plan = plan_for(escalation.actions[0], scope)
    assert plan.calls[0].params["service"] == "i-8"


async def test_a_for_each_over_nothing_reads_as_skipped(tmp_path: Path) -> None:
    body = """
steps:
  - id: s
    title: S
    checks:
      - {id: none, for_each: [], type: tcp, host: 127.0.0.1, port: 9}
      - {id: after, needs: {none: skipped}, type: tcp, host: 127.0.0.1, port: 3}
    conclusions:
      - {when: {none: skipped}, say: "nothing to look at ({{ checks.none.summary }})"}
"""
    peer = Peer()
    step = await engine(tmp_path, body, peer).run_step("s", "web")
    assert peer.calls == [("after", 3)]
    assert step.conclusion is not None
    assert step.conclusion.say == "nothing to look at (no item to run it for)"
