"""The signature, body and replay rules of bot/slack/verify.py, one by one
(the attack through the real endpoint is tests/security/test_unsigned_requests.py)."""

from __future__ import annotations

import pytest

from bot.slack.verify import WINDOW_S, Seen, body_refusal, signature_refusal
from tests.peers.slack import sign

NOW = 1_700_000_000
BODY = b"command=%2Ftriage&text=help"
# int() reads these as 1700000000; Slack never sends them.
ARABIC_DIGITS = str(NOW).translate({c: c - 48 + 0x0660 for c in range(48, 58)})


def headers(secret: str = "s3cret", at: int = NOW) -> tuple[str, str]:
    signed = sign(BODY, secret, at)
    return signed["X-Slack-Request-Timestamp"], signed["X-Slack-Signature"]


def test_a_request_slack_signed_within_the_window_passes() -> None:
    assert signature_refusal("s3cret", *headers(), BODY, NOW + WINDOW_S) is None


@pytest.mark.parametrize(
    ("secret", "timestamp", "signature", "reason"),
    [
        ("", *headers(), "no signing secret configured"),
        ("s3cret", None, headers()[1], "unsigned"),
        ("s3cret", ARABIC_DIGITS, headers()[1], "malformed signature headers"),
        ("s3cret", headers()[0], headers()[1].upper(), "malformed signature headers"),
        ("s3cret", *headers(at=NOW - WINDOW_S - 1), "stale timestamp"),
        ("s3cret", *headers(secret="other"), "signature mismatch"),
    ],
)
def test_anything_else_is_refused_with_its_reason(
    secret: str, timestamp: str | None, signature: str, reason: str
) -> None:
    assert signature_refusal(secret, timestamp, signature, BODY, NOW) == reason


@pytest.mark.parametrize(
    ("body", "content_type", "refused"),
    [
        (b'{"type":"event_callback"}', "application/json", False),
        (b"payload=%7B%7D", "application/x-www-form-urlencoded", False),
        (BODY, "application/x-www-form-urlencoded", False),
        (b"null", "application/json", True),
        (b"payload=nope", "application/x-www-form-urlencoded", True),
        (b"\xc3\x28", "application/x-www-form-urlencoded", True),
    ],
)
def test_bodies_are_judged_by_bolts_own_parser(
    body: bytes, content_type: str, refused: bool
) -> None:
    assert (body_refusal(body, content_type) is not None) == refused


def test_a_pair_is_seen_once_and_forgotten_after_twice_the_window() -> None:
    now = [float(NOW)]
    seen = Seen(clock=lambda: now[0])
    assert seen.first("1", "v0=a") and not seen.first("1", "v0=a")
    now[0] += 2 * WINDOW_S + 1
    for n in range(1100):  # past the size at which old pairs are swept
        seen.first(str(n + 2), "v0=b")
    assert seen.first("1", "v0=a")
