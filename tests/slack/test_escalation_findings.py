"""In Slack, the escalation shows what the run found: its manual items and
its actions' plans read the steps' checks (docs/examples/ecs-tiers.yaml,
against moto's ECS, where `worker` runs none of its tasks)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bot.slack.payloads import Act
from tests.peers.aws import REGION, MotoPeer, ecs_service
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.test_escalation import ALLOWED, CHANNEL, action_button, buttons, click
from tests.slack.thread import text_of

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "ecs-tiers.yaml"


async def test_the_escalation_and_its_action_read_the_runs_findings(
    slack_api: SlackStandIn, tmp_path: Path, aws_env: MotoPeer
) -> None:
    for name, running in (("web", 2), ("worker", 0), ("scheduler", 2)):
        ecs_service("app", name, desired=2, running=running, events=[])
    (tmp_path / "runbooks").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "runbooks")
    sets = [f"vars.region={REGION}", f"actions.redeploy.users=[{ALLOWED}]"]
    with running_bot(
        slack_api.url, tmp_path / "t.db", sets, runbook_dirs=[tmp_path / "runbooks"]
    ) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("app", channel=CHANNEL, user=ALLOWED)
            await slack_api.wait_for_async(lambda: buttons(slack_api, Act.RUN_ALL.value))
            await click(slack, *buttons(slack_api, Act.RUN_ALL.value)[0], ALLOWED)
            await slack_api.wait_for_async(
                lambda: [
                    m
                    for m in slack_api.messages(CHANNEL).values()
                    if m.text.startswith("Run all: ")
                ]
            )
            await click(slack, *buttons(slack_api, Act.ESCALATE.value)[0], ALLOWED)
            await slack_api.wait_for_async(lambda: buttons(slack_api, Act.ACTION.value))
            message, element = action_button(slack_api, "Replace the short service's tasks")
            assert "worker runs 0 of 2 tasks." in text_of(message)
            assert "not filled in" not in text_of(message)
            await click(slack, message, element, ALLOWED)
            (opened,) = await slack_api.wait_for_async(lambda: slack_api.calls("views.open"))
    shown = json.dumps(opened.args["view"]["blocks"])
    call = 'ecs.update_service(cluster="app", service="worker", forceNewDeployment=true)'
    assert json.dumps(call)[1:-1] in shown
