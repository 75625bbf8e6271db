"""How long an alert lasted, by the source's clock when it says.

Alertmanager's webhook carries `startsAt`/`endsAt` and Kuma's default body
the heartbeat's time; Slack messages and Healthchecks carry neither, so
the bot's receive times are the fallback, and the words say so: receive
times are off by up to Alertmanager's group interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.alerts.model import Alert

FALLBACK_NOTE = "by the bot's clock"


@dataclass(frozen=True)
class Lasted:
    seconds: float
    from_source: bool

    def words(self) -> str:
        """`34s`, or `34s (by the bot's clock)` when only receive times were known."""
        took = duration(self.seconds)
        return took if self.from_source else f"{took} ({FALLBACK_NOTE})"


def lasted(
    resolved: Alert,
    *,
    fired_at: float,
    resolved_at: float,
    firing_started: datetime | None = None,
) -> Lasted:
    """From the source's start (the resolved alert's own, else the firing
    one's) to the source's end; else from receive time to receive time."""
    start = resolved.starts_at or firing_started
    end = resolved.ends_at
    if start is not None and end is not None and end >= start:
        return Lasted((end - start).total_seconds(), True)
    return Lasted(max(0.0, resolved_at - fired_at), False)


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
