"""Asking Alertmanager (its v2 API, read-only) what a Slack message cannot say.

Two questions:
- `expand`: which alerts a grouped notification (`[FIRING:2]
  BlackboxProbeFailure critical (cabalmail e2e)`) holds. The default Slack
  template prints only the group's common label values, so the names the
  message gives away (alertname, severity, a lone instance) become
  matchers, and every value it shows must be among an alert's label values.
- `still_firing`: whether an alert Slack may never announce as resolved
  (Alertmanager's default `send_resolved: false` for Slack) still fires,
  or is silenced or inhibited.

Label values are sent as matcher *values* in the query string to the URL the
site config names; they never choose where the request goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.alerts import alertmanager_slack, amtext
from bot.alerts.model import Alert
from bot.checks.errors import classify_http
from bot.checks.result import ErrorKind

State = Literal["firing", "resolved", "silenced", "inhibited"]


class AlertmanagerError(Exception):
    """Alertmanager could not be asked; the message says what to look at."""


@dataclass(frozen=True)
class Found:
    alert: Alert
    # Alertmanager's words: active, suppressed or unprocessed.
    state: str
    silenced_by: tuple[str, ...]
    inhibited_by: tuple[str, ...]


class _Status(BaseModel):
    model_config = ConfigDict(extra="ignore")
    state: str
    silenced_by: list[str] = Field(default_factory=list, alias="silencedBy")
    inhibited_by: list[str] = Field(default_factory=list, alias="inhibitedBy")


class _Gettable(BaseModel):
    model_config = ConfigDict(extra="ignore")
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    fingerprint: str
    starts_at: datetime = Field(alias="startsAt")
    status: _Status


class AlertmanagerAPI:
    def __init__(
        self, url: str, *, timeout: float = 3.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._transport = transport

    async def alerts(self, matchers: Mapping[str, str]) -> list[Found]:
        """Every alert Alertmanager holds whose labels equal `matchers`,
        silenced and inhibited ones included (resolved ones it drops)."""
        params: list[tuple[str, str]] = [("filter", _matcher(k, v)) for k, v in matchers.items()]
        params += [(flag, "true") for flag in ("active", "silenced", "inhibited", "unprocessed")]
        body = await self._get("/api/v2/alerts", params)
        try:
            parsed = [_Gettable.model_validate(item) for item in body]
        except (TypeError, ValidationError) as exc:
            raise AlertmanagerError(
                f"{self.url} did not answer like Alertmanager's v2 API (/api/v2/alerts): "
                f"{str(exc).splitlines()[0]}"
            ) from exc
        return [_found(item) for item in parsed]

    async def expand(self, message: Mapping[str, Any]) -> list[Alert]:
        """The alerts a grouped Slack notification stands for ([] if the
        message is not Alertmanager's or names no alertname)."""
        parsed = alertmanager_slack.parse(message)
        subject = alertmanager_slack.subject_of(message)
        if not parsed or subject is None or "alertname" not in parsed[0].labels:
            return []
        shown = amtext.inferred_labels(subject.values)
        found = await self.alerts(shown)
        values = set(subject.values)
        status = parsed[0].status
        return [
            _with_status(f.alert, status) for f in found if values <= set(f.alert.labels.values())
        ]

    async def still_firing(
        self, alert: Alert, *, matchers: Mapping[str, str] | None = None
    ) -> State:
        """firing, silenced or inhibited while Alertmanager holds an alert
        with these labels (firing wins if any is active), else resolved.

        `matchers` (default: all the alert's labels) should be the
        identity's (`Identity.matchers`) for an alert read from Slack, whose
        other labels may be inferred from the text and so not exact."""
        wanted = matchers or alert.labels or {"alertname": alert.name}
        found = await self.alerts(wanted)
        if not found:
            return "resolved"
        if any(f.state != "suppressed" for f in found):
            return "firing"
        if any(f.silenced_by for f in found):
            return "silenced"
        return "inhibited"

    async def _get(self, path: str, params: list[tuple[str, str]]) -> Any:
        where = f"Alertmanager at {self.url}"
        try:
            async with (
                asyncio.timeout(self.timeout),
                httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client,
            ):
                response = await client.get(self.url + path, params=tuple(params))
        except (httpx.HTTPError, TimeoutError) as exc:
            timed_out = f"did not answer within {self.timeout:g} s"
            failure = classify_http(exc, where=where, timed_out=timed_out)
            raise AlertmanagerError(f"{failure.message}{_HINTS.get(failure.kind, '')}") from exc
        if response.status_code != 200:
            raise AlertmanagerError(
                f"{where} answered HTTP {response.status_code} to {path}: "
                f"{response.text.strip()[:200]}"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise AlertmanagerError(f"{where} answered {path} with something not JSON") from exc


# What to look at, by the kind of failure: the site config's URL first.
_HINTS = {
    ErrorKind.TIMEOUT: ": is it overloaded, or is `alertmanager.url` in the site config"
    " pointing at a host that drops packets?",
    ErrorKind.REFUSED: ": is it running, and is `alertmanager.url` in the site config right?",
    ErrorKind.DNS: ": is `alertmanager.url` in the site config right?",
}


def _matcher(name: str, value: str) -> str:
    """`name="value"` with the value quoted as Alertmanager's matcher parser
    reads it, so any label value matches itself and only itself."""
    quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{name}="{quoted}"'


def _found(item: _Gettable) -> Found:
    notes = item.annotations
    alert = Alert(
        source="alertmanager",
        status="firing",
        name=item.labels.get("alertname") or "alert",
        labels=item.labels,
        fingerprint=item.fingerprint,
        summary=notes.get("summary") or notes.get("description") or "",
        runbook_url=notes.get("runbook_url") or None,
        starts_at=item.starts_at,
        # Alertmanager lists only unresolved alerts: their endsAt is when
        # they would time out, not when they ended.
    )
    status = item.status
    return Found(alert, status.state, tuple(status.silenced_by), tuple(status.inhibited_by))


def _with_status(alert: Alert, status: Literal["firing", "resolved"]) -> Alert:
    return replace(alert, status=status)
