"""Why an instant query found no series: the label value it asked for, and
the values Prometheus does have for that label.

The commonest cause is a runbook naming a target by the address in the site
config (`instance="imap.example.com:143"`) while Prometheus's `instance`
label holds what its scrape config made of it (`127.0.0.1:9115`, a URL, a
name after relabelling). Only the query's first `metric{...}` selector is
read, and only when every matcher in it is plain `name op "value"`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

_SELECTOR = re.compile(r"(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)?\s*\{(?P<body>[^{}]*)\}")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
# The label a target's address usually lands in: asked about first.
_PREFERRED = "instance"
_SHOWN = 5

Query = Callable[[str], Awaitable[list[dict[str, Any]]]]


class Matcher(NamedTuple):
    label: str
    op: str
    value: str

    def text(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'


class Selector(NamedTuple):
    name: str
    matchers: list[Matcher]

    def without(self, label: str) -> str:
        rest = ",".join(m.text() for m in self.matchers if m.label != label)
        return f"{self.name}{{{rest}}}"


def selector(query: str) -> Selector | None:
    found = _SELECTOR.search(query)
    if found is None:
        return None
    body, matchers, at = found.group("body"), [], 0
    while at < len(body.rstrip()):
        match = _MATCHER.match(body, at)
        if match is None:
            return None
        matchers.append(Matcher(*match.groups()))
        at = match.end()
    return Selector(found.group("name") or "", matchers)


async def why_empty(query: str, ask: Query) -> str | None:
    """`no series with instance="x"; probe_success{job="j"} has instance="y"`,
    or None when the query is not one this can read."""
    found = selector(query)
    if found is None:
        return None
    equal = [m for m in found.matchers if m.op == "=" and m.value]
    if not equal:
        return None
    chosen = next((m for m in equal if m.label == _PREFERRED), equal[-1])
    wider = found.without(chosen.label)
    if wider.endswith("{}") and not found.name:
        return None
    values = sorted({s["metric"].get(chosen.label, "") for s in await ask(
        f"group by ({chosen.label}) ({wider})"
    )})  # fmt: skip
    head = f"no series with {chosen.text()}"
    if not values:
        return f"{head}; {wider} has no series either"
    shown = ", ".join(f'"{v}"' for v in values[:_SHOWN])
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return f"{head}; {wider} has {chosen.label}={shown}{more}"
