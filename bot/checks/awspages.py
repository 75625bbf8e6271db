"""`paginate: true` on the `aws` check: boto3's paginator, a cap on pages, a deadline.

Runs on the AWS executor's thread (blocking). Each page is one call; pages
are merged the way botocore merges them (`build_full_result`): the lists
under the operation's result keys are concatenated, the rest is kept from the
first page. Paging stops at `max_pages`, at the deadline, or at the last
page, and says which, so that a judgement over part of a list never reads as
one over all of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jmespath
from botocore.client import BaseClient
from botocore.utils import set_value_from_jmespath


@dataclass
class PagesRead:
    read: int = 0
    more: bool = False
    """Pages remain unread."""
    capped: bool = False
    """Reading stopped at `max_pages` (else at the deadline, when `more`)."""
    max_pages: int = 0

    def details(self) -> dict[str, Any]:
        return {"pages": self.read, "more_pages": self.more}

    def caveat(self) -> str:
        if not self.more:
            return ""
        return f" (first {self.read} pages only: more remain; raise max_pages to read them)"


Pages = PagesRead | None


def _keys(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def read_pages(
    client: BaseClient,
    operation: str,
    arguments: dict[str, Any],
    *,
    config: dict[str, Any],
    max_pages: int,
    deadline: float,
) -> tuple[dict[str, Any], PagesRead]:
    """`config` is botocore's paginator entry for `operation` (its tokens and
    result keys); `deadline` is on time.monotonic()."""
    result_keys = _keys(config.get("result_key"))
    tokens = _keys(config.get("output_token"))
    pages = PagesRead(max_pages=max_pages)
    merged: dict[str, Any] = {}
    retries = 0
    for page in client.get_paginator(operation).paginate(**arguments):
        pages.read += 1
        retries += page.pop("ResponseMetadata", {}).get("RetryAttempts", 0)
        merged = page if pages.read == 1 else _merge(merged, page, result_keys)
        pages.more = any(jmespath.search(token, page) for token in tokens)
        if not pages.more:
            break
        if pages.read >= max_pages:
            pages.capped = True
            break
        if time.monotonic() >= deadline:
            break  # more remain and no time: the caller reports it
    for token in tokens:
        if "." not in token and token in merged:
            del merged[token]  # a token is botocore's business, not the answer
    merged["ResponseMetadata"] = {"RetryAttempts": retries}
    return merged, pages


def _merge(merged: dict[str, Any], page: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    for key in keys:
        more = jmespath.search(key, page)
        if not isinstance(more, list):
            continue
        so_far = jmespath.search(key, merged)
        set_value_from_jmespath(merged, key, [*(so_far or []), *more])
    return merged
