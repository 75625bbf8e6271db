"""Translate socket, DNS, TLS and timeout exceptions into error kinds, once.

Every network executor calls `classify` at its boundary so that a responder
reads the same words for the same failure whatever the check type.
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass

from bot.checks.result import ErrorKind


@dataclass(frozen=True)
class Failure:
    kind: ErrorKind
    message: str


def classify(exc: BaseException, *, where: str) -> Failure:
    """`where` names the peer or phase, e.g. "smtp.example.com:25"."""
    if isinstance(exc, TimeoutError):
        return Failure(ErrorKind.TIMEOUT, f"{where}: no answer before the deadline")
    if isinstance(exc, socket.gaierror):
        return Failure(ErrorKind.DNS, f"{where}: name does not resolve ({exc.strerror})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or str(exc)
        return Failure(ErrorKind.TLS, f"{where}: certificate rejected: {reason}")
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


_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}
