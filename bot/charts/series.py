"""A query's range from Prometheus (/api/v1/query_range), within a deadline;
every way that fails is one line a responder can act on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from bot.charts.spec import ChartSpec
from bot.checks.errors import classify_http
from bot.checks.vantage import new_client

# Points per series: enough for a 600-pixel-wide picture, few enough for
# Prometheus to answer at once (its cap is 11,000).
POINTS = 240


class NoChart(Exception):
    """Why a chart cannot be drawn, in one line."""


@dataclass(frozen=True)
class Series:
    label: str  # the labels that tell series apart
    points: list[tuple[float, float]]  # (unix time, value)


async def fetch(spec: ChartSpec) -> list[Series]:
    step = max(1.0, (spec.end - spec.start) / POINTS)
    params = {
        "query": spec.query, "start": f"{spec.start:.3f}", "end": f"{spec.end:.3f}",
        "step": f"{step:.3f}",
    }  # fmt: skip
    url = f"{spec.url.rstrip('/')}/api/v1/query_range"
    try:
        async with asyncio.timeout(spec.timeout), new_client() as client:
            response = await client.get(url, params=params)
    except (httpx.HTTPError, TimeoutError) as exc:
        timed_out = f"did not answer within {spec.timeout:g} s"
        raise NoChart(classify_http(exc, where=spec.url, timed_out=timed_out).message) from exc
    if response.status_code != 200:
        raise NoChart(f"{spec.url} answered HTTP {response.status_code}")
    try:
        result = response.json()["data"]["result"]
    except (ValueError, KeyError, TypeError) as exc:
        raise NoChart(f"{spec.url} gave no query_range answer") from exc
    series = [_series(s, result) for s in result]
    if not any(s.points for s in series):
        raise NoChart(f"no data for {spec.query} in the window")
    return series


def _series(one: dict[str, Any], every: list[dict[str, Any]]) -> Series:
    metrics = [s.get("metric") or {} for s in every]
    metric: dict[str, str] = one.get("metric") or {}
    # Only the labels whose values differ between series name them.
    varying = sorted(k for k in metric if len({str(m.get(k)) for m in metrics}) > 1)
    label = ", ".join(f"{k}={metric[k]}" for k in varying) or str(metric.get("__name__") or "value")
    points = [(float(t), float(v)) for t, v in one.get("values") or []]
    return Series(label, points)
