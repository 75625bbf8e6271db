"""Asking a vantage point (blackbox_exporter, Prometheus) over HTTP.

Shared by the `blackbox` and `prometheus` checks: finding the point in the
site config, its share of the check's budget, one HTTP client per point for
the life of the event loop, and httpx's exceptions translated once into
error kinds.
"""

from __future__ import annotations

import asyncio
import functools
import math
import ssl
import weakref
from collections.abc import Mapping

import httpx

from bot.checks import dial
from bot.checks.addresses import ForbiddenAddress
from bot.checks.budget import within
from bot.checks.context import RunContext, VantagePoint
from bot.checks.errors import classify_http
from bot.checks.result import CheckResult, ErrorKind, one_line

# The header Prometheus sends with a scrape; blackbox_exporter bounds its
# probe by it (minus half a second), so the probe ends before our deadline.
SCRAPE_TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"


class Unanswered(Exception):
    """The vantage point could not be asked, or did not answer sensibly."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def result(self) -> CheckResult:
        return CheckResult.errored(self.kind, one_line(self.message))


def lookup(ctx: RunContext, name: str, kind: str) -> VantagePoint | CheckResult:
    """The configured point, or the result to give when there is none: a
    missing point is skipped (this site cannot look from there), a point of
    the wrong kind is an error in the site config."""
    point = ctx.vantage.points.get(name)
    if point is None:
        known = ", ".join(sorted(ctx.vantage.points)) or "none"
        summary = f"no vantage point {name!r} in the site config (configured: {known})"
        return CheckResult.skipped(summary)
    if point.kind != kind:
        summary = f"vantage point {name!r} is a {point.kind}, not a {kind}"
        return CheckResult.errored(ErrorKind.INTERNAL, summary)
    return point


# The running loop -> (point URL's origin, TLS setting) -> its client. A client
# belongs to one loop (its pooled connections do); a loop that ends drops its
# entry with it.
_CLIENTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str], httpx.AsyncClient]
] = weakref.WeakKeyDictionary()


def client_for(point: VantagePoint) -> httpx.AsyncClient:
    """The client for asking `point`, shared by every check on this loop for
    as long as it runs: building one per check cost a transport, a pool and a
    new connection each time (issue 19). One per point, because the dial
    policy's transport takes the first host it dials for the target, and
    every request to a point goes to that point's one origin (no redirects
    are followed). Close them with `aclose_clients()` at shutdown."""
    url = httpx.URL(point.url)
    key = (f"{url.scheme}://{url.host}:{url.port}", "verify-default")
    clients = _CLIENTS.setdefault(asyncio.get_running_loop(), {})
    client = clients.get(key)
    if client is None or client.is_closed:
        client = clients[key] = new_client()
    return client


async def aclose_clients() -> None:
    """Close this loop's shared clients (and their kept-alive connections)."""
    clients = _CLIENTS.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()


def new_client() -> httpx.AsyncClient:
    """A client for one check's questions, dialling through the dial policy
    (bot.checks.dial). Its TLS context is built once: a fresh one loads
    certifi's bundle (about 20 ms, on the event loop)."""
    return httpx.AsyncClient(transport=dial.transport(_tls()), trust_env=False)


@functools.cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def budget(point: VantagePoint, ctx: RunContext) -> float:
    """The check's own share (bot.checks.budget), or less where the point says."""
    return min(within(ctx.timeout), point.timeout or math.inf)


async def get(
    client: httpx.AsyncClient,
    url: str,
    params: Mapping[str, str],
    *,
    seconds: float,
) -> httpx.Response:
    """GET within `seconds` in all (httpx's timeouts are per operation, so a
    trickling answer could outlast them); every way that can fail raises
    Unanswered."""
    headers = {SCRAPE_TIMEOUT_HEADER: f"{seconds:.3f}"}
    try:
        async with asyncio.timeout(seconds):
            return await client.get(url, params=params, headers=headers, timeout=seconds)
    except ForbiddenAddress as exc:
        raise Unanswered(ErrorKind.DENIED, f"{url}: refused: {exc}") from exc
    except (httpx.HTTPError, TimeoutError) as exc:
        failure = classify_http(exc, where=url, timed_out=f"no answer within {seconds:.3g} s")
        raise Unanswered(failure.kind, failure.message) from exc
