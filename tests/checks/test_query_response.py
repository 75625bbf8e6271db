"""The send/expect machinery, against loopback peers that say fixed things."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.checks.query_response import (
    IMAP,
    SMTP,
    Expect,
    Require,
    Send,
    Session,
    StartTLS,
    StepFailed,
)
from bot.checks.result import ErrorKind
from tests.peers.mail import Handler, Peer, greeting, serving

SMTP_BANNER, SMTP_EHLO_REPLY, SMTP_REQUIRE_STARTTLS = SMTP[0], SMTP[2], SMTP[3]
IMAP_CAPABILITY_REPLY, IMAP_REQUIRE_STARTTLS = IMAP[2], IMAP[3]


@pytest.fixture
def says(request: pytest.FixtureRequest) -> Iterator[Peer]:
    """A peer that says `request.param` (CRLF-joined lines), then listens."""
    with serving(greeting("\r\n".join(request.param))) as peer:
        yield peer


async def session_to(peer: Peer) -> Session:
    session = Session()
    await session.connect(peer.host, peer.port)
    return session


@pytest.fixture
async def session(says: Peer) -> AsyncIterator[Session]:
    session = await session_to(says)
    yield session
    await session.close()


def echo() -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await reader.readuntil(b"\n")
        writer.write(b"got " + line)
        await writer.drain()
        await reader.read()

    return handle


@pytest.mark.parametrize(
    "says", [["220-mail.example ESMTP", "220-second", "220 ready"]], indirect=True
)
async def test_multiline_smtp_banner_is_read_as_one_reply(session: Session) -> None:
    await session.step(SMTP_BANNER)

    assert session.reply == ["220-mail.example ESMTP", "220-second", "220 ready"]


@pytest.mark.parametrize("says", [["220-mail.example ESMTP", "554 go away"]], indirect=True)
async def test_multiline_reply_is_judged_on_its_final_line(session: Session) -> None:
    with pytest.raises(StepFailed) as failed:
        await session.step(SMTP_BANNER)

    assert failed.value.kind is ErrorKind.PROTOCOL
    assert failed.value.message == "unexpected banner: '554 go away'"


@pytest.mark.parametrize(
    "says", [["250-mx.example", "250-SIZE 1000", "250-STARTTLS", "250 HELP"]], indirect=True
)
async def test_starttls_found_anywhere_in_a_multiline_ehlo_reply(session: Session) -> None:
    await session.run([SMTP_EHLO_REPLY, SMTP_REQUIRE_STARTTLS])

    assert len(session.reply) == 4


@pytest.mark.parametrize("says", [["250-mx.example", "250-SIZE 1000", "250 HELP"]], indirect=True)
async def test_starttls_missing_from_ehlo_reply_fails_with_tls_kind(session: Session) -> None:
    with pytest.raises(StepFailed) as failed:
        await session.run([SMTP_EHLO_REPLY, SMTP_REQUIRE_STARTTLS])

    assert failed.value.kind is ErrorKind.TLS
    assert failed.value.message == "STARTTLS not offered in EHLO reply"


@pytest.mark.parametrize(
    "says", [["* CAPABILITY IMAP4rev1 STARTTLS", "* OK still here", "a001 OK done"]], indirect=True
)
async def test_tagged_imap_reply_reads_through_untagged_lines(session: Session) -> None:
    await session.run([IMAP_CAPABILITY_REPLY, IMAP_REQUIRE_STARTTLS])

    assert session.reply[-1] == "a001 OK done"


@pytest.mark.parametrize("says", [["* CAPABILITY IMAP4rev1", "a001 NO busy"]], indirect=True)
async def test_tagged_imap_reply_other_than_ok_fails_with_protocol(session: Session) -> None:
    with pytest.raises(StepFailed) as failed:
        await session.step(IMAP_CAPABILITY_REPLY)

    assert failed.value.kind is ErrorKind.PROTOCOL
    assert "'a001 NO busy'" in failed.value.message


@pytest.mark.parametrize("says", [["noise", "more noise", "* OK ready"]], indirect=True)
async def test_blackbox_style_expect_skips_lines_until_one_matches(session: Session) -> None:
    pattern = re.compile(r"^\* OK")

    await session.step(Expect(pattern=pattern, last=pattern))

    assert session.reply == ["noise", "more noise", "* OK ready"]


@pytest.mark.parametrize("says", [["x" * 500]], indirect=True)
async def test_transcript_lines_are_clipped(session: Session) -> None:
    await session.step(Expect(pattern=re.compile("x")))

    assert len(session.transcript[0]) == 200
    assert session.transcript[0].endswith("…")


async def test_send_writes_one_crlf_terminated_line() -> None:
    with serving(echo()) as peer:
        session = await session_to(peer)
        await session.run([Send("HELLO there"), Expect(pattern=re.compile(r"^got HELLO there$"))])
        await session.close()

    assert session.transcript == ["C: HELLO there", "S: got HELLO there"]


async def test_peer_hanging_up_mid_dialogue_fails_with_protocol() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220-first line only\r\n")
        await writer.drain()

    with serving(hang_up) as peer:
        session = await session_to(peer)
        with pytest.raises(StepFailed) as failed:
            await session.step(SMTP_BANNER)
        await session.close()

    assert failed.value.kind is ErrorKind.PROTOCOL
    assert failed.value.message == "connection closed while waiting for banner"


async def test_over_long_line_fails_with_protocol() -> None:
    with serving(greeting("x" * 100_000)) as peer:
        session = await session_to(peer)
        with pytest.raises(StepFailed, match="over-long line"):
            await session.step(Expect(pattern=re.compile("x")))
        await session.close()


async def test_phase_names_what_the_dialogue_waits_for(silent_peer: Peer) -> None:
    session = await session_to(silent_peer)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await session.step(SMTP_BANNER)
    await session.close(graceful=False)

    assert session.phase == "connected, but no banner"


async def test_starttls_step_without_tls_settings_is_a_bug(silent_peer: Peer) -> None:
    session = await session_to(silent_peer)
    with pytest.raises(ValueError, match="no TLS settings"):
        await session.step(StartTLS())
    await session.close()


async def test_require_checks_the_last_reply_without_reading() -> None:
    session = Session()  # not even connected: nothing is read
    session.reply = ["250-mx", "250 STARTTLS"]

    await session.step(Require(pattern=re.compile("STARTTLS"), fails_as="unused"))
