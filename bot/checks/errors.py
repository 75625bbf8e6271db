"""Translate socket, DNS, TLS, HTTP and timeout exceptions into error kinds, once.

Every network executor calls `classify` (a socket's exception) or
`classify_http` (what httpx raises, wrapping one) at its boundary, so that a
responder reads the same words for the same failure whatever the check type
or API client: http, prometheus, blackbox, the Alertmanager API, charts.
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from bot.checks.result import CheckResult, ErrorKind, one_line


@dataclass(frozen=True)
class Failure:
    kind: ErrorKind
    message: str


def classify(exc: BaseException, *, where: str) -> Failure:  # noqa: PLR0911 - one flat dispatch
    """`where` names the peer or phase, e.g. "smtp.example.com:25"."""
    if isinstance(exc, TimeoutError):
        return Failure(ErrorKind.TIMEOUT, f"{where}: no answer before the deadline")
    if isinstance(exc, socket.gaierror):
        return Failure(ErrorKind.DNS, f"{where}: name does not resolve ({exc.strerror})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Failure(ErrorKind.TLS, f"{where}: certificate rejected: {_verify_reason(exc)}")
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        return Failure(ErrorKind.TLS, f"{where}: TLS handshake failed: {reason}")
    if isinstance(exc, ConnectionRefusedError):
        return Failure(ErrorKind.REFUSED, f"{where}: connection refused (nothing listening?)")
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return Failure(ErrorKind.PROTOCOL, f"{where}: connection reset by peer")
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return Failure(ErrorKind.REFUSED, f"{where}: unreachable ({exc.strerror})")
    if isinstance(exc, OSError):
        return Failure(ErrorKind.INTERNAL, f"{where}: {exc.strerror or exc}")
    return Failure(ErrorKind.INTERNAL, f"{where}: {type(exc).__name__}: {exc}")


def classify_http(exc: BaseException, *, where: str, timed_out: str | None = None) -> Failure:
    """An exception from an httpx exchange with `where` (a URL, or the peer's
    name). The socket, DNS or TLS error it wraps is classified as such; a
    timeout says `timed_out` (default: no answer before the deadline)."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return Failure(
            ErrorKind.TIMEOUT, f"{where}: {timed_out or 'no answer before the deadline'}"
        )
    root = root_cause(exc)
    if isinstance(root, OSError):
        return classify(root, where=where)
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return Failure(ErrorKind.PROTOCOL, f"{where}: broken HTTP exchange: {exc}")
    if isinstance(exc, httpx.HTTPError):
        return Failure(ErrorKind.PROTOCOL, f"{where}: {type(exc).__name__}: {exc}")
    return classify(root, where=where)


def root_cause(exc: BaseException) -> BaseException:
    """The innermost socket, DNS or TLS error that httpx and anyio wrapped
    (through causes, contexts and exception groups), else `exc` itself."""
    found = exc
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BaseExceptionGroup) and current.exceptions:
            current = current.exceptions[0]
            continue
        if isinstance(current, OSError):
            found = current
        current = current.__cause__ or current.__context__
    return found


_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}

# OpenSSL's X509_V_ERR_* codes in fixed words, so that a responder reads the
# same cause whatever the OpenSSL version ("self signed" became "self-signed").
_VERIFY_WORDS = {
    9: "certificate not yet valid",
    10: "certificate expired",
    18: "self-signed certificate",
    19: "self-signed certificate in chain",
    20: "issuer not trusted (unable to get local issuer certificate)",
    62: "hostname mismatch",
    64: "hostname mismatch",
}


def _verify_reason(exc: ssl.SSLCertVerificationError) -> str:
    message = str(exc.verify_message or exc.reason or exc).rstrip(".")
    words = _VERIFY_WORDS.get(exc.verify_code)
    if words is None:
        return message
    # Keep OpenSSL's detail where it names something: "..., certificate is
    # not valid for 'x'".
    _, comma, detail = message.partition(", ")
    return f"{words}, {detail}" if comma else words


def result_for(failure: Failure, **kw: Any) -> CheckResult:
    """An unclassified failure means the check itself broke (error); every
    other kind means the target was unreachable or answered wrongly (fail)."""
    summary = one_line(failure.message)
    if failure.kind is ErrorKind.INTERNAL:
        return CheckResult.errored(failure.kind, summary, **kw)
    return CheckResult.failed(summary, kind=failure.kind, **kw)
