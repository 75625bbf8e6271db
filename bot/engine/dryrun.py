"""Dry run: the exact call each check would make, and no call at all.

`dry_run` plugs into the engine's execute seam: the check's parameters are
filled in and validated as for a real run (a metadata address is refused
here too), then described instead of executed. The result is skipped, with
a summary saying what would happen and the call itself in `details`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bot.checks import aws, blackbox, http, module, prometheus, starttls, tcp, tls
from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.query_response import address
from bot.checks.result import CheckResult, one_line
from bot.engine.results import RunResult
from bot.runbooks.binding import Binding
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.references import dependencies
from bot.runbooks.templates import Template

Call = dict[str, Any]
Describe = Callable[[Any, RunContext], tuple[str, Call]]


async def dry_run(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
    """The engine's execute seam for a dry run."""
    say, call = describe(check.type, params, ctx)
    return CheckResult.skipped(one_line(f"dry run: {say}"), details={"dry_run": call})


def describe(check_type: str, params: Params, ctx: RunContext) -> tuple[str, Call]:
    """(what would happen in words, the call as data) for one check."""
    describer = DESCRIBERS.get(check_type)
    if describer is None:
        data = params.model_dump(mode="json")
        return f"{check_type} with {data}", {"type": check_type, "params": data}
    return describer(params, ctx)


def _tcp(p: tcp.Params, ctx: RunContext) -> tuple[str, Call]:
    where = address(p.host, p.port)
    banner = p.banner.pattern if p.banner else None
    say = f"TCP connect to {where}" + (f", read a banner matching /{banner}/" if banner else "")
    return say, {"type": "tcp", "connect": where, "banner": banner}


def _tls(p: tls.Params, ctx: RunContext) -> tuple[str, Call]:
    where, sni = address(p.host, p.port), p.server_name or p.host
    call = {
        "type": "tls",
        "connect": where,
        "sni": sni,
        "verify": p.verify,
        "ca_file": p.ca_file or ctx.ca_file or "system trust store",
    }
    return f"TCP connect to {where}, TLS handshake with SNI {sni}", call


def _starttls(p: starttls.Params, ctx: RunContext) -> tuple[str, Call]:
    _, call = _tls(p, ctx)
    call |= {"type": "starttls", "protocol": p.protocol}
    where = call["connect"]
    say = f"TCP connect to {where}, {p.protocol.upper()} STARTTLS, TLS handshake with SNI "
    return say + call["sni"], call


def _http(p: http.Params, ctx: RunContext) -> tuple[str, Call]:
    redirects = f"up to {p.max_redirects}" if p.follow_redirects else "none"
    call = {"type": "http", "method": p.method, "url": p.url, "follow_redirects": redirects}
    return f"{p.method} {p.url} (redirects followed: {redirects})", call


def _aws(p: aws.Params, ctx: RunContext) -> tuple[str, Call]:
    model = aws.operation_model(p.service, p.operation)
    region = p.region or ctx.aws.region or _env("AWS_REGION", "AWS_DEFAULT_REGION")
    endpoint = ctx.aws.endpoint_url or _env(f"AWS_ENDPOINT_URL_{p.service.upper()}")
    endpoint = endpoint or _env("AWS_ENDPOINT_URL")
    if endpoint is None:
        prefix = model.service_model.endpoint_prefix
        endpoint = f"https://{prefix}.{region or '<region>'}.amazonaws.com"
    call = {
        "type": "aws",
        "call": p.call,
        "operation": f"{model.service_model.service_id}.{model.name}",
        "params": p.params,
        "region": region or "boto3 default",
        "endpoint": endpoint,
    }
    arguments = json.dumps(p.params, separators=(",", ":"), default=str)
    return f"AWS {p.call} {arguments} in {call['region']} at {endpoint}", call


def _vantage_get(kind: str, name: str, ctx: RunContext, path: str, query: dict[str, str]) -> Call:
    point = ctx.vantage.points.get(name)
    if point is None or point.kind != kind:
        note = f"the site config has no {kind} vantage point {name!r}"
        return {"type": kind, "vantage": name, "url": None, "note": note}
    url = f"{point.url.rstrip('/')}{path}?{urlencode(query)}"
    return {"type": kind, "vantage": name, "method": "GET", "url": url}


def _blackbox(p: blackbox.Params, ctx: RunContext) -> tuple[str, Call]:
    query = {"module": p.module, "target": p.target}
    call = _vantage_get("blackbox", p.vantage, ctx, "/probe", query)
    if call["url"] is None:
        return f"nothing: {call['note']}", call
    return f"GET {call['url']} (again with debug=true if the probe fails)", call


def _prometheus(p: prometheus.Params, ctx: RunContext) -> tuple[str, Call]:
    call = _vantage_get("prometheus", p.vantage, ctx, "/api/v1/query", {"query": p.query})
    if call["url"] is None:
        return f"nothing: {call['note']}", call
    return f"GET {call['url']}", call


def _module(p: module.Params, ctx: RunContext) -> tuple[str, Call]:
    found = ctx.vantage.modules.get(p.module)
    prober = found.prober if found is not None else None
    call = {"type": "module", "module": p.module, "prober": prober, "target": p.target}
    if prober == "http":
        url = p.target if "://" in p.target else f"http://{p.target}"
        return f"{p.module}: {found.http.method if found else 'GET'} {url}", call | {"url": url}
    if prober == "tcp":
        return f"{p.module}: TCP connect to {p.target}", call | {"connect": p.target}
    return f"nothing: no module {p.module!r}", call


def _env(*names: str) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


DESCRIBERS: dict[str, Describe] = {
    "tcp": _tcp,
    "tls": _tls,
    "starttls": _starttls,
    "http": _http,
    "aws": _aws,
    "blackbox": _blackbox,
    "prometheus": _prometheus,
    "module": _module,
}


def plan(result: RunResult, binding: Binding) -> list[dict[str, Any]]:
    """Each step's applicable checks and their calls. A check that reads
    another's result cannot be filled in without running that one: its
    parameters are shown as written."""
    steps = []
    for step in result.steps:
        defs = {c.id: c for c in binding.runbook.step(step.id).check_defs}
        checks = []
        for run in (r for r in step.checks if r.applicable):
            call = run.result.details.get("dry_run")
            entry = {"id": run.id, "type": run.type, "summary": run.result.summary, "call": call}
            if call is None and run.result.error_kind is None:
                check = defs[run.id]
                after = ", ".join(sorted(dependencies(check)))
                entry["summary"] = f"runs after {after} and reads its result"
                entry["as_written"] = as_written(check)
            checks.append(entry)
        steps.append({"id": step.id, "title": step.title, "checks": checks})
    return steps


def as_written(check: CheckDef) -> dict[str, Any]:
    return {key: _source(value) for key, value in check.param_templates.items()}


def _source(value: Any) -> Any:
    if isinstance(value, Template):
        return str(value)
    if isinstance(value, list):
        return [_source(v) for v in value]
    if isinstance(value, dict):
        return {k: _source(v) for k, v in value.items()}
    return value
