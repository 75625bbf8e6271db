"""Healthchecks.io's webhook integration, in the two bodies it is set up with
(it fills `$NAME`, `$STATUS`, `$CODE`, `$TAGS` and `$JSON` into the body
the user writes):

- the small template docs/slack.md suggests:
  `{"name": "$NAME", "status": "$STATUS", "code": "$CODE", "tags": "$TAGS"}`;
- `$JSON` alone: the check as Healthchecks' API shows it (`name`, `status`,
  `tags`, `slug`, `n_pings`, `last_ping`, ...).

`status` "down" fires, "up" resolves; any other status (new, paused, grace,
started) is not an alert: [].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.healthchecks_slack import same_check
from bot.alerts.model import Alert, AlertPayloadError, Status

_STATUS: dict[str, Status] = {"down": "firing", "up": "resolved"}
_NOT_ALERTS = frozenset({"new", "paused", "grace", "started"})


def parse_healthchecks_webhook(body: Any) -> list[Alert]:
    """Raises AlertPayloadError (a ValueError) for a body that is not one."""
    if not isinstance(body, Mapping):
        raise AlertPayloadError("a Healthchecks webhook body is a JSON object")
    status, name = body.get("status"), _str(body.get("name"))
    if status in _NOT_ALERTS:
        return []
    if status not in _STATUS:
        raise AlertPayloadError(f"status must be 'down' or 'up' ($STATUS), not {status!r}")
    name = name or _str(body.get("code")) or _str(body.get("slug"))
    if not name:
        raise AlertPayloadError("the body names no check: put $NAME (or $CODE) in it")
    labels = {"check": name}
    tags = _str(body.get("tags"))
    if tags:
        labels["tags"] = " ".join(tags.split())
    summary = f"{name} is {status.upper()}"
    return [Alert(source="healthchecks", status=_STATUS[status], name=name, labels=labels,
                  summary=summary, fingerprint=same_check(name))]  # fmt: skip


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
