"""`prometheus`: an instant query on a Prometheus vantage point, judged by JMESPath.

The answer is reported as a list of series, `{metric: {labels}, value: "1",
timestamp: 1700000000.0}` (Prometheus gives values as strings), which is
what `expect` reads: `[0].value == '1'`. When a `probe_success` series is 0,
a second query asks when it was last 1, so that the summary says how long
the probe has been failing; when it never was within the window, a third
asks how much data Prometheus holds (a young Prometheus has seconds, not
the window). An empty answer says which label value was asked for and
which values Prometheus has (bot.checks.promselector).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from pydantic import Field

from bot.checks import params as base
from bot.checks import promselector
from bot.checks.context import RunContext, VantagePoint
from bot.checks.describing import Call, Words, code, plain, vantage_get
from bot.checks.params import JMESPath, truthy
from bot.checks.result import CheckResult, ErrorKind, one_line
from bot.checks.spec import CheckType
from bot.checks.vantage import Unanswered, budget, client_for, get, lookup

# How far back the second query looks for the last success.
DOWN_WINDOW = "1h"
_WINDOW_S = 3600
_SHOWN = 3


class Params(base.Params):
    vantage: str = Field(min_length=1)
    """A vantage point of kind prometheus in the site config."""
    query: str = Field(min_length=1)
    """PromQL, evaluated now."""
    expect: JMESPath | None = None
    """Must be true of the series for the check to pass; unset: any series."""


async def run(params: Params, ctx: RunContext) -> CheckResult:
    point = lookup(ctx, params.vantage, "prometheus")
    if isinstance(point, CheckResult):
        return point
    deadline = time.monotonic() + budget(point, ctx)
    try:
        client = client_for(point)
        series = await _query(client, point, params.query, deadline)
        if _failing_probes(series):
            since = f"time() - max_over_time(timestamp(({params.query}) == 1)[{DOWN_WINDOW}:])"
            _note_down_for(series, await _query(client, point, since, deadline))
        if _never_up(series):
            held = f"time() - min_over_time(timestamp({params.query})[{DOWN_WINDOW}:])"
            _note(series, "data_for_s", await _query(client, point, held, deadline))
        empty = None
        if not series:

            async def ask(query: str) -> list[dict[str, Any]]:
                return await _query(client, point, query, deadline)

            empty = await promselector.why_empty(params.query, ask)
    except Unanswered as exc:
        return exc.result()
    return _judge(point, params, series, empty)


async def _query(
    client: httpx.AsyncClient, point: VantagePoint, query: str, deadline: float
) -> list[dict[str, Any]]:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Unanswered(ErrorKind.TIMEOUT, f"{point.url}: no time left for {query!r}")
    url = f"{point.url.rstrip('/')}/api/v1/query"
    response = await get(client, url, {"query": query}, seconds=left)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "status" not in body:
        said = one_line(response.text, 120)
        message = f"{point.name}: not a Prometheus API answer (HTTP {response.status_code}): {said}"
        raise Unanswered(ErrorKind.PROTOCOL, message)
    if body["status"] != "success":
        message = f"{point.name}: {body.get('errorType', 'error')}: {body.get('error', '')}"
        raise Unanswered(ErrorKind.PROTOCOL, f"{message} (query {query!r})")
    return _series(body.get("data") or {})


def _series(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every result type as a list of series; a scalar is one series without labels."""
    kind, result = data.get("resultType"), data.get("result")
    if kind in ("scalar", "string") and isinstance(result, list):
        return [{"metric": {}, "value": result[1], "timestamp": result[0]}]
    series = []
    for item in result or []:
        entry: dict[str, Any] = {"metric": item.get("metric", {})}
        if "value" in item:
            entry |= {"value": item["value"][1], "timestamp": item["value"][0]}
        else:
            entry["values"] = item.get("values", [])
        series.append(entry)
    return series


def _failing_probes(series: list[dict[str, Any]]) -> bool:
    return any(
        s["metric"].get("__name__") == "probe_success" and s.get("value") == "0" for s in series
    )


def _note_down_for(series: list[dict[str, Any]], since: list[dict[str, Any]]) -> None:
    """Match each failing series with its age (same labels, less the name)."""
    _note(series, "down_for_s", since)


def _never_up(series: list[dict[str, Any]]) -> bool:
    return any("down_for_s" in s and s["down_for_s"] is None for s in series)


def _note(series: list[dict[str, Any]], key: str, answers: list[dict[str, Any]]) -> None:
    ages = {_key(s["metric"]): float(s["value"]) for s in answers if "value" in s}
    for s in series:
        if s.get("value") == "0":
            s[key] = ages.get(_key(s["metric"]))


def _key(metric: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in metric.items() if k != "__name__"))


def _judge(
    point: VantagePoint, params: Params, series: list[dict[str, Any]], empty: str | None = None
) -> CheckResult:
    shown = "; ".join(_describe(s) for s in series[:_SHOWN]) or empty or "no series"
    if len(series) > _SHOWN:
        shown += f"; and {len(series) - _SHOWN} more"
    details = {"vantage": point.name, "query": params.query, "series": series}
    head = f"{point.name}: {shown}"
    if params.expect is None:
        holds, wanted = bool(series), "at least one series"
    else:
        holds, wanted = truthy(params.expect.search(series)), params.expect.expression
    if holds:
        return CheckResult.passed(one_line(head), details=details, result=series)
    summary = f"{head}; expected {wanted}"
    return CheckResult.failed(one_line(summary), details=details, result=series)


def _describe(series: dict[str, Any]) -> str:
    metric = dict(series["metric"])
    name = metric.pop("__name__", "")
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()))
    text = f"{name}{{{labels}}}" if labels or not name else name
    value = series.get("value", f"{len(series.get('values', []))} samples")
    text = f"{text} = {value}"
    if "down_for_s" in series:
        text += _how_long(series["down_for_s"], series.get("data_for_s", _WINDOW_S))
    return text


def _how_long(down_for: float | None, data_for: float | None) -> str:
    if down_for is not None:
        return f" for {_age(down_for)}"
    # Less data than the window (minus a scrape's slack): it never was 1 in
    # what Prometheus has, which is not the same as "for over 1h".
    if data_for is None:
        # No step of the subquery had a sample yet.
        return " in all the data Prometheus holds (under one evaluation interval)"
    if data_for < _WINDOW_S - 60:
        return f" in all {_age(data_for)} of data Prometheus holds"
    return f" for over {DOWN_WINDOW}"


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _words(params: Words) -> str:
    via = f"Prometheus vantage point {code(plain(params.get('vantage')))}"
    return f"asks the {via} for {code(plain(params.get('query')))}"


def _dry_call(p: Params, ctx: RunContext) -> tuple[str, Call]:
    call = vantage_get("prometheus", p.vantage, ctx, "/api/v1/query", {"query": p.query})
    if call["url"] is None:
        return f"nothing: {call['note']}", call
    return f"GET {call['url']}", call


CHECK = CheckType(
    name="prometheus",
    params=Params,
    run=run,
    description="Run an instant PromQL query on a Prometheus vantage point; judge the "
    "series with a JMESPath expect.",
    describe=_words,
    dry_call=_dry_call,
    charted=True,
)
