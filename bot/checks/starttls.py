"""`starttls`: plaintext SMTP or IMAP dialogue, upgraded in place to TLS.

The dialogues live in `query_response`; the certificate is judged exactly as
`tls` judges it.
"""

from __future__ import annotations

from typing import Literal

from bot.checks import tls
from bot.checks.context import RunContext
from bot.checks.query_response import DIALOGUES
from bot.checks.result import CheckResult
from bot.checks.spec import CheckType


class Params(tls.Params):
    protocol: Literal["smtp", "imap"]


async def run(params: Params, ctx: RunContext) -> CheckResult:
    dialogue = DIALOGUES[params.protocol]
    return await tls.probe(params, ctx, dialogue=dialogue, lead="STARTTLS, ")


from bot.checks.sockets_described import starttls_call, starttls_words  # noqa: E402

CHECK = CheckType(
    name="starttls",
    params=Params,
    run=run,
    description="SMTP or IMAP STARTTLS: the upgrade is offered and accepted, then "
    "the same certificate checks as tls.",
    describe=starttls_words,
    dry_call=starttls_call,
)
