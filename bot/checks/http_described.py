"""Docs words and the dry-run call of the `http` check.

Credentials are shown by where they come from (`Bearer <environment variable
GRAFANA_TOKEN>`), never read: a dry run and the docs cannot leak them.
"""

from __future__ import annotations

import json
from typing import Any

from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain


def http_words(params: Words) -> str:
    method = code(plain(params.get("method", "GET")))
    statuses = code(plain(params.get("expect_status", "200-299")))
    text = f"{method} {code(plain(params.get('url')))}, expecting status {statuses}"
    body = params.get("body")
    text += f" and a body matching {code(plain(body))}" if body else ""
    if params.get("query"):
        text += f", reporting {code(plain(params['query']))} of its JSON"
    auth = params.get("auth")
    if isinstance(auth, dict) and auth:
        text += f", with {plain(next(iter(auth)))} credentials read at run time"
    return text


def _auth_shown(p: Any) -> str | None:
    return p.auth.shown() if p.auth is not None else None


def http_call(p: Any, ctx: RunContext) -> tuple[str, Call]:
    redirects = f"up to {p.max_redirects}" if p.follow_redirects else "none"
    headers = dict(p.headers)
    auth = _auth_shown(p)
    if auth is not None:
        headers["Authorization"] = auth
    call: Call = {"type": "http", "method": p.method, "url": p.url, "follow_redirects": redirects}
    if headers:
        call["headers"] = headers
    if p.payload is not None:
        call["payload"] = p.payload
    if p.query is not None or p.expect is not None:
        call["json"] = {
            "query": p.query.expression if p.query else None,
            "expect": p.expect.expression if p.expect else None,
        }
    say = f"{p.method} {p.url} (redirects followed: {redirects})"
    if headers:
        say += ", headers " + ", ".join(f"{k}: {v}" for k, v in headers.items())
    if p.payload is not None:
        say += ", payload " + json.dumps(p.payload, separators=(",", ":"), default=str)
    if p.query is not None:
        say += f", report {p.query.expression} of the JSON body"
    if p.expect is not None:
        say += f", pass when {p.expect.expression}"
    return say, call
