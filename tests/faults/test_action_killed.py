"""An escalation action killed halfway: `triage serve` is SIGKILLed right
after its first UpdateService (the service now at desired count 0). The
audit log already holds the run ("started", with its parameters); the
restarted bot says so in the thread, with the action's button; pressing it
(confirmation and allow list as usual) brings the service back to 1.

Counts: injected 1 kill mid-action; recovered 1 (audited before the first
AWS call, reported in the thread at start-up, finished from the button);
lost 0 (no AWS change without an audit record).
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.store import SqliteStore
from tests.faults.gate import gate_before
from tests.faults.served import serving
from tests.faults.waiting import until
from tests.peers.aws import MotoPeer, ecs_service
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET
from tests.slack.test_escalation import (
    ALLOWED,
    CHANNEL,
    action_button,
    buttons,
    click,
    desired,
    open_escalation,
    site,
    submit,
)
from tests.slack.thread import text_of

TITLE = "Scale the service to 0"


async def confirm(
    slack: BoltClient, stand_in: SlackStandIn, message: object, element: dict
) -> None:  # type: ignore[type-arg]
    before = len(stand_in.calls("views.open"))
    await click(slack, message, element, ALLOWED)
    opened = await stand_in.wait_for_async(
        lambda: stand_in.calls("views.open")[before:], timeout=15
    )
    await submit(slack, opened[0].args["view"], ALLOWED)


async def test_an_action_killed_after_its_first_change_is_audited_and_finished_after_restart(
    slack_api: SlackStandIn, tmp_path: Path, aws_env: MotoPeer, closed_port: Peer
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["ok"])
    db, log = tmp_path / "t.db", tmp_path / "serve.log"
    with (
        gate_before(aws_env.url, "UpdateService") as gate,
        serving(db, slack_api.url, site(closed_port), log, AWS_ENDPOINT_URL=gate.url) as bot,
    ):
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await open_escalation(slack, slack_api)
            await confirm(slack, slack_api, *action_button(slack_api, TITLE))
            await until(lambda: desired("mail", "cabal-smtp-in") == 0, timeout=20)
            bot.kill()
    audit = SqliteStore(db).audit_log(incident_id=1)
    started = [r for r in audit if r.action == "run_action"]
    assert [r.outcome for r in started] == ["started"]  # written before the first AWS call
    assert started[0].params["service"] == "cabal-smtp-in" and started[0].actor == ALLOWED

    with serving(db, slack_api.url, site(closed_port), log) as bot:
        notice = await slack_api.wait_for_async(
            lambda: [m for m in slack_api.messages(CHANNEL).values()
                     if "stopped while running" in text_of(m)],
            timeout=20,
        )  # fmt: skip
        assert "desired 0" in text_of(notice[0]) and "back to its desired count of 1" in text_of(
            notice[0]
        )
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            element = next(
                e for m, e in buttons(slack_api, "triage.action") if m.ts == notice[0].ts
            )
            await confirm(slack, slack_api, notice[0], element)
            await slack_api.wait_for_async(
                lambda: [m for m in slack_api.messages(CHANNEL).values()
                         if "✅ restarted" in m.text],
                timeout=30,
            )  # fmt: skip
    assert desired("mail", "cabal-smtp-in") == 1
    runs = [(r.actor, r.outcome) for r in SqliteStore(db).audit_log() if r.action == "run_action"]
    assert runs[0] == (ALLOWED, "started") and runs[-1][1].startswith("restarted")
    assert json.dumps(runs).count("started") >= 2  # the finishing run was audited as well
