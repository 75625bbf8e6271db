"""`tcp`: can we connect, and does the peer greet us as expected?

Also home of `attempt`, the deadline-and-exceptions guard that every
TCP-based probe (tcp, tls, starttls) runs its body in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import Field, model_validator

from bot.checks import params as base
from bot.checks.addresses import ForbiddenAddress
from bot.checks.context import RunContext
from bot.checks.describing import read_by_word
from bot.checks.errors import classify, result_for
from bot.checks.query_response import Expect, Send, Session, StepFailed, address, clip
from bot.checks.result import CheckResult, ErrorKind, one_line
from bot.checks.spec import CheckType

# First words of lines that only read, in the protocols people probe this
# way: Redis PING/INFO/ECHO, memcached version/stats, ZooKeeper's four-letter
# words, and the goodbyes and no-ops of line protocols. Any other line may
# change something (Redis FLUSHALL, SET...): the runbook must say why it reads.
KNOWN_READS = frozenset(
    {"PING", "INFO", "ECHO", "QUIT", "NOOP", "HELP", "VERSION", "STATS",
     "RUOK", "SRVR", "MNTR", "STAT"}
)  # fmt: skip


def send_refusal(line: Any, reason: Any) -> str | None:
    """Why `send` may not go out as written (None when it may)."""
    if not isinstance(line, str):
        return None
    if "\r" in line or "\n" in line:
        return "`send` is one line: a line break would send a second command"
    words = line.split()
    if words and words[0].upper() in KNOWN_READS:
        return None
    if isinstance(reason, str) and len(reason) >= 10:
        return None
    known = ", ".join(sorted(KNOWN_READS))
    return (
        f"sending {line!r} may change something: only lines starting with {known} are taken"
        " as reads; say why this one reads with `read_only_because: <reason>`"
    )


class Params(base.Params):
    host: base.Host
    port: int = Field(ge=1, le=65535)
    banner: base.Regex | None = None
    """Matched against the first line the peer sends; unset means connect only."""
    send: str | None = Field(default=None, min_length=1)
    """One line sent (CRLF appended) after connecting (and the banner)."""
    expect: base.Regex | None = None
    """Matched against the first line the peer answers to `send`."""
    read_only_because: str | None = Field(default=None, min_length=10)
    """Why a `send` that is not a known read (PING, INFO...) changes nothing."""

    @model_validator(mode="after")
    def _dialogue(self) -> Params:
        if (self.send is None) != (self.expect is None):
            raise ValueError(
                "`send` and `expect` go together: what to send, and what the answer must match"
                " (the first line the peer sends on its own is `banner`)"
            )
        refused = send_refusal(self.send, self.read_only_because)
        if refused is not None:
            raise ValueError(refused)
        return self


async def run(params: Params, ctx: RunContext) -> CheckResult:
    where = address(params.host, params.port)
    session = Session()

    async def body() -> CheckResult:
        await session.connect(params.host, params.port)
        summary = f"{where}: connected in {session.connect_ms:g} ms"
        if params.banner is not None:
            await session.step(Expect(pattern=params.banner, label="banner"))
            summary += f", banner {clip(session.reply[-1])!r}"
        if params.send is not None and params.expect is not None:
            await session.step(Send(params.send))
            label = f"answer to {clip(params.send)!r}"
            await session.step(Expect(pattern=params.expect, label=label))
            summary += f", {clip(params.send)!r} answered {clip(session.reply[-1])!r}"
        facts = session.details()
        return CheckResult.passed(one_line(summary), details=facts, result=facts)

    return await attempt(session, where, ctx.timeout, body)


async def attempt(
    session: Session, where: str, budget: float, body: Callable[[], Awaitable[CheckResult]]
) -> CheckResult:
    """Run `body` within `budget` seconds, turn every way it can go wrong into a
    result naming `where` (and, for a timeout, the phase), then hang up."""
    finished = False
    try:
        async with asyncio.timeout(budget):
            result = await body()
        finished = True
        return result
    except TimeoutError:
        summary = f"{where}: {session.phase} within {budget:g} s"
        return CheckResult.failed(summary, kind=ErrorKind.TIMEOUT, details=session.details())
    except StepFailed as exc:
        summary = one_line(f"{where}: {exc.message}")
        return CheckResult.failed(summary, kind=exc.kind, details=session.details())
    except OSError as exc:  # ssl.SSLError and socket.gaierror are OSErrors
        return result_for(classify(exc, where=where), details=session.details())
    except ForbiddenAddress as exc:
        summary = one_line(f"{where}: refused: {exc}")
        return CheckResult.errored(ErrorKind.DENIED, summary, details=session.details())
    finally:
        await session.close(graceful=finished)


from bot.checks.sockets_described import tcp_call, tcp_words  # noqa: E402


def vet(written: Mapping[str, Any]) -> dict[str, str]:
    """The read-only rule over `send` as written."""
    refused = send_refusal(written.get("send"), written.get("read_only_because"))
    return {"send": refused} if refused is not None else {}


CHECK = CheckType(
    name="tcp",
    params=Params,
    run=run,
    description="Connect to host:port; optionally match the first line the peer sends,"
    " or send one line (Redis PING) and match the answer.",
    describe=tcp_words,
    dry_call=tcp_call,
    # What goes to the peer is the runbook's, reviewed with it.
    from_runbook_only=frozenset({"send"}),
    literal=frozenset({"send", "read_only_because"}),
    reviews=read_by_word("tcp", "send"),
    vet=vet,
)
