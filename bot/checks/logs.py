"""`logs`: a CloudWatch Logs Insights query over a window back from now.

`start_query`, then `get_query_results` until the query is complete, within
the check's deadline; a query still running at the deadline is stopped
(`stop_query`) so that it does not keep scanning, and paid for, unseen. The
rows (one mapping of field -> value each; `@ptr` dropped) are what `expect`
reads and what the result carries; the first ones go into the details, so a
responder sees the matching lines.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import Field

from bot.checks import params as base
from bot.checks.aws_described import endpoint_of, region_of
from bot.checks.awsapi import Budget, Failed
from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain
from bot.checks.params import Duration, JMESPath, duration_text, truthy
from bot.checks.result import CheckResult, CheckStatus, ErrorKind, one_line
from bot.checks.spec import CheckType

SHOWN_ROWS = 20
_DONE = {"Complete"}
_BROKEN = {"Failed", "Cancelled", "Timeout", "Unknown"}


class Params(base.Params):
    log_groups: list[str] = Field(min_length=1, max_length=50)
    """Log group names (up to 50), as Logs Insights takes them."""
    query: str = Field(min_length=1, max_length=10000)
    """A Logs Insights query: `fields @timestamp, @message | filter @message like /ERROR/`."""
    since: Duration = Field(900, description="the window back from now: 15m, 1h, 1d")
    limit: int = Field(100, ge=1, le=10000)
    """At most this many rows come back."""
    expect: JMESPath | None = None
    """Must be true of the rows (a list of {field: value}); unset: any answer passes."""
    region: str | None = None


# Every AWS call this type makes (CheckType.aws_operations).
OPERATIONS = frozenset({"logs.start_query", "logs.get_query_results", "logs.stop_query"})


async def run(params: Params, ctx: RunContext) -> CheckResult:
    budget = Budget(ctx, params.region or ctx.aws.region, OPERATIONS)
    now = int(time.time())
    try:
        started = await budget.call(
            "logs", "start_query",
            logGroupNames=params.log_groups, startTime=now - params.since, endTime=now,
            queryString=params.query, limit=params.limit,
        )  # fmt: skip
        query_id = str(started["queryId"])
        answer = await _wait(budget, query_id)
    except Failed as exc:
        return _failed(params, exc)
    rows = [{k: v for k, v in row.items() if k != "@ptr"} for row in _rows(answer)]
    return _judge(params, rows, answer.get("statistics") or {})


async def _wait(budget: Budget, query_id: str) -> dict[str, Any]:
    while True:
        answer = await budget.call("logs", "get_query_results", queryId=query_id)
        status = str(answer.get("status"))
        if status in _DONE:
            return answer
        if status in _BROKEN:
            raise Failed(ErrorKind.PROTOCOL, f"the query ended {status} (query id {query_id})")
        if not await budget.pause():
            stopped = await budget.cleanup("logs", "stop_query", queryId=query_id)
            note = "stopped it" if stopped is None else f"could not stop it: {stopped}"
            message = (
                f"the query was still {status.lower()} at the {budget.timeout:g} s deadline"
                f" ({note}); narrow `since` or the query, or raise the check's timeout"
            )
            raise Failed(ErrorKind.TIMEOUT, message)


def _rows(answer: dict[str, Any]) -> list[dict[str, str]]:
    return [{f["field"]: f.get("value", "") for f in row} for row in answer.get("results", [])]


def _failed(params: Params, exc: Failed) -> CheckResult:
    groups = ", ".join(params.log_groups)
    hint = ""
    if exc.code == "ResourceNotFoundException":
        hint = f" (is every log group right: {groups}?)"
    elif exc.code == "MalformedQueryException":
        hint = " (the query does not parse: try it in the Logs Insights console)"
    return Failed(exc.kind, f"logs {groups}: {exc.message}{hint}").result()


def _judge(params: Params, rows: list[dict[str, str]], stats: dict[str, Any]) -> CheckResult:
    window = duration_text(params.since)
    head = f"{len(rows)} row{'s' if len(rows) != 1 else ''} in the last {window}"
    first = _line(rows[0]) if rows else ""
    details = {
        "log_groups": params.log_groups,
        "query": params.query,
        "since": window,
        "rows": rows[:SHOWN_ROWS],
        "statistics": stats,
    }
    summary = head + (f"; newest: {first}" if first else "")
    if params.expect is None or truthy(params.expect.search(rows)):
        return CheckResult.passed(one_line(summary), details=details, result=rows)
    summary = f"{head}; expected {params.expect.expression}" + (
        f"; first: {first}" if first else ""
    )
    return CheckResult.failed(one_line(summary), details=details, result=rows)


def _line(row: dict[str, str]) -> str:
    if "@message" in row:
        return row["@message"]
    return json.dumps(row, separators=(",", ":"))


def _words(params: Words) -> str:
    groups = code(plain(params.get("log_groups")))
    since = params.get("since", "15m")
    window = duration_text(since) if isinstance(since, int) else plain(since)
    return f"Logs Insights query {code(plain(params.get('query')))} over {groups}, last {window}"


def _dry_call(p: Params, ctx: RunContext) -> tuple[str, Call]:
    region = region_of(p.region, ctx)
    endpoint = endpoint_of("logs", "logs", region, ctx)
    window = duration_text(p.since)
    call = {
        "type": "logs",
        "calls": ["logs.start_query", "logs.get_query_results", "logs.stop_query on timeout"],
        "log_groups": p.log_groups,
        "query": p.query,
        "window": f"the last {window}",
        "limit": p.limit,
        "region": region or "boto3 default",
        "endpoint": endpoint,
    }
    groups = ", ".join(p.log_groups)
    return f"Logs Insights over {groups}, last {window}: {p.query} at {endpoint}", call


CHECK = CheckType(
    name="logs",
    params=Params,
    run=run,
    description="Search CloudWatch Logs with a Logs Insights query over a window back "
    "from now (since: 15m); judge the rows with a JMESPath expect.",
    on_deadline=CheckStatus.ERROR,
    describe=_words,
    dry_call=_dry_call,
    aws_operations=OPERATIONS,
    from_runbook_only=frozenset({"log_groups", "query"}),
)
