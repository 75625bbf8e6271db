"""#14 end to end: blackbox_exporter, Prometheus and Alertmanager (Debian's
binaries) on loopback, an IMAP STARTTLS peer killed and restored, and the bot
(`triage serve --http`'s app, served in-process with the strict Slack
stand-in). Firing -> exactly one incident with findings -> resolved ->
closed, for the webhook alone, Alertmanager's Slack message alone (its Slack
notifier posts to a loopback receiver that forwards the message as a signed
event) and both; grouped per instance and by `[alertname, severity]` (two
alerts in one notification, `alertmanager:` configured so the bot can ask).

Prints the figures (Alertmanager send -> first post, -> findings; resolved
send -> recovery line); the only bounds are the waits' deadlines.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.e2e.flows import am_config, named_scrape, slack_forwarder, webhook_relay
from tests.peers import alertmanager as am
from tests.peers import prometheus_server as prom
from tests.peers.alertstack import PROBE_RULE, Notification, SwitchablePeer, probe_rules
from tests.peers.blackbox import Exporter
from tests.peers.certs import server_context
from tests.peers.slack import SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import ALERTS, header_saying, local_site

ALERT_SECRET = "e2e-alert-secret"
NAME = "smtp-in.example.com:25"  # the runbook's smtp-relay trigger (local_site's domain)
OTHER = "other.example.com:143"  # no runbook: the grouped case's second alert
WITHIN_S = 30.0
PER_INSTANCE = ("alertname", "instance")
GROUPED = ("alertname", "severity")
CASES = [
    pytest.param(paths, group_by, id=f"{paths}-{'grouped' if group_by == GROUPED else 'instance'}")
    for paths in ("webhook", "slack", "both")
    for group_by in (PER_INSTANCE, GROUPED)
]


def _about(status: str) -> Any:
    def wanted(note: Notification) -> bool:
        return any(
            a["labels"].get("alertname") == PROBE_RULE and a["labels"].get("instance") == NAME
            for a in note.alerts(status)
        )

    return wanted


def _post_at(stand_in: SlackStandIn, after: float, needle: str = "") -> float:
    """When the first post to the alert channel (saying `needle`) arrived."""
    return min(
        c.at
        for c in stand_in.calls()
        if c.ok
        and c.method in ("chat.postMessage", "chat.update")
        and c.args.get("channel") == ALERTS
        and c.at >= after
        and needle in str(c.args.get("text", "")) + str(c.args.get("blocks", ""))
    )


def _texts(stand_in: SlackStandIn, needle: str) -> list[Any]:
    return [m for m in stand_in.messages(ALERTS).values() if needle in (m.text or "")]


@pytest.mark.usefixtures("aws_fake_credentials")
@pytest.mark.parametrize(("paths", "group_by"), CASES)
async def test_one_outage_is_one_incident_that_closes_on_recovery(
    paths: str,
    group_by: tuple[str, ...],
    *,
    slack_api: SlackStandIn,
    tmp_path: Path,
    blackbox_exporter: Exporter,
    cert_valid: trustme.LeafCert,
) -> None:
    grouped = group_by == GROUPED
    peers = [SwitchablePeer(server_context(cert_valid)) for _ in range(2 if grouped else 1)]
    with contextlib.ExitStack() as stack:
        for peer in peers:
            stack.callback(peer.close)
            peer.restore()
        relay = stack.enter_context(webhook_relay(ALERT_SECRET))
        forwarder = stack.enter_context(slack_forwarder(SECRET, ALERTS))
        config = am_config(
            webhook_url=relay.url,
            slack_url=forwarder.url if paths != "webhook" else None,
            group_by=group_by,
        )
        manager = stack.enter_context(am.running(tmp_path / "alertmanager", config))
        names = dict(zip([f"127.0.0.1:{p.port}" for p in peers], [NAME, OTHER], strict=False))
        settings = prom.config(
            [named_scrape(blackbox_exporter.url, names)], alertmanager=manager.url
        )
        prometheus = stack.enter_context(
            prom.running(tmp_path / "prometheus", settings, probe_rules())
        )
        sets = local_site(peers[0].port)
        if grouped:
            sets += [f"alertmanager.url={manager.url}", "alertmanager.poll_interval=0.5"]
        if paths == "both":
            sets.append("alerts.slack_window=3")
        bot = stack.enter_context(
            running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=ALERT_SECRET)
        )
        forwarder.events_url = bot.url
        if paths != "slack":
            relay.bot_url = f"{bot.base}/alerts/alertmanager"
        for instance in names.values():
            prometheus.wait_for(f'probe_success{{instance="{instance}"}} == 1')

        killed = time.monotonic()
        for peer in peers:
            peer.kill()
        firing = relay.wait_for(_about("firing"), after=killed, within=WITHIN_S)
        header = await slack_api.wait_for_async(
            lambda: header_saying(slack_api, "Findings"), timeout=WITHIN_S
        )
        restored = time.monotonic()
        for peer in peers:
            peer.restore()
        resolved = relay.wait_for(_about("resolved"), after=restored, within=WITHIN_S)
        await slack_api.wait_for_async(
            lambda: header_saying(slack_api, "resolved by"), timeout=WITHIN_S
        )
        figures = (
            f"send->first post {_post_at(slack_api, killed) - firing.at:.1f} s,"
            f" send->findings {_post_at(slack_api, killed, 'Findings') - firing.at:.1f} s,"
            f" resolved send->recovery line"
            f" {_post_at(slack_api, restored, 'resolved after') - resolved.at:.1f} s"
        )
    print(f"\nalert flow {paths} {'/'.join(group_by)}: {figures}")

    with sqlite3.connect(tmp_path / "t.db") as db:
        incidents = db.execute("SELECT target, status FROM incidents").fetchall()
    db.close()
    assert incidents == [("smtp-relay", "resolved")]  # one outage, one incident, closed
    assert len(_texts(slack_api, "resolved after")) == 1
    assert _texts(slack_api, "fired again") == []
    lines = [m for m in slack_api.messages(ALERTS).values() if not m.thread_ts]
    about = [m for m in lines if NAME in (m.text or "")]
    if paths == "webhook":
        assert len(about) == 1 and header.thread_ts == about[0].ts  # the bot's line hosts
    else:
        # Alertmanager's own Slack message hosts; the bot adds no channel line.
        assert about == []
        assert header.thread_ts in {event["ts"] for _, event in forwarder.forwarded}
