"""Threat: the one-pass prefilter in bot.redact (`_MAYBE`, which lets text
that cannot hold a credential skip the twenty SHAPES passes) lets through
something a full pass would have masked. It may only ever over-match."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.redact import _MAYBE, SHAPES, Redactor
from tests.security.test_redaction import ATTACKS


def full_pass(text: str) -> str:
    """Every SHAPES pattern, no prefilter: what redact did before it."""
    for pattern, replacement in SHAPES:
        text = pattern.sub(replacement, text)
    return text


# Pieces that the SHAPES patterns are made of, to be glued into text that
# comes near (and often into) every pattern.
PIECES = [
    *("xoxb-", "xoxp-", "xapp-", "https://hooks.slack.com/services/", "T0/B1/x"),
    *("AKIA", "ASIA", "A3TX", "ABCDEFGHIJKLMNOP", "aws_secret_access_key", "session_token"),
    *("Authorization", "authorization: ", "Bearer ", "bearer ", "basic ", "token", "Token"),
    *("password", "PASSWD", "pwd", "x-api-key", "api_key", "API-KEY", "client_secret"),
    *("secret", "access_token", "auth-token", "=", ":", ": ", '"', "'", '\\"', " ", "\n"),
    *("https://", "user", "@", "host", "/", "-----BEGIN RSA PRIVATE KEY-----", "MIIx"),
    *("-----END RSA PRIVATE KEY-----", "ghp_", "glpat-", "eyJhbGci", ".", "sk_live_", "SG."),
    *("sq0csp-", "AIza", "npm_", "pypi-AgE", "AccountKey="),
    "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oQ7s",
    *("a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0", "Z" * 20, "x" * 12, "0123456789", "+/="),
]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=14).map("".join))
def test_redact_equals_a_full_pass_on_text_built_from_the_patterns_pieces(text: str) -> None:
    assert Redactor().redact(text) == full_pass(text)


def test_every_known_attack_passes_the_prefilter_and_is_masked() -> None:
    for text, planted in ATTACKS:
        assert _MAYBE.search(text), text
        assert planted not in Redactor().redact(text)


def test_what_the_prefilter_skips_no_shape_would_have_touched() -> None:
    # Ordinary findings skip the SHAPES passes, unchanged.
    for text in [
        "smtp-relay: connect to 10.0.0.5:25 refused",
        "ECS service mail-relay: 0/1 tasks running (desired 1)",
        "Run all",
        "probe_success == 0 for 12 min",
    ]:
        assert _MAYBE.search(text) is None
        assert full_pass(text) == text


def test_each_shape_needs_something_the_prefilter_finds() -> None:
    # A sample each SHAPES pattern matches: the prefilter must match it too.
    samples = [
        "xoxb-1234-abcd",
        "https://hooks.slack.com/services/T0/B0/abc",
        "AKIAABCDEFGHIJKLMNOP",
        "aws_secret_access_key=abcdefghijklmnop1234",
        "Authorization: Basic dXNlcjpwYXNz",
        "bearer abc.def-123",
        "pwd=hunter22",
        "smtp://user:pw@host",
        "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----",
        "ghp_" + "a" * 36,
        "glpat-" + "a" * 20,
        "eyJa.eyJb.c",
        "rk_live_" + "a" * 24,
        "SG." + "a" * 22 + "." + "b" * 43,
        "sq0csp-" + "a" * 43,
        "AIza" + "a" * 35,
        "npm_" + "a" * 36,
        "pypi-AgE" + "a" * 70,
        "AccountKey=" + "a" * 88,
        "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oQ7s",
    ]
    assert len(samples) == len(SHAPES)
    for (pattern, _), sample in zip(SHAPES, samples, strict=True):
        assert pattern.search(sample), (pattern.pattern, sample)
        assert _MAYBE.search(sample), sample
    assert isinstance(_MAYBE, re.Pattern)
