"""Slack Web API errors and retries, counted where slack_sdk decides on retries.

slack_sdk asks each of a client's retry handlers, after every attempt,
whether to try again. The first handler here never does: it only notes
failed attempts. The others are the real ones, wrapped to count the retries
they make. Bolt copies the app client's handler list into every per-request
client, so listeners' own calls are counted too.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import Metrics

_REASONS: dict[type[AsyncRetryHandler], str] = {
    AsyncRateLimitErrorRetryHandler: "ratelimited",
    AsyncConnectionErrorRetryHandler: "connection",
    AsyncServerErrorRetryHandler: "server_error",
}


def instrument(client: AsyncWebClient, metrics: Metrics) -> None:
    handlers = [_Counted(h, metrics) for h in client.retry_handlers]
    client.retry_handlers = [_Observer(metrics), *handlers]


def method_of(url: str) -> str:
    """`chat.postMessage` from its URL; file bytes go to per-file URLs,
    which are all `upload` (one label value, not one per file)."""
    head, sep, method = url.rpartition("/api/")
    return method.strip("/") if sep and head else "upload"


def _error_of(response: HttpResponse | None, error: Exception | None) -> str | None:
    if error is not None:
        return type(error).__name__
    if response is None:
        return None
    body = response.body if isinstance(response.body, dict) else {}
    if response.status_code >= 400 or body.get("ok") is False:
        return str(body.get("error") or f"http_{response.status_code}")
    return None


class _Observer(AsyncRetryHandler):
    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        failed = _error_of(response, error)
        if failed is not None:
            self._metrics.slack_errors.labels(method_of(request.url), failed).inc()
        return False


class _Counted(AsyncRetryHandler):
    def __init__(self, inner: AsyncRetryHandler, metrics: Metrics) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self._inner = inner
        self._metrics = metrics
        self._reason = next(
            (reason for kind, reason in _REASONS.items() if isinstance(inner, kind)),
            type(inner).__name__,
        )

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return await self._inner.can_retry_async(
            state=state, request=request, response=response, error=error
        )

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self._metrics.slack_retries.labels(method_of(request.url), self._reason).inc()
        await self._inner.prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )
