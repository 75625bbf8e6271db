"""A notification that names an alert but not which target it is about.

Alertmanager's default Slack template prints only the labels common to a
group: with `group_by: [alertname, severity]`, two failing probes arrive as
`[FIRING:2] BlackboxProbeFailure critical (...)`, no instance. The bot can
ask Alertmanager which alerts that is (bot.alerts.amapi, when the site
config names it); otherwise it says in one line what is missing and how to
get it, rather than count the message unmatched in silence.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.alerts.match import missing_label
from bot.alerts.model import Alert
from bot.runbooks.binding import Binding


def missing_line(alert: Alert, bindings: Mapping[str, Binding]) -> str | None:
    """The reply for an alert a runbook would take but for a missing label;
    None for any other alert."""
    label = missing_label(alert, bindings)
    if label is None:
        return None
    return (
        f"This *{alert.name}* notification names no `{label}`, so it cannot be tied to a"
        f" target: add `alertmanager: {{url: ...}}` to the site config so the bot can ask"
        f" Alertmanager, or add `{label}` to the route's `group_by` (or print the labels in"
        f" the Slack template); see docs/alerts.md."
    )
