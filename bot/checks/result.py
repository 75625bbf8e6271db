"""The one result type every executor returns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class CheckStatus(StrEnum):
    """`fail` means the target answered wrongly or not at all; `error` means
    the check itself could not find out (denied, throttled, bad parameters)."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class ErrorKind(StrEnum):
    TIMEOUT = "timeout"
    REFUSED = "refused"
    DNS = "dns"
    TLS = "tls"
    PROTOCOL = "protocol"
    HTTP_STATUS = "http_status"
    AUTH = "auth"
    THROTTLED = "throttled"
    DENIED = "denied"
    NOT_FOUND = "not_found"
    INTERNAL = "internal"


SUMMARY_LIMIT = 300


def one_line(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Fold white space and cut to `limit`: a summary is one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    status: CheckStatus
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    error_kind: ErrorKind | None = None
    duration_ms: float = 0.0
    # What a later check or a conclusion may read: the AWS query result,
    # the HTTP status, the certificate facts. Plain JSON values only.
    result: Any = None

    def __post_init__(self) -> None:
        if "\n" in self.summary:
            raise ValueError("a check summary is one line")
        if self.status is CheckStatus.PASS and self.error_kind is not None:
            raise ValueError("a passing check has no error kind")

    def with_duration(self, duration_ms: float) -> CheckResult:
        return replace(self, duration_ms=round(duration_ms, 1))

    @classmethod
    def passed(cls, summary: str, **kw: Any) -> CheckResult:
        return cls(status=CheckStatus.PASS, summary=summary, **kw)

    @classmethod
    def failed(cls, summary: str, *, kind: ErrorKind | None = None, **kw: Any) -> CheckResult:
        """`kind` is None when the peer answered but an expectation was not met."""
        return cls(status=CheckStatus.FAIL, summary=summary, error_kind=kind, **kw)

    @classmethod
    def errored(cls, kind: ErrorKind, summary: str, **kw: Any) -> CheckResult:
        return cls(status=CheckStatus.ERROR, summary=summary, error_kind=kind, **kw)

    @classmethod
    def skipped(cls, summary: str, **kw: Any) -> CheckResult:
        return cls(status=CheckStatus.SKIPPED, summary=summary, **kw)
