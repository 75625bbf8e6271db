"""`triage run` end to end: the real command in a subprocess, against an SMTP
server with STARTTLS on loopback and a moto server standing in for AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.peers.aws import REGION, MotoPeer, ecs_service, target_group
from tests.peers.mail import Peer

ROOT = Path(__file__).parents[2]


def triage(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_smtp_relay(peer: Peer, ca_file: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return triage(
        "run", "probe-failure", "--target", "smtp-relay", "--json",
        "--set", f"targets.smtp-relay.host={peer.host}",
        "--set", f"targets.smtp-relay.port={peer.port}",
        "--set", f"ca_file={ca_file}",
        "--set", f"vars.region={REGION}",
        "--set", "vars.cluster=mail",
        *extra,
    )  # fmt: skip


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for s in report["steps"] for c in s["checks"]}


def conclusions(report: dict[str, Any]) -> dict[str, str | None]:
    return {s["id"]: s["conclusion"] for s in report["steps"]}


def test_healthy_relay_passes_every_step_and_exits_0(
    aws_env: MotoPeer, smtp_starttls_peer: Peer, ca_file: str
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["steady state"])
    target_group("cabal-smtp-in-25", {"10.0.1.5": "healthy"})

    done = run_smtp_relay(smtp_starttls_peer, ca_file)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    checks = by_id(report)
    assert report["status"] == "pass"
    assert checks["public-starttls"]["status"] == "pass"
    assert checks["public-starttls"]["details"]["days_left"] > 0
    assert checks["service"]["status"] == "pass"
    assert checks["health"]["status"] == "pass"
    assert "every target" in conclusions(report)["lb-health"].lower()


def test_relay_down_with_crash_looping_service_is_found_and_explained(
    aws_env: MotoPeer, closed_port: Peer, ca_file: str
) -> None:
    ecs_service(
        "mail",
        "cabal-smtp-in",
        desired=1,
        running=0,
        events=["(service cabal-smtp-in) failed to launch a task: CannotPullContainerError"],
    )
    target_group("cabal-smtp-in-25", {"10.0.1.5": "unhealthy"})

    done = run_smtp_relay(closed_port, ca_file)

    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    checks = by_id(report)
    assert report["runbook"] == "probe-failure" and report["target"] == "smtp-relay"
    assert (checks["public-starttls"]["status"], checks["public-starttls"]["error_kind"]) == (
        "fail",
        "refused",
    )
    assert checks["public-tls"]["status"] == "skipped"
    assert checks["service"]["status"] == "fail"
    assert checks["health"]["status"] == "fail"
    said = conclusions(report)
    assert "runs 0 of 1 tasks" in said["ecs-health"]
    assert "CannotPullContainerError" in said["ecs-health"]
    assert "unhealthy" in said["lb-health"]
    assert all(isinstance(c["duration_ms"], float | int) for c in checks.values())
    assert report["duration_ms"] > 0


def test_terminal_report_shows_progress_and_conclusions(
    aws_env: MotoPeer, closed_port: Peer, ca_file: str
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=0, events=["task stopped"])
    target_group("cabal-smtp-in-25", {"10.0.1.5": "unhealthy"})
    done = triage(
        "run", "probe-failure", "-t", "smtp-relay", "--step", "ecs-health",
        "--set", f"vars.region={REGION}", "--set", "vars.cluster=mail",
    )  # fmt: skip
    assert done.returncode == 1
    assert "ecs-health/service" in done.stderr  # progress, as checks finish
    assert "❌ service" in done.stdout
    assert "runs 0 of 1 tasks" in done.stdout
    assert "outside-in" not in done.stdout  # --step ran only that step


def test_aws_access_denied_is_an_error_naming_the_call(
    aws_fake_credentials: None, aws_error_peer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = aws_error_peer("AccessDeniedException", "not allowed to ecs:DescribeServices")
    monkeypatch.setenv("AWS_ENDPOINT_URL", peer.url)
    done = triage("run", "probe-failure", "-t", "ntfy", "--step", "ecs-health", "--json")
    assert done.returncode == 1
    service = by_id(json.loads(done.stdout))["service"]
    assert (service["status"], service["error_kind"]) == ("error", "denied")
    assert service["summary"].startswith("ecs.describe_services")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "probe-failure", "-t", "smtp-rely"], "did you mean smtp-relay"),
        (["run", "probe-failure", "-t", "imap", "--step", "nope"], "no step 'nope'"),
        (["run", "no-such-runbook", "-t", "imap"], "no runbook 'no-such-runbook'"),
        (["run", "probe-failure", "-t", "imap", "--set", "vars.clustre=x"], "did you mean cluster"),
        (
            ["run", "probe-failure", "-t", "imap", "--set", "targets.imap.port=x"],
            "--set targets.imap.port=x",
        ),
    ],
)
def test_usage_and_config_errors_exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    done = triage(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""
