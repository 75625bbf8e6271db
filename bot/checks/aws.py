"""One read-only AWS API call through boto3, judged by JMESPath expressions.

The call and its parameters are checked against botocore's service model
when the runbook loads. botocore's errors are translated once, in
`translate`; a rejected request (a validation error) is reported as
`protocol`, since the runbook asked the API something it does not accept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import difflib
import functools
import json
import socket
import threading
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

import botocore.exceptions as bx
import botocore.session
from botocore import xform_name
from botocore.client import BaseClient
from botocore.config import Config
from botocore.model import OperationModel
from botocore.validate import ParamValidator
from pydantic import Field, ValidationInfo, field_validator, model_validator

from bot.acks import ACKS
from bot.checks.awspages import Pages, read_pages
from bot.checks.awsread import refusal
from bot.checks.budget import LAST_CALL_SHARE, stop_at, within
from bot.checks.context import AwsSettings, RunContext
from bot.checks.params import JMESPath, truthy
from bot.checks.params import Params as BaseParams
from bot.checks.result import CheckResult, CheckStatus, ErrorKind, one_line
from bot.checks.spec import CheckType


def _codes(kind: ErrorKind, names: str) -> dict[str, ErrorKind]:
    return dict.fromkeys(names.split(), kind)


# Error codes by kind; any other code falls back on the HTTP status (_BY_STATUS).
_CODES = {
    **_codes(
        ErrorKind.AUTH,
        "ExpiredToken ExpiredTokenException InvalidClientTokenId UnrecognizedClientException"
        " InvalidSignatureException SignatureDoesNotMatch AuthFailure MissingAuthenticationToken",
    ),
    **_codes(
        ErrorKind.DENIED,
        "AccessDenied AccessDeniedException UnauthorizedOperation UnauthorizedException",
    ),
    **_codes(
        ErrorKind.THROTTLED,
        "Throttling ThrottlingException ThrottledException TooManyRequests SlowDown"
        " TooManyRequestsException RequestLimitExceeded RequestThrottledException",
    ),
    **_codes(
        ErrorKind.PROTOCOL,
        "ValidationException ValidationError ClientException InvalidRequestException"
        " InvalidRequest MalformedQueryString SerializationException",
    ),
}
_BY_STATUS = {
    401: ErrorKind.AUTH,
    403: ErrorKind.DENIED,
    404: ErrorKind.NOT_FOUND,
    429: ErrorKind.THROTTLED,
}
_CREDENTIALS = (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError)
_EXCEPTIONS: tuple[tuple[tuple[type[Exception], ...], ErrorKind], ...] = (
    ((bx.ConnectTimeoutError, bx.ReadTimeoutError), ErrorKind.TIMEOUT),
    ((bx.SSLError,), ErrorKind.TLS),
    ((bx.ParamValidationError, bx.ConnectionClosedError), ErrorKind.PROTOCOL),
    ((*_CREDENTIALS, bx.UnknownCredentialError), ErrorKind.AUTH),
)


class Params(BaseParams):
    allow_operation: str | None = Field(default=None, min_length=10)
    """Why a call outside the plain read rule is safe to run unattended
    (bot.checks.awsread); `triage lint` lists every one for review."""
    call: str = Field(pattern=r"^[a-z0-9-]+\.[a-z0-9_]+$")
    params: dict[str, Any] = Field(default_factory=dict)
    paginate: bool = False
    """Follow the operation's pages with boto3's paginator, merging them."""
    max_pages: int = Field(default=10, ge=1, le=100)
    """At most this many pages (a page is one call); the summary says when more remain."""
    query: JMESPath | None = None
    expect: JMESPath | None = None
    offending: JMESPath | None = None
    region: str | None = None

    @field_validator("call")
    @classmethod
    def _known_call(cls, call: str, info: ValidationInfo) -> str:
        model = operation_model(*call.split("."))
        reason = refusal(call, model, {}, info.data.get("allow_operation"))
        if reason is not None:
            raise ValueError(reason)
        return call

    @field_validator("params")
    @classmethod
    def _valid_params(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if "call" not in info.data:
            return params  # the call itself was rejected
        call = info.data["call"]
        model = operation_model(*call.split("."))
        reason = refusal(call, model, params, info.data.get("allow_operation"))
        if reason is not None:
            raise ValueError(reason)
        shape = model.input_shape
        if shape is None and params:
            raise ValueError(f"{call} takes no params")
        report = ParamValidator().validate(params, shape) if shape is not None else None
        if report is not None and report.has_errors():
            raise ValueError(f"bad params for {call}: {report.generate_report()}")
        return params

    @field_validator("paginate")
    @classmethod
    def _can_paginate(cls, paginate: bool, info: ValidationInfo) -> bool:
        call = info.data.get("call")
        if paginate and call is not None and paginator_config(*call.split(".")) is None:
            raise ValueError(
                f"{call} cannot be paginated (botocore has no paginator for it):"
                " drop `paginate`, it answers in one page"
            )
        return paginate

    @model_validator(mode="after")
    def _pages_need_paginate(self) -> Params:
        if "max_pages" in self.model_fields_set and not self.paginate:
            raise ValueError("`max_pages` limits `paginate: true`: set that too, or drop it")
        return self

    @property
    def service(self) -> str:
        return self.call.partition(".")[0]

    @property
    def operation(self) -> str:
        return self.call.partition(".")[2]


@cache
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case method name -> API operation name, for one service."""
    services = _botocore().get_available_services()
    if service not in services:
        raise ValueError(f"unknown AWS service {service!r}{_did_you_mean(service, services)}")
    model = _botocore().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def _did_you_mean(word: str, known: list[str]) -> str:
    """Names from botocore's service model close to a misspelled one."""
    close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    operations = _operations(service)
    if operation not in operations:
        hint = _did_you_mean(operation, list(operations))
        raise ValueError(f"AWS service {service!r} has no operation {operation!r}{hint}")
    return _botocore().get_service_model(service).operation_model(operations[operation])


@cache
def paginator_config(service: str, operation: str) -> dict[str, Any] | None:
    """botocore's paginator for the operation (tokens, result keys), or None."""
    name = operation_model(service, operation).name
    try:
        config: dict[str, Any] = _botocore().get_paginator_model(service).get_paginator(name)
    except (ValueError, bx.UnknownServiceError, bx.DataNotFoundError):
        return None
    return config


@lru_cache(maxsize=64)
def _client(service: str, region: str | None, aws: AwsSettings) -> BaseClient:
    """Clients are thread-safe once built; sessions are not, so each gets its own."""
    # boto3 is imported on first use: `triage lint` needs botocore's service
    # models, never a client (bench/lint_shelf.py, tests/cli/test_lazy_imports.py).
    import boto3.session  # noqa: PLC0415

    config = Config(
        retries={"mode": "standard", "total_max_attempts": aws.max_attempts},
        connect_timeout=aws.connect_timeout,
        read_timeout=aws.read_timeout,
    )
    client: BaseClient = boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name=region, endpoint_url=aws.endpoint_url, config=config
    )
    return client


def clear_clients() -> None:
    """Forget cached clients, e.g. after the credentials in the environment changed."""
    _client.cache_clear()


# boto3 calls block: they run on their own threads, never on asyncio's default
# pool, which name lookups and other blocking work share: a few hung calls or
# lookups there must not make every AWS check miss its deadline (and the
# reverse). Bounded: calls past their deadline still hold a thread until
# botocore's own connect/read timeouts end them.
EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="triage-aws")

# Building a client is slow and holds the GIL; many checks starting at once
# (Run all over several incidents) would each build their own and starve the
# event loop. One at a time, the rest wait in their worker threads for the
# cached one.
_building = threading.Lock()


def call(
    service: str, operation: str, params: dict[str, Any], *, region: str | None, aws: AwsSettings
) -> dict[str, Any]:
    """One boto3 call, blocking: run it off the event loop. Shared with
    escalation actions, which translate errors with `translate` too."""
    ACKS.hold()  # boto3's Python would take the GIL from an ack on its way
    with _building:
        client = _client(service, region or aws.region, aws)
    response: dict[str, Any] = getattr(client, operation)(**params)
    response.pop("ResponseMetadata", None)
    plain: dict[str, Any] = to_json(response)
    return plain


async def call_off_loop(
    service: str, operation: str, params: dict[str, Any], *, region: str | None, aws: AwsSettings
) -> dict[str, Any]:
    """`call` on the AWS executor (never asyncio's default pool, which DNS
    lookups and others share): a hung AWS peer holds only AWS's threads."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        EXECUTOR, functools.partial(call, service, operation, params, region=region, aws=aws)
    )


def _invoke(params: Params, ctx: RunContext, deadline: float) -> tuple[dict[str, Any], Pages]:
    ACKS.hold()  # boto3's Python would take the GIL from an ack on its way
    with _building:
        client = _client(params.service, params.region or ctx.aws.region, ctx.aws)
    config = paginator_config(params.service, params.operation) if params.paginate else None
    if config is not None:
        return read_pages(
            client,
            params.operation,
            params.params,
            config=config,
            max_pages=params.max_pages,
            deadline=deadline,
        )
    response: dict[str, Any] = getattr(client, params.operation)(**params.params)
    return response, None


async def run(params: Params, ctx: RunContext) -> CheckResult:
    # The worker thread stops asking for pages at this point, so that the
    # calls it makes end before the check's own deadline does.
    stop_paging = stop_at(ctx.timeout, LAST_CALL_SHARE)
    try:
        async with asyncio.timeout(within(ctx.timeout)):
            loop = asyncio.get_running_loop()
            response, pages = await loop.run_in_executor(
                EXECUTOR, _invoke, params, ctx, stop_paging
            )
    except TimeoutError:
        summary = f"{params.call}: no answer within the {ctx.timeout:g}s budget"
        return CheckResult.errored(ErrorKind.TIMEOUT, summary)
    except (bx.BotoCoreError, bx.ClientError) as exc:
        kind, message = translate(exc)
        return CheckResult.errored(kind, one_line(f"{params.call}: {message}"))
    if pages is not None and pages.more and not pages.capped:
        summary = (
            f"{params.call}: read {pages.read} pages and more remain, but the"
            f" {ctx.timeout:g}s budget ran out: raise the check's timeout"
        )
        return CheckResult.errored(ErrorKind.TIMEOUT, summary, details=pages.details())
    return _judge(params, response, pages)


def translate(exc: Exception) -> tuple[ErrorKind, str]:
    """Any boto3/botocore exception -> (kind, message): the one place that knows them."""
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        return _kind_of(code, status), f"{code}: {error.get('Message', '')}".rstrip(": ")
    if isinstance(exc, bx.EndpointConnectionError):
        return _unreachable(exc)
    for types, kind in _EXCEPTIONS:
        if isinstance(exc, types):
            return kind, str(exc)
    return ErrorKind.INTERNAL, f"{type(exc).__name__}: {exc}"


def _kind_of(code: str, status: int) -> ErrorKind:
    if code in _CODES:
        return _CODES[code]
    if "NotFound" in code or code.startswith("NoSuch"):
        return ErrorKind.NOT_FOUND
    if code.startswith("InvalidParameter"):
        return ErrorKind.PROTOCOL
    fallback = ErrorKind.PROTOCOL if 400 <= status < 500 else ErrorKind.INTERNAL
    return _BY_STATUS.get(status, fallback)


def _unreachable(exc: bx.EndpointConnectionError) -> tuple[ErrorKind, str]:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return ErrorKind.DNS, f"{exc.kwargs.get('endpoint_url')}: name does not resolve"
        cause = cause.__cause__ or cause.__context__
    return ErrorKind.REFUSED, str(exc)


def _judge(params: Params, response: dict[str, Any], pages: Pages = None) -> CheckResult:
    attempts = response.pop("ResponseMetadata", {}).get("RetryAttempts", 0)
    plain = to_json(response)
    missing = _ecs_missing(params, plain)
    if missing:
        summary = f"{params.call}: not found: {', '.join(missing)}"
        return CheckResult.errored(ErrorKind.NOT_FOUND, summary, details={"failures": missing})
    selected = params.query.search(plain) if params.query else plain
    details = {"call": params.call, "params": params.params, "retries": attempts}
    # Said in every summary: a judgement over some pages is not over all.
    partial = pages.caveat() if pages is not None else ""
    if pages is not None:
        details |= pages.details()
    if params.expect is None:
        summary = f"{params.call}: answered{partial}"
        return CheckResult.passed(summary, details=details, result=selected)
    if truthy(params.expect.search(selected)):
        summary = f"{params.call}: {params.expect.expression} holds{partial}"
        return CheckResult.passed(one_line(summary), details=details, result=selected)
    offending = params.offending.search(selected) if params.offending else None
    # Name what is wrong when the runbook says how to find it; the
    # expression itself only when there is nothing better to show.
    summary = f"{params.call}: expected {params.expect.expression}"
    if truthy(offending):
        summary = f"{params.call}: offending {compact(offending)}"
        details["offending"] = offending
    details["result"] = selected
    return CheckResult.failed(one_line(summary + partial), details=details, result=selected)


def _ecs_missing(params: Params, response: dict[str, Any]) -> list[str]:
    """ECS reports unknown names in `failures[]` instead of raising."""
    if params.service != "ecs":
        return []
    failures = response.get("failures") or []
    return [
        str(f.get("arn", "?")).rsplit("/", 1)[-1] for f in failures if f.get("reason") == "MISSING"
    ]


def compact(value: Any) -> str:
    """Offending items as `key=value` of their scalar fields, for a one-line summary."""
    items = value if isinstance(value, list) else [value]
    shown = "; ".join(_compact_item(item) for item in items)
    return f"{len(items)}: {shown}" if isinstance(value, list) else shown


def _compact_item(item: Any) -> str:
    if isinstance(item, dict):
        scalars = {k: v for k, v in item.items() if not isinstance(v, list | dict)}
        if scalars:
            return " ".join(f"{k}={v}" for k, v in scalars.items())
    return json.dumps(item, separators=(",", ":"), default=str)


def to_json(value: Any) -> Any:
    """boto3's answer as plain JSON values: datetimes become ISO strings."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def vet(written: Mapping[str, Any]) -> dict[str, str]:
    """The read-only rule over the parameters as written: a placeholder where
    `WithDecryption` would go counts as asking for decryption."""
    call, params = written.get("call"), written.get("params", {})
    if not isinstance(params, dict):
        return {"params": "params must be a mapping written out (placeholders go inside it)"}
    if not isinstance(call, str):
        return {}
    try:
        model = operation_model(*call.split("."))
    except ValueError:
        return {}  # reported by the model's own validation
    allowed = written.get("allow_operation")
    allowed = allowed if isinstance(allowed, str) else None
    by_name = refusal(call, model, {}, allowed)
    if by_name is not None:
        return {"call": by_name}
    by_params = refusal(call, model, params, allowed)
    return {"params": by_params} if by_params is not None else {}


def reviews(written: Mapping[str, Any]) -> dict[str, str]:
    """A call outside the read-only verbs, allowed with a reason."""
    reason = written.get("allow_operation")
    if not isinstance(reason, str):
        return {}
    return {"allow_operation": f"review: {written.get('call')} allowed in a check: {reason}"}


from bot.checks.aws_described import aws_call, aws_words  # noqa: E402

CHECK = CheckType(
    name="aws",
    params=Params,
    run=run,
    description="Make one read-only AWS API call (Describe/List/Get...); judge the answer "
    "with JMESPath query/expect/offending.",
    on_deadline=CheckStatus.ERROR,
    describe=aws_words,
    dry_call=lambda p, ctx: aws_call(p, ctx, operation_model),
    literal=frozenset({"call", "allow_operation"}),
    vet=vet,
    reviews=reviews,
)
