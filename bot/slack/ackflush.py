"""Let an acknowledgement leave before the work behind it starts.

Only the confirmation dialog (bot/slack/views/confirm.py) still uses this;
buttons, /triage and events queue their work behind every pending ack
instead (bot.slack.queued, bot.incidents.work), which also keeps one
request's work from delaying another request's ack.

Bolt answers Slack with a listener's ack when its runner, which polls every
10 ms, next gets the event loop. Work started right after `ack()` (the store,
rendering, starting checks) keeps the loop busy, and under a burst of clicks
every ack waited for everyone's work: 50 concurrent Run all clicks were acked
after ~175 ms, all together. Yielding a little longer than Bolt's poll lets
the runners answer first (~11 ms, measured in-process); the work starts
15 ms later, which nobody notices.
"""

from __future__ import annotations

import asyncio

# Bolt's runner polls every 10 ms (slack_bolt.listener.asyncio_runner).
FLUSH_S = 0.015


async def after_ack() -> None:
    await asyncio.sleep(FLUSH_S)
