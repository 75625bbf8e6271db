"""How much of a check's time its own work may take: one rule, one place.

The engine cancels a check at its timeout plus a little grace
(bot.engine.runner.GRACE_S). A check gives up on its own a little earlier,
so that its own words (which phase, which peer, which call) win the race
rather than the engine's bare "timed out".
"""

from __future__ import annotations

import time

# The check's own deadline, as a share of its timeout.
OWN_SHARE = 0.95
# Where a multi-call check (AWS pages, polls) stops starting new calls, so
# that those under way end before its own deadline does.
LAST_CALL_SHARE = 0.85


def within(timeout: float, share: float = OWN_SHARE) -> float:
    """Seconds the check's own work may take of `timeout`."""
    return timeout * share


def stop_at(timeout: float, share: float = OWN_SHARE) -> float:
    """`within(timeout, share)` from now, as a time.monotonic() instant."""
    return time.monotonic() + within(timeout, share)
