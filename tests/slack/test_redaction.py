"""Secrets planted in what checks read (ECS events, a Prometheus answer, an
AWS error message) never reach the Slack stand-in or the logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import redact
from bot.slack.payloads import Act
from tests.peers.aws import ErrorPeer, ecs_service
from tests.peers.mail import Peer
from tests.peers.prometheus import PromPeer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import CHANNEL, click, edited_to, posted, relay_sets, step_after

SLACK_TOKEN = "xoxb-1111111111-2222222222-PLANTEDtoken"
AWS_KEY_ID = "AKIAIOSFODNN7PLANTED"
AWS_SECRET = "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"  # 40, as real ones
URL_PASSWORD = "hunter2planted"
ALERT_SECRET = "configured-alert-secret-planted"
PLANTED = (SLACK_TOKEN, AWS_KEY_ID, AWS_SECRET, URL_PASSWORD, ALERT_SECRET)


@pytest.fixture
def fresh_redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The bot builds its redactor from this test's environment; logs are
    redacted as `triage serve` redacts them; logging is put back after."""
    monkeypatch.setenv("TRIAGE_ALERT_SECRET", ALERT_SECRET)
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(redact, "_active", [])
    redact.install(redact.Redactor.from_env())
    yield
    logging.setLogRecordFactory(factory)


def leaks(slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every planted value found in what Slack got or what was logged."""
    sent = json.dumps([c.args for c in slack_api.calls()], ensure_ascii=False)
    sent += "".join((u.content or b"").decode() + (u.title or "") for u in slack_api.uploads())
    return [s for s in PLANTED if s in sent or s in caplog.text]


@pytest.fixture
def relay_sets_with_history(
    closed_port: Peer, ca_file: str, prometheus_peer: PromPeer
) -> list[str]:
    """The relay on a closed port, and a Prometheus whose answer carries a token."""
    instance = f"{closed_port.host}:{closed_port.port}"
    prometheus_peer.vector(
        f'probe_success{{instance="{instance}"}}',
        ({"__name__": "probe_success", "instance": instance, "note": SLACK_TOKEN}, "1"),
    )
    return [
        *relay_sets(closed_port, ca_file),
        "vantage_points.prometheus.kind=prometheus",
        f"vantage_points.prometheus.url={prometheus_peer.url}",
    ]


@pytest.mark.usefixtures("aws_env", "fresh_redaction")
async def test_planted_secrets_in_check_output_never_reach_slack_or_the_logs(
    slack_api: SlackStandIn,
    tmp_path: Path,
    relay_sets_with_history: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = (
        f"task stopped: {SLACK_TOKEN} {AWS_KEY_ID} aws_secret_access_key={AWS_SECRET} "
        f"db https://app:{URL_PASSWORD}@db.internal/ hook {ALERT_SECRET}"
    )
    ecs_service("mail", "cabal-smtp-in", desired=1, running=0, events=[event])
    sets = relay_sets_with_history
    with caplog.at_level(logging.DEBUG), running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL)
            _, first = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            await click(slack, slack_api, first, Act.RUN_STEP)
            step1 = await slack_api.wait_for_async(lambda: edited_to(slack_api, first, "❌"))
            await click(slack, slack_api, step1, Act.NEXT)
            second = await slack_api.wait_for_async(lambda: step_after(slack_api, first))
            await click(slack, slack_api, second, Act.RUN_STEP)
            step2 = await slack_api.wait_for_async(lambda: edited_to(slack_api, second, "❌"))
            await click(slack, slack_api, step2, Act.DETAILS)
            (upload,) = await slack_api.wait_for_async(
                lambda: [u for u in slack_api.uploads() if u.completed][:1]
            )

    assert leaks(slack_api, caplog) == []
    # The planted values were there to leak, and were masked where they stood.
    assert 'note="xoxb-***"' in str(step1.blocks)
    assert "task stopped: xoxb-***" in str(step2.blocks)
    assert b"aws_secret_access_key=***" in (upload.content or b"")
    assert b"https://app:***@db.internal/" in (upload.content or b"")


@pytest.mark.usefixtures("aws_fake_credentials", "fresh_redaction")
async def test_an_aws_error_holding_credentials_never_reaches_slack_or_the_logs(
    slack_api: SlackStandIn,
    tmp_path: Path,
    aws_error_peer: Callable[[str, str, int], ErrorPeer],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    message = (
        f"User with key {AWS_KEY_ID} (secret {AWS_SECRET}) is not authorized; "
        f"Authorization: Bearer {SLACK_TOKEN}"
    )
    peer = aws_error_peer("AccessDeniedException", message, 400)
    monkeypatch.setenv("AWS_ENDPOINT_URL", peer.url)
    with caplog.at_level(logging.DEBUG), running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("ntfy", channel=CHANNEL)
            _, first = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            await click(slack, slack_api, first, Act.SKIP)
            *_, second = await slack_api.wait_for_async(lambda: posted(slack_api, 3))
            await click(slack, slack_api, second, Act.RUN_STEP)
            step = await slack_api.wait_for_async(lambda: edited_to(slack_api, second, "⚠️"))

    assert peer.requests, "the check must have asked the stand-in"
    assert "(secret ***) is not authorized" in caplog.text  # botocore logged the body, masked
    assert leaks(slack_api, caplog) == []
    assert "AccessDeniedException: User with key ***" in str(step.blocks)
