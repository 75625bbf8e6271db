"""Base model and shared field types for executor parameters.

Parameters are validated when a runbook loads, so regexes and JMESPath
expressions are compiled then, not when a responder is waiting.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit

import jmespath
import jmespath.exceptions
import jmespath.parser
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from bot.checks.addresses import check_host, check_target, check_url


class Params(BaseModel):
    """Every executor's parameter model derives from this."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@lru_cache(maxsize=1024)
def compile_jmespath(expression: str) -> jmespath.parser.ParsedResult:
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        where = getattr(exc, "lex_position", None)
        at = f" at column {where + 1}" if isinstance(where, int) else ""
        reason = str(exc).splitlines()[0].rstrip(":")
        raise ValueError(f"bad JMESPath expression {expression!r}{at}: {reason}") from exc


def _to_jmespath(value: Any) -> jmespath.parser.ParsedResult:
    if isinstance(value, jmespath.parser.ParsedResult):
        return value
    if not isinstance(value, str):
        raise ValueError("a JMESPath expression must be a string")
    return compile_jmespath(value)


def truthy(value: Any) -> bool:
    """JMESPath's truth: false, null, "", [] and {} are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {url!r}")
    return check_url(url)


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""An http:// or https:// URL with a host (kept as written), never a
link-local or metadata address (`bot.checks.addresses`)."""

Host = Annotated[str, StringConstraints(min_length=1), AfterValidator(check_host)]
"""A host name or address a check connects to; never link-local or metadata."""

Target = Annotated[str, StringConstraints(min_length=1), AfterValidator(check_target)]
"""What a blackbox module probes: a URL, host:port or a host; never
link-local or metadata."""


@lru_cache(maxsize=1024)
def compile_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc


def _to_regex(value: Any) -> re.Pattern[str]:
    if isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str):
        raise ValueError("a regular expression must be a string")
    return compile_regex(value)


JMESPath = Annotated[
    jmespath.parser.ParsedResult,
    PlainValidator(_to_jmespath),
    PlainSerializer(lambda e: e.expression, return_type=str),
    WithJsonSchema({"type": "string", "description": "a JMESPath expression"}),
]
"""A JMESPath expression, compiled at validation time."""

Regex = Annotated[
    re.Pattern[str],
    PlainValidator(_to_regex),
    PlainSerializer(lambda p: p.pattern, return_type=str),
    WithJsonSchema({"type": "string", "format": "regex"}),
]
"""A Python regular expression, compiled at validation time."""
