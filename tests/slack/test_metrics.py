"""/metrics after real work: a walkthrough, alerts and a 429 against the
Slack stand-in, scraped from the bot's own HTTP server as Prometheus would."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from bot.slack.apimetrics import method_of
from bot.slack.payloads import Act
from bot.slack.server import start_http
from bot.store import SqliteStore
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import ALERTS, button, fixture, header_saying, local_site, text_of

CHANNEL = "C0INCIDENT"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(exposition: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(base: str) -> Samples:
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"{base}/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(reply.text)


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_walkthrough_is_counted_by_check_type_and_status_with_durations(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL)
            header = await slack_api.wait_for_async(
                lambda: next(iter(slack_api.messages(CHANNEL).values()), None)
            )
            await slack.action(
                Act.RUN_ALL.value, button(header, Act.RUN_ALL.value), channel=CHANNEL,
                message_ts=header.ts, thread_ts=header.thread_ts,
            )  # fmt: skip
            await slack_api.wait_for_async(
                lambda: (
                    "steps run" in text_of(slack_api.messages(CHANNEL)[header.ts])
                    and "Run all" in str([m.text for m in slack_api.messages(CHANNEL).values()])
                )
            )
            samples = await scrape(bot.base)
    ran = Counter(
        (check["type"], check["status"])
        for run in SqliteStore(tmp_path / "t.db").latest_runs(1).values()
        for check in run.result["checks"]
    )
    assert ran, "the walkthrough ran no checks"
    for (kind, status), times in ran.items():
        assert value(samples, "triage_checks_total", type=kind, status=status) == times
        if status != "skipped":
            histogram = {"type": kind, "status": status}
            assert value(samples, "triage_check_duration_seconds_count", **histogram) == times
            assert value(samples, "triage_check_duration_seconds_bucket", le="+Inf", **histogram)
    assert ("tcp", "fail") in ran or ("starttls", "fail") in ran  # the relay's port is closed
    assert value(samples, "triage_incidents_opened_total", how="command") == 1
    assert value(samples, "triage_incidents_opened_total", how="alert") == 0


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_alert_outcomes_and_incidents_opened_by_alert_are_counted(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            before = await scrape(bot.base)
            for n in range(2):
                event = fixture("slack-am-default-webhook-firing", ts=f"1717236000.00010{n}")
                await slack.event(event, event_id=f"Ev{n}")
            await slack_api.wait_for_async(lambda: header_saying(slack_api, "Findings"))
            await slack_api.wait_for_async(
                lambda: [m for m in slack_api.messages(ALERTS).values() if "fired again" in m.text]
            )
            samples = await scrape(bot.base)
    for outcome in ("triaged", "joined", "repeat", "unmatched", "resolved"):
        assert value(before, "triage_alerts_received_total", outcome=outcome) == 0
    assert value(samples, "triage_alerts_received_total", outcome="triaged") == 1
    assert value(samples, "triage_alerts_received_total", outcome="joined") == 1
    assert value(samples, "triage_incidents_opened_total", how="alert") == 1
    checks = sum(v for (name, _), v in samples.items() if name == "triage_checks_total")
    assert checks > 0  # the auto-triage ran every read-only check
    # The stand-in never saw the alert message, so the "fired again" note's
    # permalink lookup fails: a Slack error that is counted, not retried.
    permalink = {"method": "chat.getPermalink", "error": "message_not_found"}
    assert value(samples, "triage_slack_api_errors_total", **permalink) == 1


async def test_a_429_is_counted_as_an_error_and_a_retry(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    slack_api.fail_next("chat.postMessage", status=429, retry_after=1)
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("ntfy", channel=CHANNEL)
            await slack_api.wait_for_async(lambda: len(slack_api.messages(CHANNEL)) >= 2)
            samples = await scrape(bot.base)
    post = {"method": "chat.postMessage"}
    assert value(samples, "triage_slack_api_retries_total", reason="ratelimited", **post) == 1
    assert value(samples, "triage_slack_api_errors_total", error="ratelimited", **post) == 1
    assert value(samples, "triage_incidents_opened_total", how="command") == 1


async def test_socket_mode_server_without_slack_routes_still_serves_metrics() -> None:
    metrics = Metrics()
    runner, port = await start_http(None, host="127.0.0.1", port=0, metrics=metrics)
    try:
        samples = await scrape(f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()
    assert value(samples, "triage_incidents_opened_total", how="mention") == 0
    assert value(samples, "triage_alert_storms_total") == 0


def test_each_bot_counts_on_its_own() -> None:
    one, other = Metrics(), Metrics()
    one.incident_opened("mention")
    assert value(parse(one.exposition().decode()), "triage_incidents_opened_total", how="mention")
    assert not value(
        parse(other.exposition().decode()), "triage_incidents_opened_total", how="mention"
    )


@pytest.mark.parametrize(
    ("url", "method"),
    [
        ("https://slack.com/api/chat.postMessage", "chat.postMessage"),
        ("http://127.0.0.1:5000/api/files.getUploadURLExternal", "files.getUploadURLExternal"),
        ("https://files.slack.com/upload/v1/CwABAAAAXAoAAZl", "upload"),
    ],
)
def test_slack_methods_are_labelled_by_name_and_uploads_by_one_label(url: str, method: str) -> None:
    assert method_of(url) == method
