"""One identity for one alert, whichever path brought it.

The same firing reaches the bot twice (Alertmanager's webhook and its Slack
message, Kuma's webhook and its Slack message), and the two paths show
different things: the webhook carries Alertmanager's fingerprint (a hash of
*all* labels) but a Slack message never does, and Slack shows only the
labels its template prints. So the identity is built from what both paths
must show for the bot to act at all: the runbook trigger entry that matched.

- Alertmanager: alertname + the trigger's label and value
  (`BlackboxProbeFailure`, `instance=smtp-in.example.com:25`);
- Kuma: the target the monitor names (one monitor, however its path is
  shown: `Mail / SMTP relay` in one version, `SMTP relay` in another);
- Healthchecks: the check's name.

An alert no trigger names opens nothing; it keeps the parser's fingerprint
(Alertmanager's own where the payload had it), which is all dedup needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.alerts.match import matched
from bot.alerts.model import Alert, fingerprint_of
from bot.runbooks.binding import Binding

Basis = Literal["trigger", "payload"]


@dataclass(frozen=True)
class Identity:
    key: str
    # "trigger": the same on every path; "payload": only what this path saw.
    basis: Basis
    # Alertmanager label matchers that find this alert through its API
    # (bot.alerts.amapi): alertname and the trigger's label; {} otherwise.
    matchers: Mapping[str, str] = field(default_factory=dict)


def identity(alert: Alert, bindings: Mapping[str, Binding]) -> Identity:
    found = matched(alert, bindings)
    if found is None:
        return Identity(alert.fingerprint, "payload")
    matchers: dict[str, str] = {}
    if alert.source == "alertmanager":
        parts = {"alertname": alert.name, "by": found.by}
        label, _, value = found.by.partition("=")
        matchers = {"alertname": alert.name, label: value}
    elif alert.source == "kuma":
        parts = {"target": found.target}
    else:
        parts = {"check": found.by}
    key = fingerprint_of(alert.source, found.runbook, parts)
    return Identity(key, "trigger", matchers)


def identified(alert: Alert, bindings: Mapping[str, Binding]) -> Alert:
    """The alert with its cross-path identity as its fingerprint: what the
    store binds and resolves by."""
    return replace(alert, fingerprint=identity(alert, bindings).key)
