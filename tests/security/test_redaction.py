"""Credentials in the spellings that used to pass (JSON-quoted
Authorization, `token=`, `secret=`, `X-Api-Key:`, well-known token formats)
are masked in Slack posts, uploads, `--json` and the store, while the URLs
the bot builds itself (Slack permalinks) stay whole.

detect-secrets' own token-format plugins are run over the output as an
independent check of what the bot's shapes missed."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

from bot import redact
from bot.redact import Redactor
from bot.slack.payloads import Act
from tests.peers.aws import ecs_service
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import CHANNEL, click, edited_to, posted, relay_sets, step_after

BASIC = "dXNlcjpwbGFudGVkLXBhc3N3b3Jk"  # user:planted-password
# (text with a planted value, the planted value)
ATTACKS = [
    (f'{{"Authorization": "Basic {BASIC}"}}', BASIC),
    ("{'authorization': 'Bearer plantedBearer123'}", "plantedBearer123"),
    ("Authorization: Digest planted-digest-77", "planted-digest-77"),
    ("GET /x?token=plantedQueryToken1 HTTP/1.1", "plantedQueryToken1"),
    ("config secret=plantedSecretValue2 loaded", "plantedSecretValue2"),
    ('{"secret": "plantedJsonSecret3"}', "plantedJsonSecret3"),
    ('{"token": "plantedJsonToken4"}', "plantedJsonToken4"),
    ("X-Api-Key: plantedApiKey5", "plantedApiKey5"),
    ("x-api-key=plantedApiKey6", "plantedApiKey6"),
    ('"api-key": "plantedApiKey7"', "plantedApiKey7"),
    ("auth_token: plantedAuthToken8", "plantedAuthToken8"),
    # JSON inside a string, quotes escaped, as botocore logs a response body.
    (r'"{\"token\": \"plantedEscaped9\", \"x\": 1}"', "plantedEscaped9"),
    ("ghp_" + "P1anted" * 5 + "x", "ghp_" + "P1anted" * 5 + "x"),
    ("glpat-Planted1Planted2Planted3", "glpat-Planted1Planted2Planted3"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlUGxhbnRlZA",
        "eyJzdWIiOiJwbGFudGVkIn0",
    ),
    ("hook https://hooks.slack.com/services/T000/B000/PlantedHookSecret", "PlantedHookSecret"),
    ("sk_live_" + "Planted0" * 3, "sk_live_" + "Planted0" * 3),
    ("key AIza" + "PlantedGoogleKey0123456789abcdefghi", "PlantedGoogleKey0123456789"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIplantedKeyBody\n-----END RSA PRIVATE KEY-----",
        "MIIplantedKeyBody",
    ),
]
# URLs the bot builds: Slack permalinks (channel ids of 9 to 11 characters) and others.
OWN_URLS = [
    "https://acme.slack.com/archives/C0123ABCD/p1700000000123456",
    "https://acme.slack.com/archives/C0123ABCDE/p1700000000123456",
    "https://acme.slack.com/archives/C0123ABCDEF/p1700000000123456?thread_ts=1700000000.123456",
    "https://example.slack.com/archives/G01ABCDEFGH/p1732950000000100",
    "https://console.aws.amazon.com/ecs/v2/clusters/mail/services/cabal-smtp-in/health",
]
# detect-secrets' plugins that know a credential by its shape (not the
# entropy or keyword ones, which flag ordinary words).
ORACLE = [
    "AWS Access Key", "Basic Auth Credentials", "GitHub Token", "GitLab Token",
    "JSON Web Token", "Private Key", "Slack Token", "Stripe Access Key",
]  # fmt: skip


def oracle_findings(text: str) -> list[str]:
    plugins = get_mapping_from_secret_type_to_class()
    found = []
    for name in ORACLE:
        plugin = plugins[name]()
        for line in text.splitlines():
            found += [f"{name}: {v}" for v in plugin.analyze_line(filename="x", line=line)]
    return found


@pytest.mark.parametrize(("text", "planted"), ATTACKS)
def test_each_spelling_is_masked(text: str, planted: str) -> None:
    masked = Redactor().redact(text)
    assert planted not in masked
    assert oracle_findings(masked) == []
    assert "***" in masked


def test_the_oracle_sees_what_the_redactor_masks() -> None:
    """detect-secrets finds something in the unmasked attacks: it is a real check."""
    assert len(oracle_findings("\n".join(text for text, _ in ATTACKS))) >= 6


@pytest.mark.parametrize("url", OWN_URLS)
def test_urls_the_bot_builds_are_left_whole(url: str) -> None:
    assert Redactor().redact(f"see <{url}|the thread>") == f"see <{url}|the thread>"
    assert Redactor().redact(url) == url


def test_a_bare_aws_secret_is_still_masked() -> None:
    key = "Zx9PlantedAwsSecretKey/abcdEFGH1234567ij"  # 40, as real ones
    assert key not in Redactor().redact(f"key {key} leaked")
    assert key not in Redactor().redact(f'{{"k": "{key}"}}')


@pytest.fixture
def fresh_redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(redact, "_active", [])
    redact.install(Redactor.from_env())
    yield
    logging.setLogRecordFactory(factory)


@pytest.mark.usefixtures("aws_env", "fresh_redaction")
async def test_planted_spellings_reach_neither_slack_nor_the_store(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, ca_file: str
) -> None:
    event = "task stopped: " + " | ".join(text for text, _ in ATTACKS)
    ecs_service("mail", "cabal-smtp-in", desired=1, running=0, events=[event])
    db = tmp_path / "t.db"
    with running_bot(slack_api.url, db, relay_sets(closed_port, ca_file)) as bot:
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
    sent = json.dumps([c.args for c in slack_api.calls()], ensure_ascii=False)
    sent += (upload.content or b"").decode()
    with sqlite3.connect(db) as store:
        stored = json.dumps([list(r) for r in store.execute("SELECT * FROM step_runs")])
        stored += json.dumps([list(r) for r in store.execute("SELECT * FROM incidents")])
    assert "task stopped" in sent and "task stopped" in stored  # the text was there
    leaked = [p for _, p in ATTACKS if p in sent or p in stored]
    assert leaked == []
    assert oracle_findings(sent + stored) == []


def test_triage_run_json_masks_them_in_an_aws_error(
    aws_fake_credentials: None, aws_error_peer: Any, closed_port: Peer
) -> None:
    message = "denied: " + " | ".join(text for text, _ in ATTACKS[:12])
    peer = aws_error_peer("AccessDeniedException", message, 400)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("TRIAGE_LOG_FORMAT", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "probe-failure", "--target", "ntfy", "--json",
         "--set", f"targets.ntfy.url=http://127.0.0.1:{closed_port.port}/",
         "--set", f"aws.endpoint_url={peer.url}", "--set", "aws.max_attempts=1"],
        cwd=Path(__file__).parents[2], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert peer.requests, done.stderr[-2000:]
    assert "AccessDeniedException" in done.stdout  # the error is shown...
    leaked = [p for _, p in ATTACKS if p in done.stdout + done.stderr]
    assert leaked == []  # ...masked
    assert oracle_findings(done.stdout) == []
