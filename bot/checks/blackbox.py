"""`blackbox`: ask a blackbox_exporter vantage point to probe a target.

GET `{url}/probe?module=M&target=T&debug=true`, read the metrics the debug
page carries and pass iff `probe_success` is 1. The page also carries the
exporter's log of the probe: on a failure, the reason a bare
`probe_success 0` does not give. It is asked for in the one request, since
a probe that waits out its timeout leaves no time for a second one.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from pydantic import Field

from bot.checks import params as base
from bot.checks import promtext
from bot.checks.context import RunContext, VantagePoint
from bot.checks.describing import Call, Words, code, plain, vantage_get
from bot.checks.result import CheckResult, CheckStatus, ErrorKind, one_line
from bot.checks.spec import CheckType
from bot.checks.vantage import Unanswered, budget, client_for, get, lookup

REPORTED = (
    "probe_success",
    "probe_duration_seconds",
    "probe_ssl_earliest_cert_expiry",
    "probe_http_status_code",
    "probe_failed_due_to_regex",
)
_ERROR_LINE = re.compile(r'level=error msg="((?:[^"\\]|\\.)*)"(?:.*? err="((?:[^"\\]|\\.)*)")?')
_DEBUG_LINES = 40
# Sections of the exporter's debug page (blackbox_exporter's debugOutput).
_METRICS_HEADING = "Metrics that would have been returned:"
_MODULE_HEADING = "Module configuration:"
# Words in blackbox's error log that name the kind of failure.
_KINDS = (
    ("connection refused", ErrorKind.REFUSED),
    ("no such host", ErrorKind.DNS),
    ("x509", ErrorKind.TLS),
    ("tls", ErrorKind.TLS),
    ("certificate", ErrorKind.TLS),
    ("i/o timeout", ErrorKind.TIMEOUT),
    ("deadline exceeded", ErrorKind.TIMEOUT),
    ("status code", ErrorKind.HTTP_STATUS),
    ("regexp", ErrorKind.PROTOCOL),
)


class Params(base.Params):
    vantage: str = Field(min_length=1)
    """A vantage point of kind blackbox in the site config."""
    module: str = Field(min_length=1)
    """A module of that exporter's own blackbox.yml."""
    target: base.Target
    """What the module probes: host:port for tcp, a URL for http."""


async def run(params: Params, ctx: RunContext) -> CheckResult:
    point = lookup(ctx, params.vantage, "blackbox")
    if isinstance(point, CheckResult):
        return point
    deadline = time.monotonic() + budget(point, ctx)
    try:
        page = await _ask(client_for(point), point, params, deadline)
        logs, metrics = _sections(page)
        result = _judge(point, params, _parse(point, metrics))
        if result.status is CheckStatus.FAIL:
            result = _explained(result, dict(result.details), logs)
        return result
    except Unanswered as exc:
        return exc.result()


async def _ask(
    client: httpx.AsyncClient,
    point: VantagePoint,
    params: Params,
    deadline: float,
) -> str:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Unanswered(ErrorKind.TIMEOUT, f"{point.url}: no time left to ask")
    query = {"module": params.module, "target": params.target, "debug": "true"}
    response = await get(client, f"{point.url.rstrip('/')}/probe", query, seconds=left)
    if response.status_code != 200:
        said = one_line(response.text, 200)
        message = f"{point.name}: /probe answered HTTP {response.status_code}: {said}"
        raise Unanswered(ErrorKind.PROTOCOL, message)
    return response.text


def _sections(page: str) -> tuple[str, str]:
    """(the probe's log, its metrics) from the debug page; an exporter that
    ignores `debug` answers bare metrics, with no log."""
    logs, found, rest = page.partition(_METRICS_HEADING)
    if not found:
        return "", page
    return logs, rest.partition(_MODULE_HEADING)[0]


def _parse(point: VantagePoint, text: str) -> list[promtext.Sample]:
    try:
        return promtext.parse(text)
    except promtext.ExpositionError as exc:
        raise Unanswered(ErrorKind.PROTOCOL, f"{point.name}: /probe answer: {exc}") from exc


def _judge(point: VantagePoint, params: Params, samples: list[promtext.Sample]) -> CheckResult:
    metrics = {name: promtext.first(samples, name) for name in REPORTED}
    where = f"{point.name}: {params.module} {params.target}"
    facts = _facts(metrics)
    details: dict[str, Any] = {"vantage": point.name, "url": point.url, "metrics": metrics}
    if metrics["probe_success"] is None:
        summary = f"{where}: the exporter's answer has no probe_success"
        return CheckResult.errored(ErrorKind.PROTOCOL, summary, details=details)
    said = "".join(f", {part}" for part in _said(facts))
    if metrics["probe_success"] == 1:
        summary = one_line(f"{where}: probe succeeded{said}")
        return CheckResult.passed(summary, details=details, result=facts)
    summary = one_line(f"{where}: probe failed{said}")
    return CheckResult.failed(summary, details=details, result=facts)


def _facts(metrics: dict[str, float | None]) -> dict[str, Any]:
    expiry = metrics["probe_ssl_earliest_cert_expiry"]
    status = metrics["probe_http_status_code"]
    return {
        "success": metrics["probe_success"] == 1,
        "duration_ms": _ms(metrics["probe_duration_seconds"]),
        "days_left": int((expiry - time.time()) // 86400) if expiry else None,
        "http_status": int(status) if status else None,
        "failed_due_to_regex": metrics["probe_failed_due_to_regex"] == 1,
    }


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 1) if seconds is not None else None


def _said(facts: dict[str, Any]) -> list[str]:
    parts = []
    if facts["duration_ms"] is not None:
        parts.append(f"in {facts['duration_ms']:g} ms")
    if facts["http_status"] is not None:
        parts.append(f"HTTP {facts['http_status']}")
    days = facts["days_left"]
    if days is not None:
        parts.append(
            f"cert valid {days} more days" if days >= 0 else f"cert expired {-days} days ago"
        )
    if facts["failed_due_to_regex"]:
        parts.append("a regex did not match")
    return parts


def _explained(failed: CheckResult, details: dict[str, Any], logs: str) -> CheckResult:
    lines = [line for line in logs.splitlines() if "level=" in line]
    details["debug"] = lines[-_DEBUG_LINES:]
    errors = [m for line in lines if (m := _ERROR_LINE.search(line)) and m[1] != "Probe failed"]
    if not errors:
        return CheckResult.failed(failed.summary, details=details, result=failed.result)
    message, err = errors[-1][1], errors[-1][2]
    reason = f"{message}: {err}" if err else message
    kind = next((k for word, k in _KINDS if word in reason.lower()), None)
    summary = one_line(f"{failed.summary}: {reason}")
    return CheckResult.failed(summary, kind=kind, details=details, result=failed.result)


def _words(params: Words) -> str:
    via = f"blackbox_exporter vantage point {code(plain(params.get('vantage')))}"
    module = code(plain(params.get("module")))
    return f"asks the {via} to probe {code(plain(params.get('target')))} with module {module}"


def _dry_call(p: Params, ctx: RunContext) -> tuple[str, Call]:
    query = {"module": p.module, "target": p.target, "debug": "true"}
    call = vantage_get("blackbox", p.vantage, ctx, "/probe", query)
    if call["url"] is None:
        return f"nothing: {call['note']}", call
    return f"GET {call['url']}", call


CHECK = CheckType(
    name="blackbox",
    params=Params,
    run=run,
    description="Ask a blackbox_exporter vantage point to probe a target with one of its "
    "modules; pass iff probe_success is 1.",
    describe=_words,
    dry_call=_dry_call,
    names_module="module",
)
