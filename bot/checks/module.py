"""`module`: run a blackbox_exporter module from the site's blackbox.yml here.

The module is translated into our own executors, with blackbox's semantics:

- prober tcp: resolve as blackbox does (`preferred_ip_protocol`, then the
  other family if `ip_protocol_fallback`); connect; `tls: true` upgrades at
  once; each `query_response` item becomes a dialogue step: `expect: R` is
  `Expect(pattern=R, last=R)` (read lines until one matches), `send: S` is
  `Send(S)`, `starttls: true` is `StartTLS()`. A TLS session is verified
  per `tls_config` (`insecure_skip_verify`, `server_name`, `ca_file`); like
  blackbox, an expired certificate only fails when it is verified.
- prober http: the `http` check with `valid_status_codes` (default 2xx),
  `method`, redirects followed up to 10 (blackbox's limit), `tls_config`;
  then `fail_if_ssl`, `fail_if_not_ssl` and `valid_http_versions`.
- the module's `timeout` caps the check's own.
"""

from __future__ import annotations

import dataclasses
import socket
from typing import Any

from pydantic import Field, ValidationError

from bot.checks import dial, http
from bot.checks import params as base
from bot.checks.bbconfig import HttpProbe, TcpProbe
from bot.checks.context import RunContext
from bot.checks.describing import Call
from bot.checks.query_response import Expect, Send, Session, StartTLS, Step, address
from bot.checks.result import CheckResult, CheckStatus, ErrorKind, one_line
from bot.checks.spec import CheckType
from bot.checks.tcp import attempt
from bot.checks.tls import judge
from bot.checks.tlsfacts import client_context

MAX_REDIRECTS = 10  # blackbox_exporter's own limit


class Params(base.Params):
    module: str = Field(min_length=1)
    """A module of the blackbox.yml named by the site config's blackbox_config."""
    target: base.Target
    """host:port for a tcp module, a URL for an http one (as in /probe?target=)."""


class BadTarget(ValueError):
    pass


async def run(params: Params, ctx: RunContext) -> CheckResult:
    module = ctx.vantage.modules.get(params.module)
    if module is None:
        return _unknown(params.module, ctx)
    if module.timeout is not None and module.timeout < ctx.timeout:
        ctx = dataclasses.replace(ctx, timeout=module.timeout)
    try:
        if module.prober == "tcp":
            return await run_tcp(module.tcp, params.target, ctx)
        return await run_http(module.http, params.target, ctx)
    except BadTarget as exc:
        return CheckResult.errored(ErrorKind.INTERNAL, one_line(f"{params.module}: {exc}"))


def _unknown(name: str, ctx: RunContext) -> CheckResult:
    known = ", ".join(sorted(ctx.vantage.modules))
    if not known:
        return CheckResult.errored(
            ErrorKind.INTERNAL, f"no module {name!r}: the site config names no blackbox_config"
        )
    return CheckResult.errored(ErrorKind.INTERNAL, f"no module {name!r} (known: {known})")


def dialogue(probe: TcpProbe) -> list[Step]:
    steps: list[Step] = []
    for item in probe.query_response:
        if item.expect is not None:
            label = f"line matching /{item.expect.pattern}/"
            steps.append(Expect(pattern=item.expect, last=item.expect, label=label))
        elif item.send is not None:
            steps.append(Send(item.send))
        else:
            steps.append(StartTLS())
    return steps


def split_target(target: str) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise BadTarget(f"target {target!r} is not host:port")
    return host, int(port)


async def run_tcp(probe: TcpProbe, target: str, ctx: RunContext) -> CheckResult:
    host, port = split_target(target)
    where = address(host, port)
    steps = dialogue(probe)
    uses_tls = probe.tls or any(isinstance(s, StartTLS) for s in steps)
    tls = probe.tls_config
    try:
        context = (
            client_context(verify=not tls.insecure_skip_verify, ca_file=tls.ca_file or ctx.ca_file)
            if uses_tls
            else None
        )
    except OSError as exc:  # a missing CA file is bad config, not a bad peer
        return CheckResult.errored(ErrorKind.INTERNAL, one_line(f"{where}: CA file: {exc}"))
    session = Session(ssl_context=context, server_hostname=tls.server_name or host)

    async def body() -> CheckResult:
        await session.connect(await resolve(host, port, probe), port)
        if probe.tls:
            await session.upgrade()
        await session.run(steps)
        details = session.details()
        if session.tls is not None:
            return judge(where, session.tls, None, lead=_lead(probe), details=details)
        summary = f"{where}: connected in {session.connect_ms:g} ms"
        summary += f", {len(steps)} dialogue steps done" if steps else ""
        return CheckResult.passed(summary, details=details, result=details)

    return await attempt(session, where, ctx.timeout, body)


async def resolve(host: str, port: int, probe: TcpProbe) -> str:
    """The address to dial, chosen as blackbox chooses it: the preferred
    family, then the other one if `ip_protocol_fallback` allows. Looked up and
    judged through the one resolver (bot.checks.dial)."""
    preferred, other = socket.AF_INET6, socket.AF_INET
    if probe.preferred_ip_protocol == "ip4":
        preferred, other = other, preferred
    families = [preferred, other] if probe.ip_protocol_fallback else [preferred]
    failure: socket.gaierror | None = None
    for family in families:
        try:
            found = await dial.resolve(host, port, family=family)
        except socket.gaierror as exc:
            failure = exc
            continue
        if found:
            return str(found[0])
    raise failure or socket.gaierror(socket.EAI_NONAME, "no address")


def _lead(probe: TcpProbe) -> str:
    return "" if probe.tls else "STARTTLS, "


async def run_http(probe: HttpProbe, target: str, ctx: RunContext) -> CheckResult:
    params = translated(probe, target)
    result = await http.run(params, ctx)
    return _http_rules(probe, result) if result.status is CheckStatus.PASS else result


# (id(probe), target) -> (probe, its http.Params): a module's translation is
# made once per target, not on every run (issue 19: pydantic validation of
# the translated parameters was most of the module's cost over the `http`
# check). The probe is kept with it so that a reused id cannot match. Bounded:
# the site's modules times the targets runbooks name.
_TRANSLATED: dict[tuple[int, str], tuple[HttpProbe, http.Params]] = {}
MAX_TRANSLATED = 1024


def translated(probe: HttpProbe, target: str) -> http.Params:
    """The `http` check's parameters for this module and target."""
    key = (id(probe), target)
    found = _TRANSLATED.get(key)
    if found is not None and found[0] is probe:
        return found[1]
    params = _translate(probe, target)
    if len(_TRANSLATED) >= MAX_TRANSLATED:
        _TRANSLATED.clear()
    _TRANSLATED[key] = (probe, params)
    return params


def _translate(probe: HttpProbe, target: str) -> http.Params:
    url = target if "://" in target else f"http://{target}"
    codes = [(c, c) for c in probe.valid_status_codes] or [(200, 299)]
    try:
        return http.Params(
            url=url,
            method=probe.method,  # GET or HEAD, checked when the config loads
            expect_status=codes,
            follow_redirects=probe.follow_redirects,
            max_redirects=MAX_REDIRECTS,
            verify=not probe.tls_config.insecure_skip_verify,
            ca_file=probe.tls_config.ca_file,
            min_days_valid=None,
        )
    except ValidationError as exc:
        raise BadTarget(f"target {target!r} is not a URL") from exc


def _http_rules(probe: HttpProbe, result: CheckResult) -> CheckResult:
    """blackbox's checks beyond the status code, on the final response."""
    answer: dict[str, Any] = result.result
    problem, kind = None, ErrorKind.TLS
    if probe.fail_if_ssl and answer.get("tls"):
        problem = "served over TLS (fail_if_ssl)"
    elif probe.fail_if_not_ssl and not answer.get("tls"):
        problem = "not served over TLS (fail_if_not_ssl)"
    elif probe.valid_http_versions and answer.get("http_version") not in probe.valid_http_versions:
        problem = f"{answer.get('http_version')} is not one of {probe.valid_http_versions}"
        kind = ErrorKind.PROTOCOL
    if problem is None:
        return result
    summary = one_line(f"{result.summary}, but {problem}")
    return CheckResult.failed(summary, kind=kind, details=result.details, result=answer)


def _dry_call(p: Params, ctx: RunContext) -> tuple[str, Call]:
    found = ctx.vantage.modules.get(p.module)
    prober = found.prober if found is not None else None
    call = {"type": "module", "module": p.module, "prober": prober, "target": p.target}
    if prober == "http":
        url = p.target if "://" in p.target else f"http://{p.target}"
        return f"{p.module}: {found.http.method if found else 'GET'} {url}", call | {"url": url}
    if prober == "tcp":
        return f"{p.module}: TCP connect to {p.target}", call | {"connect": p.target}
    return f"nothing: no module {p.module!r}", call


CHECK = CheckType(
    name="module",
    params=Params,
    run=run,
    description="Run a blackbox_exporter module (tcp or http prober) from the site's "
    "blackbox.yml here, with blackbox's semantics.",
    dry_call=_dry_call,
    names_module="module",
)
