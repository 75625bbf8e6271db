"""The demo's Prometheus: the HTTP API's two query endpoints over a probe
history the demo simulates, so the runbook's `prometheus` check and the
charts after it have a vantage point on a machine with no Prometheus.

The history is what blackbox_exporter probes scraped every 15 s would hold:
`probe_success{instance, job="blackbox"}` for every target, 1 until the
injected fault's start and 0 from then on for the target it broke.

Parameters are checked as Prometheus 2.42 checks them, in the same order and
with the same error JSON (HTTP 400, `{"status":"error","errorType":"bad_data",
"error":...}`), so a request the stand-in accepts is one Prometheus accepts:
https://prometheus.io/docs/prometheus/latest/querying/api/ (and the messages
as web/api/v1/api.go words them). It evaluates only the PromQL the product
asks of it (see `evaluate`); anything else is refused as bad_data, never
answered wrongly.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.checks import promselector

SCRAPE_S = 15.0  # blackbox probes' scrape interval
LOOKBACK_S = 300.0  # Prometheus's default --query.lookback-delta
SUBQUERY_STEP_S = 60.0  # a subquery without a step uses the evaluation interval (1m)
MAX_POINTS = 11_000  # per series in a range query (api.go)
JOB = "blackbox"
METRIC = "probe_success"

Labels = dict[str, str]


class BadData(Exception):
    """A request Prometheus answers with errorType bad_data (HTTP 400)."""


@dataclass(frozen=True)
class ProbeHistory:
    """`failing_since`: instance -> when its probe started failing (None:
    never); samples from `since` until the clock's now."""

    failing_since: Mapping[str, float | None]
    since: float
    clock: Callable[[], float] = field(default=time.time)

    def labels(self) -> list[Labels]:
        return [{"__name__": METRIC, "instance": i, "job": JOB} for i in self.failing_since]

    def sample(self, instance: str, at: float) -> tuple[float, float] | None:
        """(time, value) of the latest sample at or before `at`, if it is
        within the lookback delta, as an instant selector sees it."""
        latest = min(at, self.clock())
        if latest < self.since:
            return None
        taken = self.since + math.floor((latest - self.since) / SCRAPE_S) * SCRAPE_S
        if at - taken > LOOKBACK_S:
            return None
        failing = self.failing_since.get(instance)
        return taken, 0.0 if failing is not None and taken >= failing else 1.0


# The PromQL evaluated: a selector, `group by (label) (selector)`, and the
# `prometheus` check's two age queries, `time() - max_over_time(timestamp((SEL)
# == 1)[1h:])` and `time() - min_over_time(timestamp(SEL)[1h:])`.
_SELECTOR = re.compile(r"^(?:[A-Za-z_:][A-Za-z0-9_:]*)?\s*(?:\{[^{}]*\})?$")
_GROUP = re.compile(r"^group by \((?P<label>[A-Za-z_][A-Za-z0-9_]*)\) \((?P<inner>.+)\)$")
_AGE = re.compile(
    r"^time\(\) - (?P<fn>max|min)_over_time\(timestamp\((?P<inner>.+)\)"
    r"\[(?P<range>[0-9a-z]+):(?P<step>[0-9a-z]*)\]\)$"
)
_FILTER = re.compile(r"^\((?P<inner>.+)\) == (?P<value>[0-9]+(?:\.[0-9]+)?)$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_DURATION = re.compile(
    r"^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?"
    r"(?:([0-9]+)s)?(?:([0-9]+)ms)?$"
)
_UNITS = (365 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0, 0.001)
UNSUPPORTED = (
    "the demo's Prometheus stand-in does not evaluate this query: it answers a series "
    "selector, group by (label) (selector), and time() - max_over_time / min_over_time "
    "(timestamp(...)[range:])"
)

Vector = list[tuple[Labels, float]]


def evaluate(history: ProbeHistory, query: str, at: float) -> Vector:
    """The query's instant vector at `at`; BadData for what is not evaluated."""
    query = query.strip()
    if query and _SELECTOR.match(query):
        return [(labels, value) for labels, _, value in _samples(history, query, at)]
    if group := _GROUP.match(query):
        label = group["label"]
        values = {labels.get(label, "") for labels, _ in evaluate(history, group["inner"], at)}
        return [({label: v} if v else {}, 1.0) for v in sorted(values)]
    if age := _AGE.match(query):
        return _age(history, age, at)
    raise BadData(UNSUPPORTED)


def _samples(history: ProbeHistory, query: str, at: float) -> list[tuple[Labels, float, float]]:
    """(labels, sample time, value) of the series a selector picks, at `at`."""
    name = query.split("{", 1)[0].strip()
    found = promselector.selector(query) if "{" in query else promselector.Selector(name, [])
    if found is None:
        raise BadData(UNSUPPORTED)
    matchers = [*found.matchers, *([promselector.Matcher("__name__", "=", name)] if name else [])]
    picked = []
    for labels in history.labels():
        if all(_matches(labels, m) for m in matchers):
            sample = history.sample(labels["instance"], at)
            if sample is not None:
                picked.append((labels, *sample))
    return picked


def _matches(labels: Labels, matcher: promselector.Matcher) -> bool:
    have, want = labels.get(matcher.label, ""), re.sub(r"\\(.)", r"\1", matcher.value)
    if matcher.op in ("=", "!="):
        return (have == want) == (matcher.op == "=")
    try:
        return bool(re.fullmatch(want, have)) == (matcher.op == "=~")
    except re.error as exc:
        raise BadData(f"invalid regular expression {want!r}: {exc}") from exc


def _age(history: ProbeHistory, age: re.Match[str], at: float) -> Vector:
    """`time() - <fn>_over_time(timestamp(INNER)[range:step])`: how long ago
    INNER's earliest (min) or latest (max) sample in the range was taken."""
    span = _duration(age["range"])
    step = _duration(age["step"]) if age["step"] else SUBQUERY_STEP_S
    inner, wanted = age["inner"].strip(), None
    if filtered := _FILTER.match(inner):
        inner, wanted = filtered["inner"].strip(), float(filtered["value"])
    if not (inner and _SELECTOR.match(inner)) or span <= 0 or step <= 0:
        raise BadData(UNSUPPORTED)
    # Subquery steps are aligned to multiples of the step, as Prometheus's are.
    last = math.floor(at / step) * step
    steps = [last - k * step for k in range(int(span // step) + 1) if last - k * step > at - span]
    taken: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for when in steps:
        for labels, sampled_at, value in _samples(history, inner, when):
            if wanted is None or value == wanted:
                # timestamp() drops the metric name, and gives the sample's own time.
                key = tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))
                taken.setdefault(key, []).append(sampled_at)
    pick = max if age["fn"] == "max" else min
    return [(dict(key), at - pick(times)) for key, times in taken.items()]


# The HTTP API


HISTORY = web.AppKey("history", ProbeHistory)


def app(history: ProbeHistory) -> web.Application:
    """GET and POST, as Prometheus takes both (POST: a form body)."""
    application = web.Application()
    for path, handler in (("/api/v1/query", _instant), ("/api/v1/query_range", _range)):
        application.router.add_route("GET", path, handler)
        application.router.add_route("POST", path, handler)
    application[HISTORY] = history
    return application


async def _instant(request: web.Request) -> web.Response:
    history = request.app[HISTORY]
    form = await _form(request)
    try:
        at = _time_param(form, "time", default=history.clock())
        _timeout(form)
        query = _query(form, prefixed=True)
        vector = evaluate(history, query, at)
    except BadData as exc:
        return _bad_data(str(exc))
    result = [{"metric": labels, "value": [_at(at), _value(v)]} for labels, v in vector]
    return _success("vector", result)


async def _range(request: web.Request) -> web.Response:
    history = request.app[HISTORY]
    form = await _form(request)
    try:
        start, end, step = _range_params(form)
        _timeout(form)
        query = _query(form, prefixed=False)
        points: dict[tuple[tuple[str, str], ...], list[list[Any]]] = {}
        count = math.floor((end - start) / step)
        for k in range(count + 1):
            at = start + k * step
            for labels, value in evaluate(history, query, at):
                key = tuple(sorted(labels.items()))
                points.setdefault(key, []).append([_at(at), _value(value)])
    except BadData as exc:
        return _bad_data(str(exc))
    result = [{"metric": dict(key), "values": values} for key, values in points.items()]
    return _success("matrix", result)


def _range_params(form: Mapping[str, str]) -> tuple[float, float, float]:
    """start, end and step, refused in Prometheus's order and words."""
    start = _time_param(form, "start")
    end = _time_param(form, "end")
    if end < start:
        raise BadData('invalid parameter "end": end timestamp must not be before start time')
    step = _duration_param(form, "step")
    if step <= 0:
        raise BadData(
            'invalid parameter "step": zero or negative query resolution step widths are not '
            "accepted. Try a positive integer"
        )
    # Prometheus divides durations in whole nanoseconds; to the millisecond is close enough.
    if math.floor(round((end - start) / step, 6)) > MAX_POINTS:
        raise BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
            "query resolution (?step=XX)"
        )
    return start, end, step


def _query(form: Mapping[str, str], *, prefixed: bool) -> str:
    query = form.get("query", "")
    if not query.strip():
        said = "1:1: parse error: no expression found in input"
        # The instant endpoint names the parameter; the range one does not (2.42).
        raise BadData(f'invalid parameter "query": {said}' if prefixed else said)
    return query


def _timeout(form: Mapping[str, str]) -> None:
    if "timeout" in form:
        _duration_param(form, "timeout")


def _time_param(form: Mapping[str, str], name: str, *, default: float | None = None) -> float:
    raw = form.get(name, "")
    if not raw and default is not None:
        return default
    try:
        return _time(raw)
    except ValueError:
        said = f'cannot parse "{raw}" to a valid timestamp'
        if name == "time":  # the instant endpoint's own wording
            said = f"Invalid time value for 'time': {said}"
        raise BadData(f'invalid parameter "{name}": {said}') from None


def _time(raw: str) -> float:
    """A Unix time in seconds (with a fraction) or an RFC 3339 time."""
    if _NUMBER.match(raw):
        return round(float(raw), 3)
    if "T" not in raw:
        raise ValueError(raw)
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        raise ValueError(raw)
    return parsed.timestamp()


def _duration_param(form: Mapping[str, str], name: str) -> float:
    raw = form.get(name, "")
    try:
        return _duration(raw)
    except BadData:
        raise BadData(
            f'invalid parameter "{name}": cannot parse "{raw}" to a valid duration'
        ) from None


def _duration(raw: str) -> float:
    """Seconds as a number, or a Prometheus duration (1h30m, 15s, 500ms)."""
    if _NUMBER.match(raw):
        return float(raw)
    parts = _DURATION.match(raw) if raw else None
    if parts is None:
        raise BadData(f'cannot parse "{raw}" to a valid duration')
    return sum(int(n) * unit for n, unit in zip(parts.groups(), _UNITS, strict=True) if n)


async def _form(request: web.Request) -> dict[str, str]:
    """Like Go's FormValue: a POST body's fields win over the query string's."""
    form = dict(request.query)
    if request.method == "POST":
        form |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    return form


def _at(at: float) -> float:
    return round(at, 3)


def _value(value: float) -> str:
    """As Go's FormatFloat(v, 'f', -1, 64): no exponent, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _success(kind: str, result: list[dict[str, Any]]) -> web.Response:
    return web.json_response({"status": "success", "data": {"resultType": kind, "result": result}})


def _bad_data(error: str) -> web.Response:
    body = {"status": "error", "errorType": "bad_data", "error": error}
    return web.json_response(body, status=400)
