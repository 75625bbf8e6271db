"""Redaction: configured secrets and well-known credential shapes."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot import redact
from bot.redact import MASK, RedactingFilter, Redactor

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SLACK_TOKEN = "xoxb-1111111111-2222222222-PLANTEDplanted"


@pytest.fixture
def installed() -> Iterator[None]:
    """Install process-wide redaction for one test, then put logging back."""
    factory, active = logging.getLogRecordFactory(), list(redact._active)
    redact._active.clear()
    yield
    logging.setLogRecordFactory(factory)
    redact._active[:] = active


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        (f"posted with {SLACK_TOKEN}", SLACK_TOKEN, "xoxb-***"),
        ("app token xapp-1-A0123-456-abcdef", "xapp-1-A0123", "xapp-***"),
        ("user token xoxp-12-34-56", "xoxp-12-34-56", "xoxp-***"),
        ("key id AKIAIOSFODNN7EXAMPLE in use", "AKIAIOSFODNN7EXAMPLE", "key id *** in use"),
        ("session ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "session ***"),
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET, "aws_secret_access_key = ***"),
        (f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET, '"SecretAccessKey": "***"'),
        (f"a bare key {AWS_SECRET} here", AWS_SECRET, "a bare key *** here"),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl", "eyJhbGciOi", "Bearer ***"),
        ("curl -H 'authorization: token ghp_abcdef123456'", "ghp_abcdef", "token ***"),
        ("sent bearer abc123def456ghi", "abc123def456ghi", "bearer ***"),
        ("https://admin:hunter2@db.example.com:5432/x", "hunter2", "https://admin:***@db"),
        ("smtp://u:p%40ss@mail.example.com/", "p%40ss", "smtp://u:***@mail"),
        ("password=hunter22 ok", "hunter22", "password=*** ok"),
    ],
)
def test_credential_shapes_are_masked_and_say_what_was_there(
    text: str, secret: str, kept: str
) -> None:
    masked = Redactor().redact(text)
    assert secret not in masked
    assert kept in masked


@pytest.mark.parametrize(
    "text",
    [
        "use bearer tokens for basic checks",
        "commit 0123456789abcdef0123456789abcdef01234567",
        "arn:aws:ecs:us-east-1:123456789012:service/mail/cabal-smtp-in",
        "http://host:8080/a@b",
        "cabal-smtp-in runs 0 of 1 tasks",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_configured_secrets_are_masked_longest_first_and_short_ones_ignored() -> None:
    redactor = Redactor(["alert-secret-value", "alert-secret-value-2", "testing"])
    masked = redactor.redact("a alert-secret-value-2 b alert-secret-value c testing")
    assert masked == f"a {MASK} b {MASK} c testing"


def test_from_env_takes_the_always_secret_names_and_the_site_config_ones() -> None:
    env = {
        "SLACK_SIGNING_SECRET": "signing-secret-123",
        "TRIAGE_ALERT_SECRET": "alert-secret-456",
        "DB_PASSWORD": "database-secret-789",
        "HOME": "/home/triage",
    }
    redactor = Redactor.from_env(["DB_PASSWORD"], env=env)
    text = " ".join(env.values())
    assert redactor.redact(text) == f"{MASK} {MASK} {MASK} /home/triage"
    assert repr(redactor) == "Redactor(3 configured secrets)"  # never the values


def test_redact_tree_masks_strings_everywhere_and_secret_named_keys_whole() -> None:
    tree = {
        "summary": f"failed with {SLACK_TOKEN}",
        "details": [{"password": "x", "SessionToken": "abc", "count": 3, "ok": True}],
        "nested": {"url": "http://u:pw@h/"},
        "none": None,
    }
    assert Redactor().redact_tree(tree) == {
        "summary": "failed with xoxb-***",
        "details": [{"password": MASK, "SessionToken": MASK, "count": 3, "ok": True}],
        "nested": {"url": "http://u:***@h/"},
        "none": None,
    }


def test_installed_redaction_masks_every_logger_message_args_and_traceback(
    installed: None, caplog: pytest.LogCaptureFixture
) -> None:
    redact.install(Redactor(["configured-secret-1"]))
    log = logging.getLogger("triage.test.child")
    with caplog.at_level(logging.INFO):
        log.info("token %s and %s", SLACK_TOKEN, "configured-secret-1")
        try:
            raise RuntimeError(f"AWS said {AWS_SECRET}")
        except RuntimeError:
            log.exception("call failed")
    assert SLACK_TOKEN not in caplog.text
    assert "configured-secret-1" not in caplog.text
    assert AWS_SECRET not in caplog.text
    assert "RuntimeError: AWS said ***" in caplog.text
    assert caplog.records[0].getMessage() == f"token xoxb-*** and {MASK}"


def test_installing_again_swaps_the_redactor(
    installed: None, caplog: pytest.LogCaptureFixture
) -> None:
    redact.install(Redactor(["first-secret-1"]))
    redact.install(Redactor(["second-secret-2"]))
    with caplog.at_level(logging.INFO):
        logging.getLogger("x").info("first-secret-1 second-secret-2")
    assert caplog.records[0].getMessage() == f"first-secret-1 {MASK}"
    assert redact.active().redact("second-secret-2") == MASK


def test_the_filter_can_sit_on_a_handler_too() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "t %s", (SLACK_TOKEN,), None)
    assert RedactingFilter(Redactor()).filter(record)
    assert record.getMessage() == "t xoxb-***"
