"""What the first incident would otherwise pay on the event loop, paid
before the bot listens (`triage serve`).

Found by sampling the loop's stack whenever it was late under the ack bench
(issue 19): the first Run all after a start built the TLS contexts of the
checks (a trust store loaded, ~20 ms each, on the loop) and started the AWS
executor's threads one by one while acks waited. Both are built once per
process anyway; building them here moves the cost to start-up.

And the interpreter's switch interval: a thread (boto3 on the AWS executor,
the store's) holding the GIL keeps the loop waiting up to this long each
time the loop gives it up for a system call; 5 ms (the default) several
times per ack is what an ack waited for behind AWS checks.
"""

from __future__ import annotations

import sys
import threading

from bot.checks import aws, tlsfacts, vantage
from bot.engine.runner import Settings

SWITCH_INTERVAL_S = 0.001


def warm_up(settings: Settings) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    for ca_file in {None, settings.ca_file}:
        tlsfacts.client_context(verify=True, ca_file=ca_file)
    vantage.new_client()  # its TLS context is cached; the client is dropped unused
    # A submit starts a thread only when none is idle: tasks that wait for
    # each other need every thread at once, so all are started now.
    count = aws.EXECUTOR._max_workers
    together = threading.Barrier(count)
    for done in [aws.EXECUTOR.submit(together.wait, 5.0) for _ in range(count)]:
        done.result()
