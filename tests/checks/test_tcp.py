"""The tcp check against real loopback peers."""

from __future__ import annotations

import time

import pytest

from bot.checks.context import RunContext
from bot.checks.result import CheckStatus, ErrorKind
from bot.checks.tcp import CHECK, Params, run
from tests.peers.mail import WRONG_BANNER, Peer
from tests.peers.redis import RedisPeer

CTX = RunContext(timeout=0.5)


async def test_connect_passes_and_reports_connect_time(silent_peer: Peer) -> None:
    result = await run(Params(host=silent_peer.host, port=silent_peer.port), CTX)

    assert result.status is CheckStatus.PASS, result.summary
    assert result.error_kind is None
    assert result.summary.startswith(f"127.0.0.1:{silent_peer.port}: connected in ")
    assert result.result["connect_ms"] >= 0


async def test_matching_banner_passes_and_quotes_it(wrong_banner_peer: Peer) -> None:
    params = Params(host=wrong_banner_peer.host, port=wrong_banner_peer.port, banner=r"^SSH-2\.0-")

    result = await run(params, CTX)

    assert result.status is CheckStatus.PASS, result.summary
    assert WRONG_BANNER in result.summary


async def test_wrong_banner_fails_with_protocol_error(wrong_banner_peer: Peer) -> None:
    params = Params(host=wrong_banner_peer.host, port=wrong_banner_peer.port, banner=r"^220 ")

    result = await run(params, CTX)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.PROTOCOL
    assert "unexpected banner" in result.summary
    assert WRONG_BANNER in result.summary


async def test_silent_peer_with_banner_expected_fails_with_timeout_in_budget(
    silent_peer: Peer,
) -> None:
    params = Params(host=silent_peer.host, port=silent_peer.port, banner=r"^220 ")

    started = time.monotonic()
    result = await run(params, CTX)
    elapsed = time.monotonic() - started

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TIMEOUT
    assert result.summary == f"127.0.0.1:{silent_peer.port}: connected, but no banner within 0.5 s"
    assert elapsed < 2


async def test_nothing_listening_fails_with_refused(closed_port: Peer) -> None:
    result = await run(Params(host=closed_port.host, port=closed_port.port), CTX)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.REFUSED
    assert f"127.0.0.1:{closed_port.port}" in result.summary


async def test_unresolvable_name_fails_with_dns_error() -> None:
    result = await run(Params(host="no-such-host.invalid", port=25), CTX)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.DNS
    assert result.summary.startswith("no-such-host.invalid:25: name does not resolve")


@pytest.mark.parametrize(
    "raw",
    [
        {"host": "h", "port": 0},
        {"host": "h", "port": 65536},
        {"host": "", "port": 25},
        {"host": "h", "port": 25, "banner": "("},
        {"host": "h", "port": 25, "tls": True},
    ],
)
def test_bad_params_are_rejected_at_validation(raw: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
        CHECK.params.model_validate(raw)


# send/expect (#16 item 5b): a real redis-server on loopback (tests/peers/redis.py).


async def test_redis_ping_answered_pong_passes_quoting_the_answer(redis_server: RedisPeer) -> None:
    params = Params(host=redis_server.host, port=redis_server.port, send="PING", expect=r"^\+PONG$")

    result = await run(params, RunContext(timeout=2.0))

    assert result.status is CheckStatus.PASS, result.summary
    assert result.summary.endswith("'PING' answered '+PONG'")
    assert result.details["transcript"] == ["C: PING", "S: +PONG"]


async def test_redis_that_wants_a_password_fails_quoting_its_refusal(
    redis_with_password: RedisPeer,
) -> None:
    peer = redis_with_password
    params = Params(host=peer.host, port=peer.port, send="PING", expect=r"^\+PONG$")

    result = await run(params, RunContext(timeout=2.0))

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.PROTOCOL
    assert "unexpected answer to 'PING': '-NOAUTH Authentication required.'" in result.summary


async def test_a_peer_that_never_answers_times_out_naming_what_it_waited_for(
    silent_peer: Peer,
) -> None:
    params = Params(host=silent_peer.host, port=silent_peer.port, send="PING", expect="PONG")

    started = time.monotonic()
    result = await run(params, CTX)

    assert time.monotonic() - started < CTX.timeout + 0.5
    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.TIMEOUT
    assert "connected, but no answer to 'PING'" in result.summary


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"send": "PING"}, "go together"),
        ({"expect": "PONG"}, "go together"),
        ({"send": "FLUSHALL", "expect": "OK"}, "may change something"),
        ({"send": "PING\r\nFLUSHALL", "expect": "PONG"}, "one line"),
        ({"send": "CONFIG GET maxmemory", "expect": "x", "read_only_because": "short"}, "10"),
    ],
)
def test_sends_that_may_change_something_are_refused(raw: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Params(host="127.0.0.1", port=6379, **raw)


def test_a_declared_read_is_accepted_and_vetted_as_written() -> None:
    reason = "CONFIG GET only reads the server's settings"
    Params(
        host="h.test", port=6379, send="CONFIG GET maxmemory", expect=".", read_only_because=reason
    )

    assert CHECK.vet({"send": "CONFIG GET maxmemory"})["send"].startswith("sending")
    assert CHECK.vet({"send": "CONFIG GET maxmemory", "read_only_because": reason}) == {}
    assert CHECK.vet({"send": "info replication"}) == {}


def test_dry_run_names_the_line_sent_and_the_answer_expected() -> None:
    params = Params(host="cache.test", port=6379, send="PING", expect=r"^\+PONG")

    say, call = CHECK.dry(params, CTX)

    assert say == r"TCP connect to cache.test:6379, send 'PING', read an answer matching /^\+PONG/"
    assert call["send"] == "PING"
