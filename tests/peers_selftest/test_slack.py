"""The Slack stand-ins, checked with the real clients: slack_sdk's
AsyncWebClient, Bolt's HTTP endpoint and Bolt's Socket Mode handler."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.peers.slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    BoltClient,
    SlackStandIn,
    SocketModeStandIn,
    command_payload,
    sign,
)

SLACK_TS = re.compile(r"^\d{10}\.\d{6}$")
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]


def web_client(slack: SlackStandIn, token: str = BOT_TOKEN, **kw: Any) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.url, token=token, **kw)


@pytest.fixture
def bolt_app(slack_api: SlackStandIn) -> AsyncApp:
    return AsyncApp(client=web_client(slack_api), signing_secret=SIGNING_SECRET)


@pytest.fixture
async def bolt(bolt_app: AsyncApp, slack_api: SlackStandIn) -> AsyncIterator[BoltClient]:
    """Bolt's own aiohttp endpoint on loopback, and a client that signs for it."""
    runner = web.AppRunner(bolt_app.web_app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    async with BoltClient(f"http://127.0.0.1:{port}", SIGNING_SECRET, slack=slack_api) as client:
        yield client
    await runner.cleanup()


async def test_update_changes_what_messages_shows(slack_api: SlackStandIn) -> None:
    client = web_client(slack_api)
    posted = await client.chat_postMessage(channel="C1", text="running")
    reply = await client.chat_postMessage(channel="C1", text="step 1", thread_ts=posted["ts"])
    await client.chat_update(channel="C1", ts=posted["ts"], text="finished", blocks=BLOCKS)

    header = slack_api.messages("C1")[posted["ts"]]
    assert (header.text, header.blocks, header.edits) == ("finished", BLOCKS, 1)
    assert [m.ts for m in slack_api.thread("C1", posted["ts"])] == [reply["ts"]]
    assert reply["message"]["thread_ts"] == posted["ts"]
    assert posted["message"]["user"] == BOT_USER_ID
    assert slack_api.calls("chat.update")[0].args["blocks"] == BLOCKS


async def test_update_without_blocks_keeps_them(slack_api: SlackStandIn) -> None:
    client = web_client(slack_api)
    posted = await client.chat_postMessage(channel="C1", text="t", blocks=BLOCKS)
    await client.chat_update(channel="C1", ts=posted["ts"], text="t2")
    assert slack_api.messages("C1")[posted["ts"]].blocks == BLOCKS


async def test_updating_an_unknown_message_fails_like_slack(slack_api: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(slack_api).chat_update(channel="C1", ts="1.000001", text="x")
    assert raised.value.response["error"] == "message_not_found"


async def test_ts_values_look_like_slacks_and_increase(slack_api: SlackStandIn) -> None:
    client = web_client(slack_api)
    stamps = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(5)]
    assert all(SLACK_TS.match(ts) for ts in stamps)
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


async def test_a_wrong_token_gets_invalid_auth(slack_api: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(slack_api, token="xoxb-wrong").auth_test()
    assert raised.value.response["error"] == "invalid_auth"
    assert slack_api.calls()[0].token == "xoxb-wrong"


async def test_auth_test_names_the_bot(slack_api: SlackStandIn) -> None:
    identity = await web_client(slack_api).auth_test()
    assert identity["user_id"] == BOT_USER_ID and identity["bot_id"].startswith("B")


async def test_429_is_waited_out_by_the_retry_handler(slack_api: SlackStandIn) -> None:
    slack_api.fail_next("chat.postMessage", retry_after=1)
    retrying = web_client(slack_api, retry_handlers=[AsyncRateLimitErrorRetryHandler(1)])

    posted = await retrying.chat_postMessage(channel="C1", text="hello")

    first, second = slack_api.calls("chat.postMessage")
    assert (first.status, first.response) == (429, {"ok": False, "error": "ratelimited"})
    assert second.ok and posted["ts"] in slack_api.messages("C1")
    assert second.at - first.at >= 1.0


async def test_a_planned_error_body_is_answered_once(slack_api: SlackStandIn) -> None:
    slack_api.fail_next("chat.postMessage", status=200, error="channel_not_found")
    client = web_client(slack_api)
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="x")
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]


async def test_files_upload_v2_records_the_bytes(slack_api: SlackStandIn) -> None:
    content = b'{"events": ["service was unable to place a task"]}\n' * 100
    done = await web_client(slack_api).files_upload_v2(
        channel="C1", thread_ts="1767000000.000100", filename="events.json", content=content
    )
    (upload,) = slack_api.uploads()
    assert done["file"]["id"] == upload.file_id
    assert (upload.content, upload.channel_id, upload.thread_ts) == (
        content,
        "C1",
        "1767000000.000100",
    )
    assert [c.method for c in slack_api.calls()] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_signature_is_accepted_by_slack_sdks_verifier() -> None:
    body = b"command=%2Ftriage&text=smtp-relay"
    headers = sign(body, SIGNING_SECRET)
    verifier = SignatureVerifier(SIGNING_SECRET)
    stamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert verifier.is_valid(body, stamp, signature)
    assert not SignatureVerifier("another-secret").is_valid(body, stamp, signature)
    stale = sign(body, SIGNING_SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid(
        body, stale["X-Slack-Request-Timestamp"], stale["X-Slack-Signature"]
    )


async def test_signed_command_reaches_bolt_and_respond_lands_on_the_stand_in(
    bolt_app: AsyncApp, bolt: BoltClient, slack_api: SlackStandIn
) -> None:
    @bolt_app.command("/triage")
    async def triage(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        await respond(f"looking at {command['text']}")

    answer = await bolt.command("smtp-relay")

    assert answer.status_code == 200
    (posted,) = await slack_api.wait_for_async(lambda: slack_api.calls("response_url"))
    assert posted.args["text"] == "looking at smtp-relay"


async def test_forged_and_stale_signatures_get_401(bolt_app: AsyncApp, bolt: BoltClient) -> None:
    ran: list[str] = []

    @bolt_app.command("/triage")
    async def triage(ack: Any) -> None:
        ran.append("ran")
        await ack()

    body = b"command=%2Ftriage&text=x"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = await bolt.raw(body, form | sign(body, "not-the-secret"))
    stale = await bolt.raw(body, form | sign(body, SIGNING_SECRET, int(time.time()) - 600))
    assert (forged.status_code, stale.status_code, ran) == (401, 401, [])


async def test_click_carries_the_message_as_it_stands(
    bolt_app: AsyncApp, bolt: BoltClient, slack_api: SlackStandIn
) -> None:
    clicked: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @bolt_app.action("run_step")
    async def run_step(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        clicked.put_nowait(body)

    posted = await web_client(slack_api).chat_postMessage(channel="C1", text="s", blocks=BLOCKS)
    answer = await bolt.action("run_step", '{"i":1}', message_ts=posted["ts"], thread_ts="1.2")

    body = await asyncio.wait_for(clicked.get(), 5)
    assert answer.status_code == 200
    assert body["actions"][0]["value"] == '{"i":1}'
    assert body["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C1",
        "is_ephemeral": False,
        "thread_ts": "1.2",
    }
    assert body["message"]["blocks"] == BLOCKS


async def test_event_retries_carry_slacks_retry_headers(
    bolt_app: AsyncApp, bolt: BoltClient
) -> None:
    seen: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()

    @bolt_app.event("app_mention")
    async def mentioned(ack: Any, body: dict[str, Any], request: Any) -> None:
        await ack()
        seen.put_nowait((body["event_id"], request.headers.get("x-slack-retry-num", [])))

    mention = {"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.1"}
    await bolt.event(mention, event_id="Ev0001")
    await bolt.event(mention, event_id="Ev0001", retry_num=1)

    assert [await asyncio.wait_for(seen.get(), 5) for _ in range(2)] == [
        ("Ev0001", []),
        ("Ev0001", ["1"]),
    ]


async def test_socket_mode_command_is_acked(
    slack_api: SlackStandIn, slack_socket_mode: SocketModeStandIn
) -> None:
    app = AsyncApp(client=web_client(slack_api), signing_secret=SIGNING_SECRET)

    @app.command("/triage")
    async def triage(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"looking at {command['text']}")

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        payload = command_payload("smtp-relay", response_url=slack_api.response_url())
        envelope_id = slack_socket_mode.send_envelope("slash_commands", payload)
        ack = await slack_socket_mode.wait_for_ack_async(envelope_id)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
    assert ack.payload == {"text": "looking at smtp-relay"}
    assert slack_api.calls("apps.connections.open")[0].token == APP_TOKEN


async def test_apps_connections_open_needs_the_socket_mode_stand_in(
    slack_api: SlackStandIn,
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(slack_api).apps_connections_open(app_token=APP_TOKEN)
    assert raised.value.response["error"] == "socket_mode_stand_in_not_running"


async def test_unknown_methods_answer_ok_and_json_args_are_decoded(
    slack_api: SlackStandIn,
) -> None:
    client = web_client(slack_api)
    assert (await client.api_call("reactions.add", params={"name": "eyes"}))["ok"]
    await client.api_call(
        "chat.postMessage", data={"channel": "C2", "text": "done", "blocks": json.dumps(BLOCKS)}
    )
    assert slack_api.messages("C2").popitem()[1].blocks == BLOCKS


def test_wait_for_gives_up_at_its_deadline(slack_api: SlackStandIn) -> None:
    with pytest.raises(TimeoutError, match="calls so far: none"):
        slack_api.wait_for(lambda: slack_api.calls("chat.postMessage"), timeout=0.2)


def test_clear_forgets_calls_and_messages(slack_api: SlackStandIn) -> None:
    slack_api.fail_next("auth.test")
    slack_api.clear()
    assert slack_api.calls() == [] and slack_api.messages("C1") == {}


# -- the strict checks: each payload here is one Slack refuses ---------------


def _section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def _button(label: str = "Go", action_id: str = "go", value: str = "v") -> dict[str, Any]:
    text = {"type": "plain_text", "text": label}
    return {"type": "button", "text": text, "action_id": action_id, "value": value}


def _actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def _context(n: int) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * n}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


REFUSED_MESSAGES = {
    "empty section text": ("invalid_blocks", {"blocks": [_section("")]}),
    "section text over 3,000": ("invalid_blocks", {"blocks": [_section("x" * 3001)]}),
    "51 blocks": ("invalid_blocks", {"blocks": [_section("x")] * 51}),
    "header over 150": ("invalid_blocks", {"blocks": [_header("h" * 151)]}),
    "button text over 75": ("invalid_blocks", {"blocks": [_actions(_button("b" * 76))]}),
    "button value over 2,000": (
        "invalid_blocks",
        {"blocks": [_actions(_button(value="v" * 2001))]},
    ),
    "action_id over 255": ("invalid_blocks", {"blocks": [_actions(_button(action_id="a" * 256))]}),
    "duplicate action_id in a block": (
        "invalid_blocks",
        {"blocks": [_actions(_button(), _button())]},
    ),
    "block_id over 255": ("invalid_blocks", {"blocks": [_section("x", block_id="b" * 256)]}),
    "duplicate block_id": (
        "invalid_blocks",
        {"blocks": [_section("x", block_id="b"), _section("y", block_id="b")]},
    ),
    "11 context elements": ("invalid_blocks", {"blocks": [_context(11)]}),
    "26 actions": (
        "invalid_blocks",
        {"blocks": [_actions(*[_button(action_id=f"a{n}") for n in range(26)])]},
    ),
    "unknown block type": ("invalid_blocks", {"blocks": [{"type": "bogus"}]}),
    "no fallback text": ("no_text", {"text": None, "blocks": [_section("x")]}),
    "text over 40,000": ("msg_too_long", {"text": "t" * 40_001, "blocks": []}),
    "block text over 12,000": ("msg_blocks_too_long", {"blocks": [_section("x" * 3000)] * 5}),
    "<!channel> in blocks": ("triage_unsafe_markup", {"blocks": [_section("<!channel> hi")]}),
    "<!here> in the text": ("triage_unsafe_markup", {"text": "<!here> hi", "blocks": []}),
    "a mention not of a user id": (
        "triage_unsafe_markup",
        {"blocks": [_section("by <@alert:kuma>")]},
    ),
    "a placeholder read as markup": (
        "triage_unsafe_markup",
        {"blocks": [_section("ecs execute-command --task <task-id>")]},
    ),
}


@pytest.mark.slack_refusals
@pytest.mark.parametrize("case", sorted(REFUSED_MESSAGES))
async def test_a_message_slack_refuses_is_refused_with_slacks_error(
    slack_api: SlackStandIn, case: str
) -> None:
    code, payload = REFUSED_MESSAGES[case]
    args = {"channel": "C1", "text": "fallback", **payload}
    args = {k: v for k, v in args.items() if v is not None}
    with pytest.raises(SlackApiError) as raised:
        await web_client(slack_api).api_call("chat.postMessage", json=args)
    assert raised.value.response["error"] == code
    assert raised.value.response["response_metadata"]["messages"]
    assert slack_api.messages("C1") == {}  # nothing was posted
    assert len(slack_api.refused()) == 1


@pytest.mark.slack_refusals
async def test_an_update_slack_refuses_leaves_the_message_as_it_was(
    slack_api: SlackStandIn,
) -> None:
    client = web_client(slack_api)
    posted = await client.chat_postMessage(channel="C1", text="t", blocks=BLOCKS)
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_update(channel="C1", ts=posted["ts"], text="t", blocks=[_section("")])
    assert slack_api.messages("C1")[posted["ts"]].blocks == BLOCKS


async def test_mentions_and_links_the_bot_builds_pass(slack_api: SlackStandIn) -> None:
    text = "<@U12345> and <https://runbooks.example/x|runbook> and &lt;!channel&gt; &amp;"
    await web_client(slack_api).chat_postMessage(
        channel="C1", text=text, blocks=[_section(text), _header("<not markup in plain text>")]
    )
    assert slack_api.refused() == []


def _modal(**changes: Any) -> dict[str, Any]:
    plain = {"type": "plain_text", "text": "Go"}
    view = {
        "type": "modal",
        "title": plain,
        "submit": plain,
        "close": plain,
        "blocks": [_section("x")],
    }
    return {**view, **changes}


REFUSED_VIEWS = {
    "title over 24": _modal(title={"type": "plain_text", "text": "t" * 25}),
    "submit over 24": _modal(submit={"type": "plain_text", "text": "s" * 25}),
    "close over 24": _modal(close={"type": "plain_text", "text": "c" * 25}),
    "private_metadata over 3,000": _modal(private_metadata="m" * 3001),
    "101 blocks": _modal(blocks=[_section("x")] * 101),
    "an empty section": _modal(blocks=[_section("")]),
    "<!everyone> in a section": _modal(blocks=[_section("<!everyone>")]),
}


@pytest.mark.slack_refusals
@pytest.mark.parametrize("case", sorted(REFUSED_VIEWS))
async def test_a_modal_slack_refuses_is_refused(slack_api: SlackStandIn, case: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web_client(slack_api).views_open(trigger_id="1.2.x", view=REFUSED_VIEWS[case])
    assert raised.value.response["error"] == "invalid_arguments"


async def test_a_modal_within_the_limits_opens(slack_api: SlackStandIn) -> None:
    opened = await web_client(slack_api).views_open(trigger_id="1.2.x", view=_modal())
    assert opened["view"]["id"]


@pytest.mark.slack_refusals
async def test_a_response_url_post_is_checked_as_a_message(slack_api: SlackStandIn) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack_api.response_url(), json={"text": "<!channel>"}) as response,
    ):
        body = await response.json()
    assert body["error"] == "triage_unsafe_markup"
