"""`cloudwatch`: one CloudWatch metric over a window back from now.

`get_metric_data` with one metric, statistic and period, newest point first.
The result (`latest`, `values` newest first, `max`, `min`, `points`) is what
`expect` reads: `latest < \\`90\\``, `max(values) < \\`5\\``. Without an
`expect`, the check passes when the window holds any datapoint: a metric
that is silent is usually a wrong name or dimension, or a stopped emitter.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, model_validator

from bot.checks import params as base
from bot.checks.aws_described import endpoint_of, region_of
from bot.checks.awsapi import Budget, Failed
from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain
from bot.checks.params import Duration, JMESPath, duration_text, truthy
from bot.checks.result import CheckResult, CheckStatus, one_line
from bot.checks.spec import CheckType

MAX_POINTS = 1440
_STATISTIC = r"^(Average|Sum|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d{1,2})?)$"
_SHOWN = 5


class Params(base.Params):
    namespace: str = Field(min_length=1, max_length=255)
    """e.g. AWS/ApplicationELB, AWS/RDS, AWS/ECS, or your own."""
    metric: str = Field(min_length=1, max_length=255)
    dimensions: dict[str, str] = Field(default_factory=dict, max_length=30)
    """Name -> value, e.g. {DBInstanceIdentifier: app-db}."""
    statistic: str = Field(
        "Average", pattern=r"^(Average|Sum|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d{1,2})?)$"
    )
    period: int = Field(60, ge=1, le=86400)
    """Seconds per datapoint: 1, 5, 10, 30 or a multiple of 60."""
    since: Duration = Field(900, description="the window back from now: 15m, 1h, 1d")
    expect: JMESPath | None = None
    """Must be true of {latest, values, max, min, points}; unset: any datapoint."""
    region: str | None = None

    @model_validator(mode="after")
    def _sane_window(self) -> Params:
        if self.period not in (1, 5, 10, 30) and self.period % 60:
            raise ValueError(f"period {self.period} must be 1, 5, 10, 30 or a multiple of 60")
        if self.since // self.period > MAX_POINTS:
            raise ValueError(
                f"since {duration_text(self.since)} at period {self.period} s is over "
                f"{MAX_POINTS} points: raise the period"
            )
        return self


# Every AWS call this type makes (CheckType.aws_operations).
OPERATIONS = frozenset({"cloudwatch.get_metric_data"})


def _query(params: Params) -> dict[str, Any]:
    metric = {
        "Namespace": params.namespace,
        "MetricName": params.metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in params.dimensions.items()],
    }
    stat = {"Metric": metric, "Period": params.period, "Stat": params.statistic}
    return {"Id": "m", "MetricStat": stat, "ReturnData": True}


async def run(params: Params, ctx: RunContext) -> CheckResult:
    budget = Budget(ctx, params.region or ctx.aws.region, OPERATIONS)
    now = time.time()
    try:
        answer = await budget.call(
            "cloudwatch", "get_metric_data",
            MetricDataQueries=[_query(params)],
            StartTime=datetime.fromtimestamp(now - params.since, UTC),
            EndTime=datetime.fromtimestamp(now, UTC),
            ScanBy="TimestampDescending",
        )  # fmt: skip
    except Failed as exc:
        return Failed(exc.kind, f"{_name(params)}: {exc.message}").result()
    results = answer.get("MetricDataResults") or [{}]
    return _judge(params, results[0], answer.get("Messages") or [])


def _name(params: Params) -> str:
    dims = ",".join(f"{k}={v}" for k, v in params.dimensions.items())
    return f"{params.namespace} {params.metric}" + (f"{{{dims}}}" if dims else "")


def _facts(result: dict[str, Any]) -> dict[str, Any]:
    values = [float(v) for v in result.get("Values", [])]
    times = [str(t) for t in result.get("Timestamps", [])]
    return {
        "latest": values[0] if values else None,
        "values": values,
        "max": max(values) if values else None,
        "min": min(values) if values else None,
        "points": [{"time": t, "value": v} for t, v in zip(times, values, strict=False)],
        "status": result.get("StatusCode"),
    }


def _judge(params: Params, result: dict[str, Any], messages: list[Any]) -> CheckResult:
    facts = _facts(result)
    window = duration_text(params.since)
    where = f"{_name(params)} {params.statistic}/{params.period}s, last {window}"
    shown = ", ".join(f"{v:g}" for v in facts["values"][:_SHOWN])
    said = f"latest {facts['latest']:g} (newest first: {shown})" if facts["values"] else ""
    details = {"metric": _name(params), "window": window, **facts, "messages": messages}
    if params.expect is None:
        holds, wanted = bool(facts["values"]), "at least one datapoint"
    else:
        holds, wanted = truthy(params.expect.search(facts)), params.expect.expression
    if not facts["values"]:
        said = "no datapoints (wrong name or dimensions, or nothing reported?)"
    if facts["status"] == "PartialData":
        said += "; partial data"
    if holds:
        return CheckResult.passed(one_line(f"{where}: {said}"), details=details, result=facts)
    summary = one_line(f"{where}: {said}; expected {wanted}")
    return CheckResult.failed(summary, details=details, result=facts)


def _words(params: Words) -> str:
    dims = params.get("dimensions") or {}
    on = " for " + ", ".join(f"{k} {code(plain(v))}" for k, v in dims.items()) if dims else ""
    metric = code(f"{plain(params.get('namespace'))} {plain(params.get('metric'))}")
    since = params.get("since", "15m")
    window = duration_text(since) if isinstance(since, int) else plain(since)
    stat = code(plain(params.get("statistic", "Average")))
    return f"CloudWatch metric {metric}{on}, {stat} over the last {window}"


def _dry_call(p: Params, ctx: RunContext) -> tuple[str, Call]:
    region = region_of(p.region, ctx)
    endpoint = endpoint_of("cloudwatch", "monitoring", region, ctx)
    window = duration_text(p.since)
    call = {
        "type": "cloudwatch",
        "call": "cloudwatch.get_metric_data",
        "query": _query(p),
        "window": f"the last {window}",
        "region": region or "boto3 default",
        "endpoint": endpoint,
    }
    say = f"CloudWatch get_metric_data {_name(p)} {p.statistic}/{p.period}s, last {window}"
    return f"{say} at {endpoint}", call


CHECK = CheckType(
    name="cloudwatch",
    params=Params,
    run=run,
    description="Read one CloudWatch metric (statistic, period, dimensions) over a window "
    "back from now; judge latest/values/max/min with a JMESPath expect.",
    on_deadline=CheckStatus.ERROR,
    describe=_words,
    dry_call=_dry_call,
    aws_operations=OPERATIONS,
)
