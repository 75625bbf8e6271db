"""What the bot did, in Prometheus' text format, for `/metrics`.

Each Bot gets its own registry (not prometheus_client's global one), so two
bots in one process (tests, the demo) never share counters. Alert outcomes
are not counted twice: AutoTriage already tallies them, and a collector
reads that tally at scrape time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import Counter as PromCounter
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.checks.result import CheckStatus
from bot.engine.results import CheckRun

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Checks answer in milliseconds (a refused port) up to their deadline (an
# AWS call retried, a vantage point that times out).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# From a minute to a day: how long incidents stay open, opening to resolve.
RESOLVE_BUCKETS = (60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)
OPENED_BY = ("command", "mention", "alert")
ALERT_OUTCOMES = ("triaged", "joined", "repeat", "unmatched", "resolved")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._opened: Counter[str] = Counter()
        self._alerts: Mapping[str, int] = Counter()
        self.checks = PromCounter(
            "triage_checks", "Checks run, by check type and status.",
            ["type", "status"], registry=self.registry,
        )  # fmt: skip
        self.check_seconds = Histogram(
            "triage_check_duration_seconds", "How long checks took (skipped checks excluded).",
            ["type", "status"], buckets=DURATION_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.slack_errors = PromCounter(
            "triage_slack_api_errors", "Slack Web API attempts that failed, retried or not.",
            ["method", "error"], registry=self.registry,
        )  # fmt: skip
        self.slack_retries = PromCounter(
            "triage_slack_api_retries", "Slack Web API calls retried, by what was retried.",
            ["method", "reason"], registry=self.registry,
        )  # fmt: skip
        # Labelled by runbook and target: both come from the catalogue (never
        # from an alert or a user), so the series are as many as its targets.
        self.target_checks = PromCounter(
            "triage_target_checks", "Checks run, by runbook, target and status.",
            ["runbook", "target", "status"], registry=self.registry,
        )  # fmt: skip
        self.time_to_resolve = Histogram(
            "triage_time_to_resolve_seconds",
            "Incidents resolved: seconds from opening to resolve, by runbook and target.",
            ["runbook", "target"], buckets=RESOLVE_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.registry.register(
            _Tally(
                "triage_incidents_opened", "Incidents opened, by how: command, mention or alert.",
                "how", self._opened_counts, OPENED_BY,
            )
        )  # fmt: skip
        self.registry.register(
            _Tally(
                "triage_alerts_received", "Alerts received, by what became of them.",
                "outcome", lambda: self._alerts, ALERT_OUTCOMES,
            )
        )  # fmt: skip
        self.registry.register(
            _Tally(
                "triage_alert_storms", "Alert storm notes posted (many targets firing at once).",
                None, lambda: self._alerts, ("storms",),
            )
        )  # fmt: skip

    def check_finished(self, step_id: str, run: CheckRun) -> None:
        """The Engine's `on_check` hook."""
        status = run.status.value
        self.checks.labels(run.type, status).inc()
        if run.status is not CheckStatus.SKIPPED:
            self.check_seconds.labels(run.type, status).observe(run.result.duration_ms / 1000)

    def check_of(self, runbook: str, target: str, run: CheckRun) -> None:
        """Told with the incident's runbook and target (IncidentService.engine_for)."""
        self.target_checks.labels(runbook, target, run.status.value).inc()

    def incident_resolved(self, runbook: str, target: str, seconds: float) -> None:
        """The incident service's `on_resolved` hook."""
        self.time_to_resolve.labels(runbook, target).observe(max(0.0, seconds))

    def incident_opened(self, how: str) -> None:
        self._opened[how] += 1

    def watch_alerts(self, counts: Mapping[str, int]) -> None:
        """Expose AutoTriage's tally; its `triaged` alerts are incidents opened by alert."""
        self._alerts = counts

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def _opened_counts(self) -> Mapping[str, int]:
        return {**self._opened, "alert": self._alerts.get("triaged", 0)}


class _Tally(Collector):
    """A counter whose values live elsewhere, read when scraped. Every key is
    always present (at 0), so rate() works from the first scrape; keys not
    listed are not exposed. Without a label, the one key is the value."""

    def __init__(
        self,
        name: str,
        documentation: str,
        label: str | None,
        read: Callable[[], Mapping[str, int]],
        known: Iterable[str],
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._label = label
        self._read = read
        self._known = tuple(known)

    def collect(self) -> Iterator[Metric]:
        values = self._read()
        if self._label is None:
            (key,) = self._known
            yield CounterMetricFamily(self._name, self._documentation, value=values.get(key, 0))
            return
        family = CounterMetricFamily(self._name, self._documentation, labels=[self._label])
        for key in self._known:
            family.add_metric([key], values.get(key, 0))
        yield family
