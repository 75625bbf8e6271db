"""`triage run`: its output is redacted, `--dry-run` contacts nothing, and a
metadata address is refused before anything is dialled."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest

from tests.cli.test_run import triage
from tests.peers.aws import REGION, ErrorPeer
from tests.peers.sentinel import accepted
from tests.peers.web import WebPeer

SLACK_TOKEN = "xoxb-1111111111-2222222222-PLANTEDtoken"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDKEY"
DB_PASSWORD = "site-config-marked-secret"


@pytest.fixture
def planted_aws(
    aws_fake_credentials: None,
    aws_error_peer: Callable[[str, str, int], ErrorPeer],
    monkeypatch: pytest.MonkeyPatch,
) -> ErrorPeer:
    """AWS answers every call with an error message full of secrets."""
    message = f"denied for {SLACK_TOKEN}, secret {AWS_SECRET}, db {DB_PASSWORD}"
    peer = aws_error_peer("AccessDeniedException", message, 400)
    monkeypatch.setenv("AWS_ENDPOINT_URL", peer.url)
    monkeypatch.setenv("DB_PASSWORD", DB_PASSWORD)
    return peer


ECS_STEP = (
    "run", "probe-failure", "-t", "smtp-relay", "--step", "ecs-health",
    "--set", f"vars.region={REGION}", "--set", "secrets=[DB_PASSWORD]",
)  # fmt: skip


@pytest.mark.parametrize("output", ["--json", "terminal"])
def test_secrets_in_an_aws_error_never_reach_the_output(
    planted_aws: ErrorPeer, output: str
) -> None:
    done = triage(*ECS_STEP, *(["--json"] if output == "--json" else []))
    assert done.returncode == 1, done.stderr
    assert planted_aws.requests
    for secret in (SLACK_TOKEN, AWS_SECRET, DB_PASSWORD):
        assert secret not in done.stdout + done.stderr
    assert "denied for xoxb-***, secret ***, db ***" in done.stdout


def test_a_password_in_a_target_url_never_reaches_the_json(web_server: WebPeer) -> None:
    url = web_server.url("/ok").replace("http://", "http://admin:hunter2planted@")
    done = triage(
        "run", "probe-failure", "-t", "api-list", "--step", "outside-in", "--json",
        "--set", f"targets.api-list.url={url}",
    )  # fmt: skip
    assert "hunter2planted" not in done.stdout + done.stderr
    assert "admin:***@127.0.0.1" in done.stdout


def test_dry_run_shows_every_call_and_makes_none(
    planted_aws: ErrorPeer, sentinel: socket.socket
) -> None:
    port = sentinel.getsockname()[1]
    done = triage(
        "run", "probe-failure", "-t", "smtp-relay", "--dry-run", "--json",
        "--set", "targets.smtp-relay.host=127.0.0.1", "--set", f"targets.smtp-relay.port={port}",
        "--set", f"vars.region={REGION}", "--set", "vars.cluster=mail",
        "--set", "vantage_points.prometheus.kind=prometheus",
        "--set", f"vantage_points.prometheus.url=http://127.0.0.1:{port}",
        "--set", "vantage_points.vpc.kind=blackbox",
        "--set", f"vantage_points.vpc.url=http://127.0.0.1:{port}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert planted_aws.requests == []
    assert accepted(sentinel) == 0
    report = json.loads(done.stdout)
    calls = {c["id"]: c for s in report["steps"] for c in s["checks"]}
    assert report["dry_run"] is True
    assert calls["public-starttls"]["call"] == {
        "type": "starttls",
        "connect": f"127.0.0.1:{port}",
        "sni": "127.0.0.1",
        "verify": True,
        "ca_file": "system trust store",
        "protocol": "smtp",
    }
    assert calls["inside-tcp"]["call"]["url"] == (
        f"http://127.0.0.1:{port}/probe?module=tcp_connect&target=127.0.0.1%3A{port}&debug=true"
    )
    assert calls["history"]["call"]["url"].startswith(
        f"http://127.0.0.1:{port}/api/v1/query?query=probe_success"
    )
    assert calls["service"]["call"] == {
        "type": "aws",
        "call": "ecs.describe_services",
        "operation": "ECS.DescribeServices",
        "params": {"cluster": "mail", "services": ["cabal-smtp-in"]},
        "region": REGION,
        "endpoint": planted_aws.url,
    }
    assert calls["group"]["call"]["params"] == {"Names": ["cabal-smtp-in-25"]}
    assert "checks.group.result.arn" in json.dumps(calls["health"]["as_written"])


def test_dry_run_terminal_report_says_nothing_was_contacted(planted_aws: ErrorPeer) -> None:
    done = triage("run", "probe-failure", "-t", "api-list", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "DRY RUN: no check was run, nothing was contacted" in done.stdout
    assert "GET https://admin.example.com/prod/list" in done.stdout
    assert planted_aws.requests == []


@pytest.mark.parametrize("extra", [[], ["--dry-run"]])
def test_a_metadata_host_in_the_site_config_is_refused_before_any_dial(
    planted_aws: ErrorPeer, extra: list[str]
) -> None:
    done = triage(
        "run", "probe-failure", "-t", "smtp-relay", "--step", "outside-in", "--json",
        "--set", "targets.smtp-relay.host=0xA9FEA9FE", *extra,
    )  # fmt: skip
    assert done.returncode == 1
    report = json.loads(done.stdout)
    (starttls,) = [c for s in report["steps"] for c in s["checks"] if c["id"] == "public-starttls"]
    assert "checks never contact it" in starttls["summary"]
    assert starttls.get("call") is None
