"""The demo's Slack recorder refuses what Slack refuses, with Slack's error,
and shows the refusal in the terminal: the same rules as the tests' stand-in
(bot.slack.limits)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slackapi import Note, SlackRecorder
from bot.demo.terminal import render_message, render_note
from bot.engine.results import ManualView
from bot.incidents.views import StepView
from bot.slack import render

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "fine"}}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


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


async def test_an_upload_is_recorded_saved_and_shown_with_its_alt_text(tmp_path: Path) -> None:
    """files_upload_v2 as the bot makes it: alt text with getUploadURLExternal,
    the file list in completeUploadExternal's query string."""
    slack = SlackRecorder(tmp_path / "files")
    try:
        client = AsyncWebClient(base_url=slack.url, token="xoxb-demo")
        await client.files_upload_v2(
            channel="C1", thread_ts="1.1", filename="../chart.png", content=PNG,
            title="Probe history", alt_txt="Probe history\nprobe_success: ██▁ 1 → 0",
        )  # fmt: skip
        await client.files_upload_v2(channel="C1", filename="chart.png", content=PNG, title="Again")
    finally:
        slack.stop()
    first, second = slack.shared_files()
    assert first.path == tmp_path / "files" / "chart.png"  # its own name, never outside the folder
    assert first.path.read_bytes() == PNG and first.size == len(PNG) and first.text is None
    assert second.path == tmp_path / "files" / "chart-2.png"  # a name taken: numbered
    (message, _) = slack.messages()
    assert message.thread_ts == "1.1" and message.file == first
    shown, _ = render_message(message)
    assert f"saved as {first.path}" in shown
    assert "│   probe_success: ██▁ 1 → 0" in shown and shown.count("Probe history") == 1


async def test_a_text_file_is_shown_in_full(recorder: SlackRecorder) -> None:
    client = AsyncWebClient(base_url=recorder.url, token="xoxb-demo")
    await client.files_upload_v2(
        channel="C1", filename="t.md", content="# Timeline\n| a |", title="T"
    )
    (file,) = recorder.shared_files()
    assert file.path is None and file.text == "# Timeline\n| a |"
    shown, _ = render_message(recorder.messages()[0])
    assert "┊ # Timeline\n" in shown and shown.endswith("┊ | a |")


def test_waiting_for_a_file_ends_when_it_arrives_or_at_the_deadline(
    recorder: SlackRecorder,
) -> None:
    started = time.monotonic()
    assert recorder.wait_for_file(lambda f: True, timeout=0.2) is None
    assert time.monotonic() - started >= 0.2

    def upload() -> None:
        client = WebClient(base_url=recorder.url, token="xoxb-demo")
        client.files_upload_v2(channel="C1", filename="x-postmortem.md", content="d", title="P")

    threading.Thread(target=upload).start()
    found = recorder.wait_for_file(lambda f: f.filename.endswith("-postmortem.md"), timeout=10)
    assert found is not None and found.text == "d"
