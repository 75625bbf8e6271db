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

from bot.checks import timefuncs
from bot.checks.addresses import check_host, check_target, check_url


class Params(BaseModel):
    """Every executor's parameter model derives from this."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@lru_cache(maxsize=1024)
def compile_jmespath(expression: str) -> jmespath.parser.ParsedResult:
    """Compiled, with the time functions (bot/checks/timefuncs.py) in reach
    and every function it calls known now: a misspelled one is a load
    error, not a crash during an incident."""
    try:
        parsed = jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        where = getattr(exc, "lex_position", None)
        at = f" at column {where + 1}" if isinstance(where, int) else ""
        reason = str(exc).splitlines()[0].rstrip(":")
        raise ValueError(f"bad JMESPath expression {expression!r}{at}: {reason}") from exc
    problems = timefuncs.unknown_calls(parsed.parsed)  # type: ignore[arg-type]
    if problems:
        raise ValueError(f"JMESPath expression {expression!r}: {'; '.join(problems)}")
    return timefuncs.Expression(parsed.expression, parsed.parsed)


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


def _to_seconds(value: Any) -> int:
    # The same units as the `duration()` function of expressions.
    parsed = timefuncs.parse_duration(value) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif parsed is not None:
        seconds = parsed
    else:
        raise ValueError(f"expected a duration like 90s, 15m, 2h or 1d, got {value!r}")
    if not 1 <= seconds <= 14 * 86400:
        raise ValueError(f"duration {value!r} is not between 1 s and 14 days")
    return seconds


Duration = Annotated[
    int,
    PlainValidator(_to_seconds),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "pattern": timefuncs.DURATION_PATTERN},
                {"type": "integer", "description": "seconds"},
            ]
        }
    ),
]
"""A relative window back from now: `15m`, `2h`, `1d`, `90s` or seconds; kept in seconds."""


def duration_text(seconds: int) -> str:
    """Seconds as the largest whole unit: 900 -> 15m."""
    for unit in ("d", "h", "m"):
        if seconds % timefuncs.UNIT_S[unit] == 0:
            return f"{seconds // timefuncs.UNIT_S[unit]}{unit}"
    return f"{seconds}s"


def attended_only(params: Params) -> str | None:
    """Why this check may run only when a person asked for it (a `command`
    not marked `unattended: true`), or None: auto-triage skips it then."""
    reason = getattr(params, "needs_a_person", None)
    return reason() if callable(reason) else None
