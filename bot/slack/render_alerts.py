"""The message the bot posts for an alert that reached it by webhook: one
line, escaped (names, labels and summaries come from the alert source), the
summary cut with what is left said; the whole alert is kept with the
incident (`alert.summary` in the runbook's scope)."""

from __future__ import annotations

from bot.alerts.model import Alert
from bot.slack.mrkdwn import cut, escape, lines, link
from bot.slack.render import Blocks

SUMMARY_MAX = 2000
LINE_MAX = 2900  # a section holds 3,000
# In a grouped post: a line per alert, this long at most, as many as fit.
GROUPED_LINE_MAX = 280


def alert_text(alert: Alert) -> str:
    """The line, as mrkdwn: both the fallback `text` and the section's text."""
    icon = "🔴" if alert.status == "firing" else "✅"
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
    summary = f": {cut(escape(alert.summary), SUMMARY_MAX)}" if alert.summary else ""
    runbook = f" {link(alert.runbook_url, 'runbook')}" if alert.runbook_url else ""
    head = f"{icon} *{alert.status.upper()}* {cut(escape(alert.name), 200)}"
    return cut(f"{head} ({cut(escape(labels), 500)}){summary}", LINE_MAX - len(runbook)) + runbook


def alert_is_cut(alert: Alert) -> bool:
    """Whether `alert_text` had to cut the alert's own words."""
    labels = ", ".join(f"{k}={v}" for k, v in alert.labels.items() if k != "alertname")
    return (
        len(escape(alert.summary)) > SUMMARY_MAX
        or len(escape(alert.name)) > 200
        or len(escape(labels)) > 500
        or len(alert_text(alert)) >= LINE_MAX
    )


def alert_in_full(alert: Alert) -> str:
    """The whole alert as plain text, for a file in its thread (a file is
    shown as written: nothing to escape)."""
    labels = "\n".join(f"  {k}: {v}" for k, v in sorted(alert.labels.items()))
    parts = [f"{alert.name} ({alert.status}, from {alert.source})", f"labels:\n{labels}"]
    if alert.summary:
        parts.append(f"summary:\n{alert.summary}")
    if alert.runbook_url:
        parts.append(f"runbook: {alert.runbook_url}")
    return "\n\n".join(parts) + "\n"


def alert_blocks(alert: Alert) -> Blocks:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": alert_text(alert)}}]


def grouped_alerts(alerts: list[Alert]) -> tuple[str, Blocks]:
    """One message for many alerts of one delivery: a title, then a line
    each (cut), as many as a section holds, then how many are not shown."""
    firing = sum(a.status == "firing" for a in alerts)
    title = (
        f"🔔 {len(alerts)} alerts in one delivery ({firing} firing, {len(alerts) - firing}"
        " resolved); each is triaged in this thread."
    )
    each = [cut(alert_text(alert), GROUPED_LINE_MAX) for alert in alerts]
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": lines(each, LINE_MAX)}},
    ]
    return title, blocks
