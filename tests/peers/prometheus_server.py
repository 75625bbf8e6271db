"""Debian's real Prometheus (2.42) on loopback, for tests that need what
the stand-in in tests/peers/prometheus.py cannot give: real scrapes, real
rule evaluation, real history lengths and real `instance` labels.

Scrape and evaluation every second, the TSDB in the test's tmp dir, ready
when `/-/ready` says so; killed when the test ends.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.peers import godaemon

BINARY, PACKAGE = "prometheus", "prometheus"
INTERVALS = {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"}


@dataclass(frozen=True)
class Prometheus:
    url: str

    def query(self, promql: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result

    def wait_for(self, promql: str, *, within: float = 20.0) -> list[dict[str, Any]]:
        """The query's first non-empty answer, polled until `within` passes."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if found := self.query(promql):
                return found
            # The pause between polls: an answer changes at most once per
            # evaluation interval (1 s).
            time.sleep(0.2)
        raise AssertionError(f"{promql!r} still empty after {within} s")


def config(
    scrape_configs: list[dict[str, Any]],
    *,
    rule_files: list[str] | None = None,
    alertmanager: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"global": dict(INTERVALS), "scrape_configs": scrape_configs}
    if rule_files:
        data["rule_files"] = rule_files
    if alertmanager is not None:
        target = alertmanager.removeprefix("http://")
        data["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}
    return data


@contextlib.contextmanager
def running(
    folder: Path, config_data: Mapping[str, Any], rules: Mapping[str, Any] | None = None
) -> Iterator[Prometheus]:
    folder.mkdir(parents=True, exist_ok=True)
    data = dict(config_data)
    if rules is not None:
        (folder / "rules.yml").write_text(yaml.safe_dump(dict(rules), sort_keys=False))
        data["rule_files"] = [str(folder / "rules.yml")]
    (folder / "prometheus.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    args = [
        godaemon.binary(BINARY, PACKAGE),
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'data'}",
        "--web.listen-address=127.0.0.1:0",
    ]
    with godaemon.running(args, folder / "prometheus.log") as url:
        yield Prometheus(url)
