"""`tcp`: can we connect, and does the peer greet us as expected?

Also home of `attempt`, the deadline-and-exceptions guard that every
TCP-based probe (tcp, tls, starttls) runs its body in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pydantic import Field

from bot.checks import params as base
from bot.checks.addresses import ForbiddenAddress
from bot.checks.context import RunContext
from bot.checks.errors import classify, result_for
from bot.checks.query_response import Expect, Session, StepFailed, address, clip
from bot.checks.result import CheckResult, ErrorKind, one_line
from bot.checks.spec import CheckType


class Params(base.Params):
    host: base.Host
    port: int = Field(ge=1, le=65535)
    banner: base.Regex | None = None
    """Matched against the first line the peer sends; unset means connect only."""


async def run(params: Params, ctx: RunContext) -> CheckResult:
    where = address(params.host, params.port)
    session = Session()

    async def body() -> CheckResult:
        await session.connect(params.host, params.port)
        summary = f"{where}: connected in {session.connect_ms:g} ms"
        if params.banner is not None:
            await session.step(Expect(pattern=params.banner, label="banner"))
            summary += f", banner {clip(session.reply[-1])!r}"
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

CHECK = CheckType(
    name="tcp",
    params=Params,
    run=run,
    description="Connect to host:port; optionally match the first line the peer sends.",
    describe=tcp_words,
    dry_call=tcp_call,
)
