"""HTTP(S) probe: status, redirects, a body regex and, for https, the certificate.

httpx's per-operation timeouts cannot bound a body that trickles in, so the
whole exchange runs under one deadline and an httpcore trace hook records the
phase it was in, so that a timeout says *where* the time went.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import httpx
from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bot.checks import dial
from bot.checks.addresses import ForbiddenAddress, check_host
from bot.checks.budget import within
from bot.checks.context import RunContext
from bot.checks.describing import read_by_word
from bot.checks.errors import Failure, classify_http, result_for
from bot.checks.httpauth import Auth, SecretMissing, authorization
from bot.checks.params import HttpUrl, JMESPath, Regex, Target, truthy
from bot.checks.params import Params as BaseParams
from bot.checks.query_response import clip
from bot.checks.result import CheckResult, ErrorKind, one_line
from bot.checks.spec import CheckType
from bot.checks.tlsfacts import client_context, handshake_facts

BODY_CAP = 64 * 1024
_RANGE_SCHEMA = r"^\d{3}(-\d{3})?$"
_RANGE = re.compile(r"\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?")
_PHASES = {
    "connect_tcp": "connecting",
    "start_tls": "in the TLS handshake",
    "send_request_headers": "sending the request",
    "send_request_body": "sending the request",
    "receive_response_headers": "waiting for the response headers",
    "receive_response_body": "reading the body",
}


def _parse_status(value: Any) -> Any:
    """200 or "200-299" (or an already parsed pair) -> (low, high)."""
    if isinstance(value, tuple | list) and len(value) == 2:
        low, high = value
    elif isinstance(value, int) and not isinstance(value, bool):
        low = high = value
    elif isinstance(value, str) and (match := _RANGE.fullmatch(value)):
        low = int(match[1])
        high = int(match[2] or match[1])
    else:
        raise ValueError(f"expected a status code or a range like '200-299', got {value!r}")
    if not 100 <= low <= high <= 599:
        raise ValueError(f"status range {value!r} is not a range of HTTP status codes")
    return (low, high)


def _render_status(pair: tuple[int, int]) -> int | str:
    return pair[0] if pair[0] == pair[1] else f"{pair[0]}-{pair[1]}"


StatusRange = Annotated[
    tuple[int, int],
    BeforeValidator(_parse_status),
    PlainSerializer(_render_status),
    WithJsonSchema({"oneOf": [{"type": "integer"}, {"type": "string", "pattern": _RANGE_SCHEMA}]}),
]


# Methods a check may use without a word: they read by definition (RFC 9110
# 9.2.1, "safe methods"). POST reads only by convention of some APIs (search,
# GraphQL, Elasticsearch's _search, Prometheus' query), so the runbook must say
# why this one does; PUT, PATCH and DELETE change things and are never checks.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHANGING = frozenset({"PUT", "PATCH", "DELETE"})
# Set by the client itself, or the dial policy's to decide (Host); the
# credential goes in `auth`, read at run time and masked.
_RESERVED_HEADERS = {
    "host": "the Host is the URL's: the target is what the bot judged and dials",
    "authorization": "use `auth` so that the secret is read at run time and masked",
    "proxy-authorization": "checks use no proxy",
    "cookie": "a session cookie is a credential: use `auth`",
    "content-length": "set from `payload`",
    "transfer-encoding": "set by the client",
    "connection": "set by the client",
}


def _method(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    method = value.upper()
    if method in _CHANGING:
        raise ValueError(
            f"an HTTP {method} changes things: a check only reads; use an escalation action"
        )
    return method


def method_refusal(method: Any, reason: Any) -> str | None:
    """Why a method may not be used as written (None when it may)."""
    if not isinstance(method, str) or method.upper() in SAFE_METHODS:
        return None
    if method.upper() in _CHANGING:
        return f"an HTTP {method.upper()} changes things: a check only reads"
    if isinstance(reason, str) and len(reason) >= 10:
        return None
    return (
        f"a {method.upper()} may change things: if this one only reads, say why with"
        " `read_only_because: <reason>` (triage lint lists it for review)"
    )


class Params(BaseParams):
    url: HttpUrl
    method: Annotated[Literal["GET", "HEAD", "OPTIONS", "POST"], BeforeValidator(_method)] = "GET"
    read_only_because: str | None = Field(default=None, min_length=10)
    """Why a POST only reads (a search or query API): required for any method
    but GET, HEAD and OPTIONS; `triage lint` lists it for review."""
    headers: dict[str, str] = Field(default_factory=dict)
    payload: Any = None
    """The request body: a string is sent as text, anything else as JSON. POST only."""
    auth: Auth | None = None
    """`{bearer: {env: NAME}}` or `{basic: {user: u, password: {file: /path}}}`:
    read at run time, sent only over https, never shown."""
    expect_status: list[StatusRange] = Field(default_factory=lambda: [(200, 299)], min_length=1)
    follow_redirects: bool = True
    max_redirects: int = Field(default=5, ge=0)
    redirect_hosts: list[Target] = Field(default_factory=list)
    """Other hosts (`host` or `host:port`) a redirect may lead to. By default
    redirects are followed only within the URL's own host and port (and from
    http to https on 443 of the same host)."""
    body: Regex | None = None
    query: JMESPath | None = None
    """Over the body read as JSON: the value the check reports (and shows)."""
    expect: JMESPath | None = None
    """Over the body read as JSON (or `query`'s value): must be true to pass."""
    verify: bool = True
    ca_file: str | None = None
    # None: no floor; a `module` that skips verification accepts an expired
    # certificate, as blackbox_exporter does.
    min_days_valid: int | None = Field(default=0, ge=0)

    @field_validator("body", "query", "expect")
    @classmethod
    def _not_with_head(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("method") == "HEAD":
            raise ValueError(
                f"a HEAD response has no body to judge: drop `{info.field_name}` or use GET"
            )
        return value

    @field_validator("headers")
    @classmethod
    def _own_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name in headers:
            why = _RESERVED_HEADERS.get(name.lower())
            if why is not None:
                raise ValueError(f"header {name!r} may not be set: {why}")
        return headers

    @model_validator(mode="after")
    def _reads_only(self) -> Params:
        refused = method_refusal(self.method, self.read_only_because)
        if refused is not None:
            raise ValueError(refused)
        if self.payload is not None and self.method != "POST":
            raise ValueError(f"a {self.method} request carries no `payload`: use POST")
        if self.auth is not None and not self.url.lower().startswith("https://"):
            raise ValueError("`auth` is sent only over https: the secret would cross in clear")
        return self

    def accepts(self, status: int) -> bool:
        return any(low <= status <= high for low, high in self.expect_status)

    def expected(self) -> str:
        return ", ".join(str(_render_status(pair)) for pair in self.expect_status)

    @property
    def judges_json(self) -> bool:
        return self.query is not None or self.expect is not None


@dataclass
class _Trace:
    """The phase httpcore last entered, kept by its trace extension."""

    phase: str = "connecting"

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        name, _, stage = event.partition(".")[2].rpartition(".")
        if stage == "started" and name in _PHASES:
            self.phase = _PHASES[name]


@dataclass
class _Answer:
    status: int
    reason: str
    url: str
    redirects: list[dict[str, Any]]
    tls: dict[str, Any] | None
    http_version: str = ""
    body: bytes = b""
    truncated: bool = False
    text: str = field(default="", repr=False)


async def run(params: Params, ctx: RunContext) -> CheckResult:
    trace = _Trace()
    started = time.monotonic()
    try:
        verify = client_context(verify=params.verify, ca_file=params.ca_file or ctx.ca_file)
    except (OSError, ssl.SSLError) as exc:
        return CheckResult.errored(ErrorKind.INTERNAL, f"cannot load the CA file: {exc}")
    try:
        headers = _headers(params)
    except SecretMissing as exc:
        return CheckResult.errored(ErrorKind.AUTH, one_line(f"{params.url}: {exc}"))
    redirects = _Redirects(params)
    try:
        async with asyncio.timeout(_budget(ctx)):
            answer = await _fetch(
                params,
                headers,
                verify=verify,
                budget=_budget(ctx),
                trace=trace,
                redirects=redirects,
            )
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        return result_for(_translate(exc, params, ctx, trace), details=_elapsed(started))
    except ForbiddenAddress as exc:
        verb = "refused to follow" if redirects.requests > 1 else "refused"
        return CheckResult.errored(ErrorKind.DENIED, one_line(f"{verb}: {exc}"))
    except httpx.InvalidURL as exc:  # a Location httpx cannot even parse
        summary = f"{params.url}: redirected to an invalid URL ({exc})"
        return CheckResult.failed(one_line(summary), kind=ErrorKind.PROTOCOL)
    return _judge(params, answer, _elapsed(started))


def _budget(ctx: RunContext) -> float:
    return within(ctx.timeout)


def _headers(params: Params) -> dict[str, str]:
    """The runbook's headers, and the credential read now (SecretMissing)."""
    headers = dict(params.headers)
    if params.auth is not None:
        headers["Authorization"] = authorization(params.auth)
    return headers


def _content(params: Params) -> dict[str, Any]:
    """httpx's arguments for the payload: text as it is, anything else as JSON."""
    if params.payload is None:
        return {}
    if isinstance(params.payload, str):
        return {"content": params.payload.encode()}
    return {"json": params.payload}


async def _fetch(
    params: Params,
    headers: dict[str, str],
    *,
    verify: ssl.SSLContext,
    budget: float,
    trace: _Trace,
    redirects: _Redirects,
) -> _Answer:
    async with (
        httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(budget),
            follow_redirects=params.follow_redirects,
            max_redirects=params.max_redirects,
            event_hooks={"request": [redirects]},
            transport=dial.transport(verify),
            trust_env=False,  # no proxy from the environment: we dial what we judged
        ) as client,
        client.stream(
            params.method,
            params.url,
            headers=headers,
            extensions={"trace": trace},
            **_content(params),
        ) as response,
    ):
        answer = _Answer(
            status=response.status_code,
            reason=response.reason_phrase,
            url=str(response.url),
            redirects=[{"status": r.status_code, "url": str(r.url)} for r in response.history],
            tls=_tls_facts(response),
            http_version=response.http_version,
        )
        if params.method != "HEAD":
            answer.body, answer.truncated = await _read_capped(response)
            answer.text = answer.body.decode(response.encoding or "utf-8", errors="replace")
        return answer


class _Redirects:
    """Every request, redirects included, is judged before it is sent: its
    host's spelling, and for a redirect, where it leads. (What the host
    resolves to is judged when it is dialled: bot.checks.dial.)"""

    def __init__(self, params: Params) -> None:
        origin = httpx.URL(params.url)
        self.origin = (origin.host.lower(), _port(origin))
        self.hosts = {_host_port(entry) for entry in params.redirect_hosts}
        self.requests = 0

    async def __call__(self, request: httpx.Request) -> None:
        self.requests += 1
        check_host(request.url.host)
        url = request.url
        host, port = url.host.lower(), _port(url)
        if (host, port) == self.origin or (host, port) in self.hosts or (host, None) in self.hosts:
            return
        if host == self.origin[0] and url.scheme == "https" and port == 443:
            return  # the usual upgrade from http to https
        where = f"{self.origin[0]}:{self.origin[1]}"
        raise ForbiddenAddress(
            f"a redirect to {url} leaves the target {where}; list its host in"
            " `redirect_hosts` to follow it"
        )


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _host_port(entry: str) -> tuple[str, int | None]:
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and host:
        return host.strip("[]").lower(), int(port)
    return entry.strip("[]").lower(), None


def _tls_facts(response: httpx.Response) -> dict[str, Any] | None:
    stream = response.extensions.get("network_stream")
    tls = stream.get_extra_info("ssl_object") if stream is not None else None
    return handshake_facts(tls) if tls is not None else None


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= BODY_CAP:
            return bytes(body[:BODY_CAP]), True
    return bytes(body), False


def _translate(exc: BaseException, params: Params, ctx: RunContext, trace: _Trace) -> Failure:
    where = _where(exc, params.url)
    if isinstance(exc, httpx.TooManyRedirects):
        return Failure(ErrorKind.PROTOCOL, f"{where}: more than {params.max_redirects} redirects")
    timed_out = f"timed out {trace.phase} ({ctx.timeout:g}s budget)"
    return classify_http(exc, where=where, timed_out=timed_out)


def _where(exc: BaseException, url: str) -> str:
    """The URL being fetched when it failed, which may be a redirect target."""
    try:
        request = exc.request if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:
        request = None
    return str(request.url) if request is not None else url


def _judge(params: Params, answer: _Answer, details: dict[str, Any]) -> CheckResult:
    details |= _details(answer)
    result = {
        "status": answer.status,
        "url": answer.url,
        "tls": answer.tls,
        "http_version": answer.http_version,
    }
    said = f"{answer.url} answered {answer.status} {answer.reason}".rstrip()
    if not params.accepts(answer.status):
        kind = ErrorKind.AUTH if answer.status in (401, 403) else ErrorKind.HTTP_STATUS
        summary = f"{said}, expected {params.expected()}"
        return CheckResult.failed(summary, kind=kind, details=details, result=result)
    if params.body is not None and not params.body.search(answer.text):
        summary = f"{said} but the body does not match /{params.body.pattern}/"
        return CheckResult.failed(summary, details=details, result=result)
    if params.judges_json:
        failed, shown = _judge_json(params, answer, result)
        if failed is not None:
            return CheckResult.failed(one_line(f"{said} but {failed}"), **_kw(details, result))
        said += f": {shown}" if shown else ""
    days_left = answer.tls.get("days_left") if answer.tls else None
    floor = params.min_days_valid
    if days_left is not None and floor is not None and days_left < floor:
        summary = f"{said} but its certificate expires in {days_left} days"
        summary += f" (want at least {floor})"
        return CheckResult.failed(summary, kind=ErrorKind.TLS, details=details, result=result)
    suffix = f", certificate valid {days_left} more days" if days_left is not None else ""
    return CheckResult.passed(f"{said}{suffix}", details=details, result=result)


def _kw(details: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    kind = ErrorKind.PROTOCOL if "json" not in result else None
    return {"kind": kind, "details": details, "result": result}


def _judge_json(params: Params, answer: _Answer, result: dict[str, Any]) -> tuple[str | None, str]:
    """(why the JSON fails, or None; what to show). Puts the value in `result["json"]`."""
    if answer.truncated:
        return f"its body is over {BODY_CAP // 1024} KiB: too big to judge as JSON", ""
    try:
        document = json.loads(answer.text)
    except ValueError as exc:
        start = clip(" ".join(answer.text.split())[:80])
        return f"its body is not JSON ({exc}); it starts {start!r}", ""
    selected = params.query.search(document) if params.query else document
    result["json"] = selected
    shown = _compact(selected) if params.query else ""
    if params.expect is None or truthy(params.expect.search(selected)):
        holds = f"{params.expect.expression} holds" if params.expect else ""
        return None, ", ".join(part for part in (shown, holds) if part)
    got = f" (got {_compact(selected)})" if params.query else ""
    return f"expected {params.expect.expression}{got}", ""


def _compact(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
    return clip(text)


def _details(answer: _Answer) -> dict[str, Any]:
    return {
        "status": answer.status,
        "url": answer.url,
        "redirects": answer.redirects,
        "tls": answer.tls,
        "body_bytes": len(answer.body),
        "body_truncated": answer.truncated,
    }


def _elapsed(started: float) -> dict[str, Any]:
    return {"elapsed_ms": round((time.monotonic() - started) * 1000, 1)}


def vet(written: Mapping[str, Any]) -> dict[str, str]:
    """The read-only rule over the parameters as written (placeholders and all)."""
    refused = method_refusal(written.get("method", "GET"), written.get("read_only_because"))
    return {"method": refused} if refused is not None else {}


from bot.checks.http_described import http_call, http_words  # noqa: E402

CHECK = CheckType(
    name="http",
    params=Params,
    run=run,
    description="Fetch a URL; check the status, redirects, a body regex or JSON (JMESPath),"
    " and the certificate.",
    describe=http_words,
    dry_call=http_call,
    # What is sent, how, and with which credential is the runbook's word,
    # reviewed with it: never a value an alert's labels fill in.
    from_runbook_only=frozenset({"method", "headers", "payload", "auth"}),
    literal=frozenset({"method", "read_only_because", "auth"}),
    reviews=read_by_word("http", "method"),
    vet=vet,
)
