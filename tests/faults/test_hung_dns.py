"""Fault (#11.5): name lookups that never answer.

getaddrinfo cannot be cancelled, so a dead DNS server holds a thread per
lookup until the system resolver gives up. When lookups and boto3 calls
shared asyncio's default pool (6 threads on 2 cores), seven hung lookups
took it all and healthy AWS and TCP checks missed their deadlines behind
them. Now lookups have their own bounded resolver (bot.checks.resolve) and
boto3 its own executor (bot.checks.aws.EXECUTOR).

Injected: seven lookups of distinct names that hang until the test ends.
Expected: the healthy checks pass within their own deadlines; each hung
check fails within its deadline, saying DNS did not answer for its host.
"""

from __future__ import annotations

import asyncio
import socket
import time

from bot.checks import aws, tcp
from bot.checks.context import AwsSettings, RunContext
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.aws import REGION, MotoPeer, ecs_service
from tests.peers.resolver import FakeDns

HUNG = 7


async def until(condition: object, seconds: float) -> bool:
    """Wait for `condition()` to hold, at most `seconds`; whether it did."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_seven_hung_lookups_do_not_fail_healthy_aws_and_tcp_checks(
    fake_dns: FakeDns, aws_env: MotoPeer, sentinel: socket.socket
) -> None:
    ecs_service("mail", "web", desired=1, running=1, events=["steady state"])
    names = [f"dead-{i}.example.test" for i in range(HUNG)]
    for name in names:
        fake_dns.hang(name)
    hung = [
        asyncio.create_task(tcp.run(tcp.Params(host=name, port=25), RunContext(timeout=3.0)))
        for name in names
    ]
    # Every hung lookup holds its thread before the healthy checks start (on
    # the old shared pool only six could: the seventh queued behind them).
    await until(lambda: fake_dns.blocked >= HUNG, 3.0)

    port = sentinel.getsockname()[1]
    healthy_tcp = tcp.run(tcp.Params(host="localhost", port=port), RunContext(timeout=2.0))
    settings = AwsSettings(region=REGION, endpoint_url=aws_env.url)
    describe = aws.Params(
        call="ecs.describe_services", params={"cluster": "mail", "services": ["web"]}
    )
    healthy_aws = aws.run(describe, RunContext(timeout=3.0, aws=settings))
    tcp_result, aws_result = await asyncio.gather(healthy_tcp, healthy_aws)

    assert tcp_result.status is CheckStatus.PASS, tcp_result.summary
    assert aws_result.status is CheckStatus.PASS, aws_result.summary
    assert fake_dns.blocked == HUNG  # the fault really was injected, all seven at once

    for name, result in zip(names, await asyncio.gather(*hung), strict=True):
        assert result.status is CheckStatus.FAIL
        assert result.error_kind in (ErrorKind.DNS, ErrorKind.TIMEOUT), result.summary
        assert name in result.summary
        assert "DNS" in result.summary, result.summary


async def test_a_lookup_that_outlives_the_resolver_deadline_says_dns_did_not_answer(
    fake_dns: FakeDns,
) -> None:
    """With a budget longer than the resolver's own deadline, the answer is
    a DNS failure naming the host, not a generic timeout."""
    from bot.checks import resolve

    fake_dns.hang("dead.example.test")
    resolver = resolve.Resolver(workers=2, timeout=0.3)
    started = time.monotonic()
    try:
        await resolver.lookup("dead.example.test", 25)
    except resolve.LookupTimeout as exc:
        assert "no answer from DNS within 0.3 s" in str(exc)
        assert exc.host == "dead.example.test"
    else:
        raise AssertionError("a hung lookup answered")
    assert time.monotonic() - started < 3.0  # bounded by its deadline, not by the hang


async def test_identical_lookups_in_flight_share_one_thread(fake_dns: FakeDns) -> None:
    from bot.checks import resolve

    fake_dns.hang("dead.example.test")
    resolver = resolve.Resolver(workers=4, timeout=0.3)
    results = await asyncio.gather(
        *(resolver.lookup("dead.example.test", 25) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, resolve.LookupTimeout) for r in results)
    assert fake_dns.lookups["dead.example.test"] == 1
