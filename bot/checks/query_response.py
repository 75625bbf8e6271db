"""Line dialogues over a TCP stream: expect, send, upgrade with STARTTLS.

Shaped like blackbox_exporter's query_response, so a blackbox module's list
maps step for step: `expect: R` is `Expect(pattern=R, last=R)` (blackbox
skips lines until one matches), `send` is `Send`, `starttls` is `StartTLS`.
Our own dialogues read one whole *reply* per `Expect` instead, multiline SMTP
and tagged IMAP replies included, so that a wrong answer fails at once with
what the peer said rather than waiting for a line that will never come.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.checks import dial
from bot.checks.result import ErrorKind

_MAX_LINE = 200
_MAX_TRANSCRIPT = 60


@dataclass(frozen=True, kw_only=True)
class Expect:
    """Read lines up to the first that matches `last` (by default the first
    line); that final line must match `pattern`."""

    pattern: re.Pattern[str]
    label: str = "reply"
    last: re.Pattern[str] | None = None
    # Prefix of the failure summary; what the peer said is appended.
    fails_as: str | None = None
    kind: ErrorKind = ErrorKind.PROTOCOL


@dataclass(frozen=True, kw_only=True)
class Require:
    """Some line of the reply the last `Expect` read must match `pattern`."""

    pattern: re.Pattern[str]
    fails_as: str
    kind: ErrorKind = ErrorKind.PROTOCOL


@dataclass(frozen=True)
class Send:
    line: str


@dataclass(frozen=True)
class StartTLS:
    """Upgrade the connection in place; the session holds the TLS settings."""


Step = Expect | Require | Send | StartTLS


class StepFailed(Exception):
    """The peer answered, but not as the dialogue requires."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class Session:
    """One connection and its dialogue. `phase` says what it was waiting for,
    so that a caller whose deadline fired can say where time ran out."""

    def __init__(
        self, *, ssl_context: ssl.SSLContext | None = None, server_hostname: str | None = None
    ) -> None:
        self.ssl_context = ssl_context
        self.server_hostname = server_hostname
        self.phase = "no TCP connection"
        self.connect_ms: float | None = None
        self.transcript: list[str] = []
        self.reply: list[str] = []
        self.tls: ssl.SSLObject | None = None
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def connect(self, host: str, port: int, *, family: int = socket.AF_UNSPEC) -> None:
        # Name resolution happens in here, inside the caller's deadline, through
        # the one resolver; the address judged is the address dialled.
        self.phase = f"no answer from DNS for {host}"
        addresses = await dial.resolve(host, port, family=family)
        self.phase = "no TCP connection"
        started = time.perf_counter()
        self._streams = await dial.first_answer(addresses, port)
        self.connect_ms = round((time.perf_counter() - started) * 1000, 1)
        self.phase = "connected, but nothing happened"

    async def close(self, *, graceful: bool = True) -> None:
        """Abort unless the dialogue finished: a half-done TLS handshake
        would otherwise hold the close up."""
        if self._streams is None:
            return
        writer, self._streams = self._streams[1], None
        if not graceful:
            writer.transport.abort()
            # The socket itself is closed by a callback: let it run. (wait_closed
            # could wait forever after an interrupted TLS upgrade.)
            await asyncio.sleep(0)
            return
        writer.close()
        # Bounded, so that a peer ignoring close_notify cannot hold us up.
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(0.5):
                await writer.wait_closed()

    def details(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"connect_ms": self.connect_ms}
        if self.transcript:
            facts["transcript"] = list(self.transcript)
        return facts

    @property
    def streams(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None:
            raise RuntimeError("dialogue step before connect()")
        return self._streams

    async def run(self, steps: Iterable[Step]) -> None:
        for step in steps:
            await self.step(step)

    async def step(self, step: Step) -> None:
        if isinstance(step, Expect):
            await self._expect(step)
        elif isinstance(step, Require):
            if not any(step.pattern.search(line) for line in self.reply):
                raise StepFailed(step.kind, step.fails_as)
        elif isinstance(step, Send):
            await self._send(step.line)
        else:
            await self.upgrade()

    async def upgrade(self) -> None:
        if self.ssl_context is None:
            raise ValueError("this dialogue upgrades to TLS but has no TLS settings")
        self.phase = "TCP connected, but the TLS handshake did not finish"
        writer = self.streams[1]
        await writer.start_tls(self.ssl_context, server_hostname=self.server_hostname)
        self.tls = writer.get_extra_info("ssl_object")
        self._note(f"-- TLS established: {self.tls.version() if self.tls else '?'}")

    async def _expect(self, step: Expect) -> None:
        self.phase = f"connected, but no {step.label}"
        self.reply = []
        while True:
            line = await self._readline(step.label)
            self.reply.append(line)
            if step.last is None or step.last.search(line):
                break
        if not step.pattern.search(line):
            prefix = step.fails_as or f"unexpected {step.label}"
            raise StepFailed(step.kind, f"{prefix}: {clip(line)!r}")

    async def _readline(self, label: str) -> str:
        try:
            raw = await self.streams[0].readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            raise StepFailed(
                ErrorKind.PROTOCOL, f"connection closed while waiting for {label}"
            ) from exc
        except asyncio.LimitOverrunError as exc:
            raise StepFailed(ErrorKind.PROTOCOL, f"over-long line in {label}") from exc
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        self._note(f"S: {line}")
        return line

    async def _send(self, line: str) -> None:
        self._note(f"C: {line}")
        writer = self.streams[1]
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    def _note(self, entry: str) -> None:
        if len(self.transcript) < _MAX_TRANSCRIPT:
            self.transcript.append(clip(entry))


def clip(text: str) -> str:
    return text if len(text) <= _MAX_LINE else text[: _MAX_LINE - 1] + "…"


def address(host: str, port: int) -> str:
    """host:port as a responder would type it, IPv6 literals bracketed."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# "250-" lines continue an SMTP reply; any other line ends it, so that a peer
# speaking something else fails on its first line instead of running out the clock.
_SMTP_LAST = _re(r"^(?!\d{3}-)")


def _smtp_reply(code: str, label: str, **kw: Any) -> Expect:
    return Expect(pattern=_re(rf"^{code}(?: |$)"), last=_SMTP_LAST, label=label, **kw)


SMTP: tuple[Step, ...] = (
    _smtp_reply("220", "banner"),
    Send("EHLO triage"),
    _smtp_reply("250", "EHLO reply"),
    Require(
        pattern=_re(r"^250[- ]STARTTLS\b"),
        fails_as="STARTTLS not offered in EHLO reply",
        kind=ErrorKind.TLS,
    ),
    Send("STARTTLS"),
    # A refusal (454 "TLS not available") is reported as a TLS failure like
    # "not offered": either way no encrypted session can be had here, and the
    # fix is in the server's TLS setup rather than in its SMTP dialogue.
    _smtp_reply("220", "STARTTLS reply", fails_as="STARTTLS refused", kind=ErrorKind.TLS),
    StartTLS(),
    Send("EHLO triage"),
    _smtp_reply("250", "EHLO reply after STARTTLS"),
    Send("QUIT"),
)


def _imap_tagged(tag: str, label: str, **kw: Any) -> Expect:
    return Expect(pattern=_re(rf"^{tag} OK\b"), last=_re(rf"^{tag} "), label=label, **kw)


IMAP: tuple[Step, ...] = (
    Expect(pattern=_re(r"^\* OK\b"), label="greeting"),
    Send("a001 CAPABILITY"),
    _imap_tagged("a001", "CAPABILITY reply"),
    Require(
        pattern=_re(r"^\* CAPABILITY\b.*\bSTARTTLS\b"),
        fails_as="STARTTLS not offered in CAPABILITY reply",
        kind=ErrorKind.TLS,
    ),
    Send("a002 STARTTLS"),
    _imap_tagged("a002", "STARTTLS reply", fails_as="STARTTLS refused", kind=ErrorKind.TLS),
    StartTLS(),
    Send("a003 CAPABILITY"),
    _imap_tagged("a003", "CAPABILITY reply after STARTTLS"),
    Send("a004 LOGOUT"),
)

DIALOGUES: Mapping[str, tuple[Step, ...]] = {"smtp": SMTP, "imap": IMAP}
