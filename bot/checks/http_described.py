"""Docs words and the dry-run call of the `http` check."""

from __future__ import annotations

from typing import Any

from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain


def http_words(params: Words) -> str:
    method = code(plain(params.get("method", "GET")))
    statuses = code(plain(params.get("expect_status", "200-299")))
    text = f"{method} {code(plain(params.get('url')))}, expecting status {statuses}"
    body = params.get("body")
    return text + (f" and a body matching {code(plain(body))}" if body else "")


def http_call(p: Any, ctx: RunContext) -> tuple[str, Call]:
    redirects = f"up to {p.max_redirects}" if p.follow_redirects else "none"
    call = {"type": "http", "method": p.method, "url": p.url, "follow_redirects": redirects}
    return f"{p.method} {p.url} (redirects followed: {redirects})", call
