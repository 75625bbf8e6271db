"""PostgreSQL stops answering under a running bot (a hung network: no
reset, no reply): the bot says "store unavailable" to whoever asked rather
than going silent, /readyz turns 503, and all comes back by itself once the
network does, without a restart."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.slack.errors import UNAVAILABLE
from tests.e2e.replicas import CHANNEL, SECRET, gate, replicas, wait_until
from tests.peers.slack import BoltClient, SlackStandIn
from tests.store import pg
from tests.store.proxy import HangingProxy


@contextmanager
def proxy_thread() -> Iterator[tuple[HangingProxy, asyncio.AbstractEventLoop]]:
    """The proxy on a loop of its own: the test's waits may block."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True, name="proxy")
    thread.start()
    proxy = HangingProxy()
    asyncio.run_coroutine_threadsafe(proxy.__aenter__(), loop).result(timeout=10)
    try:
        yield proxy, loop
    finally:
        loop.call_soon_threadsafe(proxy.resume)
        asyncio.run_coroutine_threadsafe(proxy.__aexit__(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def ready(base: str) -> int:
    return httpx.get(f"{base}/readyz", timeout=5).status_code


@pytest.mark.timeout(240)
async def test_a_hung_database_is_said_in_slack_and_recovered_without_a_restart(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    mention = {"type": "app_mention", "user": "U2", "channel": CHANNEL,
               "text": "<@U0TRIAGEBOT> svc", "ts": "1767000000.000001"}  # fmt: skip
    with pg.fresh_database() as (url, _), proxy_thread() as (proxy, loop), gate() as peer:
        peer.opened.set()
        via = url.replace(":5432/", f":{proxy.port}/")
        with replicas(1, url=via, slack_api=slack_api, peer=peer, tmp_path=tmp_path) as [bot]:
            async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
                loop.call_soon_threadsafe(proxy.hang)
                reply = await slack.event(mention, event_id="EvHung")
                said = await slack_api.wait_for_async(
                    lambda: slack_api.calls("chat.postEphemeral"), timeout=60
                )
                assert wait_until(lambda: ready(bot.base) == 503)
                loop.call_soon_threadsafe(proxy.resume)
                assert wait_until(lambda: ready(bot.base) == 200), bot.text()[-2000:]
                # And it works again: the same mention opens its incident.
                await slack.event({**mention, "ts": "1767000000.000002"}, event_id="EvBack")
                await slack_api.wait_for_async(lambda: slack_api.calls("chat.postMessage"))
            assert bot.process.poll() is None  # never restarted
    assert reply.status_code == 200
    assert said[0].args["text"] == UNAVAILABLE
    assert said[0].args["user"] == "U2"
    assert "store unavailable" in bot.text()
