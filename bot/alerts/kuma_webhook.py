"""Uptime Kuma's webhook notification, in the two bodies it is set up with:

- the custom JSON template the first user posts today:
  `{"summary": "{{ msg }}", "severity": "critical"|"info",
  "source": "kuma/{{ monitorJSON.name }}"}` (critical when the heartbeat is
  down, so critical -> firing and info -> resolved);
- Kuma's own default body: `{"heartbeat": {...}, "monitor": {...}, "msg": ...}`.

Kuma's "Test" button sends no heartbeat and no monitor: that gives [].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.alerts.model import Alert, AlertPayloadError, Status

SOURCE_PREFIX = "kuma/"
_SEVERITY: dict[str, Status] = {"critical": "firing", "info": "resolved"}
# Kuma's heartbeat status values.
_DOWN, _UP = 0, 1


def parse_kuma_webhook(body: Any) -> list[Alert]:
    """Raises AlertPayloadError (a ValueError) for a body of neither shape."""
    if not isinstance(body, Mapping):
        raise AlertPayloadError("a Kuma webhook body is a JSON object")
    if "source" in body or "severity" in body:
        return _from_template(body)
    if "heartbeat" in body or "monitor" in body:
        return _from_default(body)
    raise AlertPayloadError("neither Kuma's default body nor the summary/severity/source template")


def _from_template(body: Mapping[str, Any]) -> list[Alert]:
    source, severity = body.get("source"), body.get("severity")
    if not isinstance(source, str) or not source.startswith(SOURCE_PREFIX):
        raise AlertPayloadError(f"source must read 'kuma/<monitor name>', not {source!r}")
    if severity not in _SEVERITY:
        raise AlertPayloadError(f"severity must be 'critical' or 'info', not {severity!r}")
    name = source.removeprefix(SOURCE_PREFIX).strip()
    if not name:
        return []
    return [_alert(_SEVERITY[severity], name, _str(body.get("summary")))]


def _from_default(body: Mapping[str, Any]) -> list[Alert]:
    heartbeat, monitor = body.get("heartbeat"), body.get("monitor")
    if not isinstance(heartbeat, Mapping) or not isinstance(monitor, Mapping):
        return []
    if heartbeat.get("status") not in (_DOWN, _UP):
        return []
    name = _str(monitor.get("pathName")) or _str(monitor.get("name"))
    if not name:
        return []
    status: Status = "firing" if heartbeat.get("status") == _DOWN else "resolved"
    alert = _alert(status, name, _str(body.get("msg")))
    at = _heartbeat_time(heartbeat.get("time"))
    # A down heartbeat is when the outage began, an up one when it ended.
    if status == "firing":
        return [replace(alert, starts_at=at)]
    return [replace(alert, ends_at=at)]


def _alert(status: Status, name: str, summary: str) -> Alert:
    leaf = name.rsplit(" / ", 1)[-1]
    labels = {"monitor": leaf}
    if leaf != name:
        labels["group"] = name[: -len(leaf) - 3]
    return Alert(source="kuma", status=status, name=name, labels=labels, summary=summary)


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _heartbeat_time(value: Any) -> datetime | None:
    """Kuma stores heartbeat times in UTC as `YYYY-MM-DD HH:MM:SS.mmm`
    (its `localDateTime` is the same moment in the server's zone)."""
    try:
        return datetime.fromisoformat(_str(value)).replace(tzinfo=UTC)
    except ValueError:
        return None
