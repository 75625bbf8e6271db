"""Slack is answered when a listener returns, and every listener returns at
its ack (bot.slack.app: process_before_response): Bolt never looks for the
ack on a timer, and what a listener has to say after its ack (a refusal, a
full queue) goes aside, never between a request and its answer."""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import slack_bolt.listener.asyncio_runner as bolt_runner
import slack_bolt.middleware.async_custom_middleware as custom_middleware
from slack_bolt.async_app import AsyncApp
from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.payloads import Act, ButtonValue
from bot.store import SqliteStore
from tests.faults.waiting import until
from tests.peers.mail import Peer, greeting, serving
from tests.peers.slack import SlackStandIn, block_actions_payload, command_payload, sign
from tests.slack.bot import SECRET, make_bot

# Far above an ack's time, far below a hung peer's: an answer within this
# came without waiting on the peer.
ANSWERED_WITHIN_S = 5.0


@pytest.fixture
def never_polled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt's runner, when it runs a listener as a task, looks for its ack
    with `asyncio.sleep(0.01)` until it is made: here that look fails."""

    async def polled(*_: Any, **__: Any) -> None:
        raise AssertionError("Bolt looked for the ack on a timer")

    proxy = types.SimpleNamespace(**{n: getattr(asyncio, n) for n in dir(asyncio)})
    proxy.sleep = polled
    monkeypatch.setattr(bolt_runner, "asyncio", proxy)


@pytest.fixture
def hung() -> Iterator[Peer]:
    """A response_url that accepts the connection and never answers."""
    with serving(greeting(None)) as peer:
        yield peer


async def dispatch(app: AsyncApp, fields: dict[str, str]) -> tuple[int, str]:
    body = urlencode(fields)
    headers = {**sign(body.encode(), SECRET), "content-type": "application/x-www-form-urlencoded"}
    request = AsyncBoltRequest(body=body, headers=headers)
    response = await asyncio.wait_for(app.async_dispatch(request), ANSWERED_WITHIN_S)
    return response.status, str(response.body)


def click(action_id: str, value: str, response_url: str) -> dict[str, str]:
    payload = block_actions_payload(
        action_id, value, user="U1", channel="C1", message_ts="1.1", thread_ts=None,
        block_id="b", response_url=response_url,
    )  # fmt: skip
    return {"payload": json.dumps(payload)}


async def test_commands_and_clicks_are_answered_without_a_timer(
    slack_api: SlackStandIn, tmp_path: Path, never_polled: None
) -> None:
    bot = make_bot(slack_api.url, SqliteStore(tmp_path / "t.db"), signing_secret=SECRET)
    opened = command_payload("smtp-relay", response_url=slack_api.response_url())
    assert (await dispatch(bot.app, opened))[0] == 200
    # What the ack itself says is the answer (a word it does not know).
    status, body = await dispatch(bot.app, command_payload("nosuch", response_url="x"))
    assert status == 200 and "nosuch" in body
    clicked = click(Act.RUN_ALL.value, ButtonValue(incident=1).encode(), slack_api.response_url())
    assert (await dispatch(bot.app, clicked))[0] == 200
    await bot.incidents.work.drain()


async def test_a_full_queue_is_told_after_the_answer(
    slack_api: SlackStandIn, tmp_path: Path, hung: Peer
) -> None:
    bot = make_bot(slack_api.url, SqliteStore(tmp_path / "t.db"), signing_secret=SECRET)
    bot.incidents.work.queued_max = 0
    url = f"http://{hung.host}:{hung.port}/response"
    assert (await dispatch(bot.app, command_payload("smtp-relay", response_url=url)))[0] == 200
    assert bot.incidents.store.sync.audit_log() == []  # nothing was done


async def test_an_unknown_button_is_refused_after_the_answer(
    slack_api: SlackStandIn, tmp_path: Path, hung: Peer
) -> None:
    bot = make_bot(slack_api.url, SqliteStore(tmp_path / "t.db"), signing_secret=SECRET)
    url = f"http://{hung.host}:{hung.port}/response"
    assert (await dispatch(bot.app, click("triage.nosuch", "x", url)))[0] == 200

    def refused() -> bool:
        return any(r.action == "unknown_action" for r in bot.incidents.store.sync.audit_log())

    assert await until(refused)


async def test_a_click_finds_its_listener_at_the_first_try_of_the_actions(
    slack_api: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt tries its listeners in turn, building each matcher's arguments
    afresh: one listener for every button, not one per button (a Run all
    click tried six)."""
    tries: list[str] = []
    real = AsyncBuiltinListenerMatcher.async_matches

    async def counted(self: AsyncBuiltinListenerMatcher, req: Any, resp: Any) -> bool:
        tries.append(type(self).__name__)
        return await real(self, req, resp)

    monkeypatch.setattr(AsyncBuiltinListenerMatcher, "async_matches", counted)
    bot = make_bot(slack_api.url, SqliteStore(tmp_path / "t.db"), signing_secret=SECRET)
    for act in (Act.RUN_ALL, Act.RESOLVE, Act.ANSWER):
        tries.clear()
        value = ButtonValue(incident=1).encode()
        assert (await dispatch(bot.app, click(act.value, value, "x")))[0] == 200
        assert len(tries) <= 2, act  # /triage's, then the buttons'
    await bot.incidents.work.drain()


async def test_the_bots_own_middleware_takes_each_request_as_it_is(
    slack_api: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt builds a function middleware's keyword arguments afresh on every
    request; the bot's parts, request id and repeat check are one class
    middleware, which gets the request as it is (three functions were a
    quarter of the bot's own time per ack)."""
    built: list[str] = []
    real = custom_middleware.build_async_required_kwargs

    def counted(**kwargs: Any) -> dict[str, Any]:
        built.append(str(kwargs["this_func"]))
        return real(**kwargs)

    monkeypatch.setattr(custom_middleware, "build_async_required_kwargs", counted)
    bot = make_bot(slack_api.url, SqliteStore(tmp_path / "t.db"), signing_secret=SECRET)
    opened = command_payload("smtp-relay", response_url=slack_api.response_url())
    assert (await dispatch(bot.app, opened))[0] == 200
    clicked = click(Act.RUN_ALL.value, ButtonValue(incident=1).encode(), slack_api.response_url())
    assert (await dispatch(bot.app, clicked))[0] == 200
    assert built == []
    await bot.incidents.work.drain()
    # ... and the listeners still found the bot's parts: the incident opened.
    assert bot.incidents.store.sync.incident(1).target == "smtp-relay"
