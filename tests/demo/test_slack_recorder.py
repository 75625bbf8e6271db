"""The demo's Slack recorder refuses what Slack refuses, with Slack's error,
and shows the refusal in the terminal: the same rules as the tests' stand-in
(bot.slack.limits)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slackapi import Note, SlackRecorder
from bot.demo.terminal import render_note
from bot.engine.results import ManualView
from bot.incidents.views import StepView
from bot.slack import render

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "fine"}}


@pytest.fixture
def recorder() -> Iterator[SlackRecorder]:
    slack = SlackRecorder()
    yield slack
    slack.stop()


async def test_a_payload_slack_refuses_is_refused_and_shown(recorder: SlackRecorder) -> None:
    client = AsyncWebClient(base_url=recorder.url, token="xoxb-demo")
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C1", text="<!channel> hi", blocks=[SECTION])
    assert refused.value.response["error"] == "triage_unsafe_markup"
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_postMessage(channel="C1", text="t", blocks=[SECTION] * 51)
    assert recorder.messages() == []
    assert len(recorder.refusals) == 2
    assert all("Slack would refuse" in n.text for n in recorder.take_notes())


async def test_a_payload_within_the_limits_is_recorded(recorder: SlackRecorder) -> None:
    client = AsyncWebClient(base_url=recorder.url, token="xoxb-demo")
    await client.chat_postMessage(channel="C1", text="t", blocks=[SECTION])
    assert [m.text for m in recorder.messages()] == ["t"]
    assert recorder.refusals == []


def test_an_ack_reply_is_checked_too(recorder: SlackRecorder) -> None:
    recorder.note(Note("<!here>", [SECTION]))
    assert recorder.refusals and "ack" in recorder.refusals[0]


def test_the_terminal_shows_an_escaped_command_as_slack_does() -> None:
    view = StepView(
        id="s", title="t", why="", number=1, total=1,
        manual=[ManualView(say="run", command="aws ecs execute-command --task <task-id>")],
    )  # fmt: skip
    shown = render_note(Note("t", render.step_blocks(view, 1)))
    assert "--task <task-id>" in shown and "&lt;" not in shown
