"""Time in runbook expressions: JMESPath functions every expression gets.

    now()               seconds since the epoch, now
    to_epoch(x)         a timestamp (ISO 8601, an HTTP/e-mail date, a
                        certificate's notAfter, or a number) as epoch seconds
    age(x)              seconds since x
    duration('15m')     seconds in a duration written as `since:` windows
                        are (90s, 15m, 2h, 1d)

So `expect: "age(LastModified) < duration('26h')"` and
`if: "to_epoch(checks.cert.result.not_after) < now() + duration('14d')"` say
what they mean. A value
that is not a time gives null (falsy), never a crash mid-incident.

Every expression is compiled by `compile_jmespath` (bot/checks/params.py),
which returns an `Expression` searching with the one `OPTIONS` below, and
refuses a function name not in this table at load time.
"""

from __future__ import annotations

import difflib
import re
import ssl
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import jmespath.functions
import jmespath.parser
from jmespath.functions import signature

DURATION_PATTERN = r"^\s*(\d+)\s*(s|m|h|d)\s*$"
_DURATION = re.compile(DURATION_PATTERN)
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int | None:
    """Seconds in `90s`, `15m`, `2h`, `1d`; None when it is not one."""
    match = _DURATION.match(text)
    return int(match[1]) * UNIT_S[match[2]] if match else None


def epoch(value: Any) -> float | None:
    """A timestamp as epoch seconds, or None when it is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    for parse in (_iso, _mail, _cert):
        seconds = parse(text)
        if seconds is not None:
            return seconds
    return None


def _iso(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _mail(text: str) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _cert(text: str) -> float | None:
    try:  # `Nov 30 06:00:00 2026 GMT`, as ssl reports notAfter
        return float(ssl.cert_time_to_seconds(text))
    except ValueError:
        return None


class TimeFunctions(jmespath.functions.Functions):
    @signature()
    def _func_now(self) -> float:
        return time.time()

    @signature({"types": ["string", "number"]})
    def _func_to_epoch(self, value: Any) -> float | None:
        return epoch(value)

    @signature({"types": ["string", "number"]})
    def _func_age(self, value: Any) -> float | None:
        seconds = epoch(value)
        return None if seconds is None else time.time() - seconds

    @signature({"types": ["string", "number"]})
    def _func_until(self, value: Any) -> float | None:
        """Seconds until `value` (negative once past): JMESPath has no
        arithmetic, so "expires in under 14 days" is
        `until(not_after) < duration('14d')`."""
        seconds = epoch(value)
        return None if seconds is None else seconds - time.time()

    @signature({"types": ["string", "number"]})
    def _func_ago(self, value: Any) -> float | None:
        """The moment `value` (a duration: '15m') before now, in epoch
        seconds: a relative start for an AWS call's time range."""
        seconds = value if isinstance(value, int | float) else parse_duration(value)
        return None if seconds is None else time.time() - seconds

    @signature({"types": ["string", "number"]})
    def _func_duration(self, value: Any) -> int | None:
        if isinstance(value, int | float):
            return int(value)
        return parse_duration(value)

    @signature({"types": ["string"]})
    def _func_split(self, text: str) -> list[str]:
        """`split('imap, smtp')` -> ["imap", "smtp"]: a list written as text
        (target attrs and variables are text), for `for_each`."""
        return [part.strip() for part in text.split(",") if part.strip()]


FUNCTIONS = TimeFunctions()
OPTIONS = jmespath.Options(custom_functions=FUNCTIONS)


def known_functions() -> dict[str, list[dict[str, Any]]]:
    """Function name -> its argument signature."""
    table: dict[str, dict[str, Any]] = FUNCTIONS.FUNCTION_TABLE
    return {name: entry["signature"] for name, entry in table.items()}


class Expression(jmespath.parser.ParsedResult):
    """A compiled expression that always searches with the time functions."""

    def search(self, value: Any, options: jmespath.Options | None = None) -> Any:
        return super().search(value, options or OPTIONS)


def unknown_calls(node: dict[str, Any]) -> list[str]:
    """What is wrong with the function calls in an expression's tree: an
    unknown name (with a suggestion) or the wrong number of arguments."""
    problems: list[str] = []
    if node.get("type") == "function_expression":
        name = str(node["value"])
        known = known_functions()
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            problems.append(f"unknown function {name}(){hint}")
        else:
            problems += _arity(name, known[name], len(node["children"]))
    for child in node.get("children", []):
        if isinstance(child, dict):
            problems += unknown_calls(child)
    return problems


def _arity(name: str, spec: list[dict[str, Any]], given: int) -> list[str]:
    variadic = bool(spec) and bool(spec[-1].get("variadic"))
    if given == len(spec) or (variadic and given >= len(spec)):
        return []
    wanted = f"at least {len(spec)}" if variadic else str(len(spec))
    return [f"{name}() takes {wanted} argument(s), got {given}"]
