"""Docs words and the dry-run call of the `aws` check: which API, where.

`endpoint_of` is shared with the checks built on other AWS APIs (`logs`,
`cloudwatch`, `command`), so that each names the endpoint it would reach.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import OperationModel

from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, env, plain

Lookup = Callable[[str, str], OperationModel]


def aws_words(params: Words) -> str:
    text = f"AWS call {code(plain(params.get('call')))}"
    if params.get("region"):
        text += f" in {code(plain(params['region']))}"
    arguments: Mapping[str, Any] = params.get("params") or {}
    if arguments:
        text += " with " + ", ".join(f"{k} {code(plain(v))}" for k, v in arguments.items())
    if params.get("paginate"):
        text += f", every page up to {plain(params.get('max_pages', 10))}"
    return text


def region_of(region: str | None, ctx: RunContext) -> str | None:
    return region or ctx.aws.region or env("AWS_REGION", "AWS_DEFAULT_REGION")


def endpoint_of(service: str, prefix: str, region: str | None, ctx: RunContext) -> str:
    """The endpoint boto3 would reach: the site's, the environment's, or AWS's own."""
    endpoint = ctx.aws.endpoint_url or env(f"AWS_ENDPOINT_URL_{service.upper()}")
    endpoint = endpoint or env("AWS_ENDPOINT_URL")
    return endpoint or f"https://{prefix}.{region or '<region>'}.amazonaws.com"


def aws_call(p: Any, ctx: RunContext, operation_model: Lookup) -> tuple[str, Call]:
    """`p` is the aws check's parameters; `operation_model` its botocore lookup."""
    model = operation_model(p.service, p.operation)
    region = region_of(p.region, ctx)
    endpoint = endpoint_of(p.service, model.service_model.endpoint_prefix, region, ctx)
    call = {
        "type": "aws",
        "call": p.call,
        "operation": f"{model.service_model.service_id}.{model.name}",
        "params": p.params,
        "region": region or "boto3 default",
        "endpoint": endpoint,
    }
    arguments = json.dumps(p.params, separators=(",", ":"), default=str)
    pages = ""
    if p.paginate:
        call["paginate"] = f"up to {p.max_pages} pages"
        pages = f" (paginated, up to {p.max_pages} pages)"
    return f"AWS {p.call} {arguments}{pages} in {call['region']} at {endpoint}", call
