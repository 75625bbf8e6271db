"""Debian's real Alertmanager (0.25) on loopback, clustering off, its
storage in the test's tmp dir; `receiver_url` is where it posts webhook
notifications (none: it holds alerts without notifying)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.peers import godaemon

BINARY, PACKAGE = "prometheus-alertmanager", "prometheus-alertmanager"
# Short timings: a test waits on the first notification for group_wait.
ROUTE = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "4h"}


@dataclass(frozen=True)
class Alertmanager:
    url: str

    def post(self, labels: Mapping[str, str], *, ends_in: float | None = None) -> None:
        """Fire an alert as Prometheus would (ends_in < 0: resolve it)."""
        alert: dict[str, Any] = {"labels": dict(labels), "annotations": {"summary": "test"}}
        if ends_in is not None:
            alert["endsAt"] = _iso(datetime.now(UTC) + timedelta(seconds=ends_in))
        httpx.post(f"{self.url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()

    def silence(self, matchers: Mapping[str, str]) -> str:
        now = datetime.now(UTC)
        body = {
            "matchers": [{"name": k, "value": v, "isRegex": False} for k, v in matchers.items()],
            "startsAt": _iso(now - timedelta(seconds=1)),
            "endsAt": _iso(now + timedelta(hours=1)),
            "createdBy": "tests",
            "comment": "test silence",
        }
        answer = httpx.post(f"{self.url}/api/v2/silences", json=body, timeout=5)
        answer.raise_for_status()
        return str(answer.json()["silenceID"])


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def config(
    receiver_url: str | None,
    *,
    inhibit: list[dict[str, Any]] | None = None,
    group_by: list[str] | None = None,
) -> str:
    receiver: dict[str, Any] = {"name": "hook"}
    if receiver_url is not None:
        receiver["webhook_configs"] = [{"url": receiver_url, "send_resolved": True}]
    route = {"receiver": "hook", "group_by": group_by or ["alertname", "instance"], **ROUTE}
    data = {"route": route, "receivers": [receiver], "inhibit_rules": inhibit or []}
    return yaml.safe_dump(data, sort_keys=False)


@contextlib.contextmanager
def running(folder: Path, config_text: str) -> Iterator[Alertmanager]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alertmanager.yml").write_text(config_text)
    args = [
        godaemon.binary(BINARY, PACKAGE),
        f"--config.file={folder / 'alertmanager.yml'}",
        f"--storage.path={folder / 'data'}",
        "--web.listen-address=127.0.0.1:0",
        "--cluster.listen-address=",  # empty: no gossip port, no peers
    ]
    with godaemon.running(args, folder / "alertmanager.log") as url:
        yield Alertmanager(url)


# Inhibition the amapi tests use: an `Outage` mutes `Probe` on the same instance.
INHIBIT = [
    {
        "source_matchers": ['alertname="Outage"'],
        "target_matchers": ['alertname="Probe"'],
        "equal": ["instance"],
    }
]


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    with running(tmp_path / "alertmanager", config(None, inhibit=INHIBIT)) as peer:
        yield peer
