"""Masking secrets in everything the bot shows: Slack, logs, terminal, JSON.

A `Redactor` knows the configured secret values (the Slack tokens, the alert
webhook secret, the AWS secret key and session token, and whatever else the
site config names in `secrets:`) and the shapes of well-known credentials,
which it masks wherever they appear, configured or not.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MASK = "***"
# Environment variables whose values are always secret.
ALWAYS_SECRET = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "TRIAGE_ALERT_SECRET",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
# Shorter values are not masked: they are no real secret, and masking them
# would mangle ordinary words (moto's fake secret key is "testing").
MIN_SECRET_LENGTH = 8
_B64 = "A-Za-z0-9/+="
_SECRET_KEYS = re.compile(
    r"(?i)^(password|passwd|secret|secret_?access_?key|session_?token|authorization"
    r"|api_?key|access_?token|refresh_?token|client_?secret|signing_?secret|token)$"
)

Replace = str | Callable[[re.Match[str]], str]


def _aws_secret(match: re.Match[str]) -> str:
    """A bare 40-character run is taken for an AWS secret key only when it
    mixes upper case, lower case and digits, as they do (a SHA-1 does not)."""
    text = match[0]
    mixed = any(c.isupper() for c in text) and any(c.islower() for c in text)
    return MASK if mixed and any(c.isdigit() for c in text) else text


# (pattern, replacement): each keeps what says *what* was there, masks the value.
SHAPES: tuple[tuple[re.Pattern[str], Replace], ...] = (
    (re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+"), rf"\1-{MASK}"),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), MASK),
    (
        re.compile(
            r"(?i)(aws_?secret_?access_?key|secret_?access_?key|aws_?session_?token"
            rf"|session_?token)(\"?'?\s*[:=]\s*\"?'?)[{_B64}]{{16,}}"
        ),
        rf"\1\2{MASK}",
    ),
    (
        re.compile(r"(?i)\b(authorization\s*[:=]\s*\"?(?:bearer\s+|basic\s+|token\s+)?)[^\s\",;]+"),
        rf"\1{MASK}",
    ),
    # A bearer token has a digit or punctuation in it; "bearer tokens" does not.
    (re.compile(r"(?i)\b(bearer\s+)(?=\S*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}"), rf"\1{MASK}"),
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|api_?key|access_?token|client_?secret)"
            r"(\"?'?\s*[:=]\s*\"?'?)[^\s\"'&,;]+"
        ),
        rf"\1\2{MASK}",
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^\s/]*(@)", re.IGNORECASE), rf"\1{MASK}\2"),
    (re.compile(rf"(?<![{_B64}])[A-Za-z0-9/+]{{40}}(?![{_B64}])"), _aws_secret),
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so that a secret containing another is masked whole.
        ordered = sorted(values, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __repr__(self) -> str:
        count = self._secrets.pattern.count("|") + 1 if self._secrets else 0
        return f"Redactor({count} configured secrets)"

    @classmethod
    def from_env(cls, names: Iterable[str] = (), env: Mapping[str, str] | None = None) -> Redactor:
        """The values of ALWAYS_SECRET and of `names` in the environment."""
        env = os.environ if env is None else env
        return cls(env[name] for name in (*ALWAYS_SECRET, *names) if env.get(name))

    def redact(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        for pattern, replacement in SHAPES:
            text = pattern.sub(replacement, text)
        return text

    def redact_tree(self, value: Any) -> Any:
        """A JSON value with every string redacted and the values of keys
        named like secrets (`password`, `SecretAccessKey`...) masked whole."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {
                self.redact(str(k)): MASK if _secret_key(k, v) else self.redact_tree(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.redact_tree(v) for v in value]
        return value


def _secret_key(key: object, value: object) -> bool:
    return isinstance(key, str) and isinstance(value, str) and bool(_SECRET_KEYS.match(key))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and its exception text) redacted, so that
    whatever formats it later, plain text or JSON, never sees a secret."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, self.redactor)
        return True


def redact_record(record: logging.LogRecord, redactor: Redactor) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redactor.redact(message), None
    if record.exc_info and not record.exc_text:
        # logging.Formatter prints a set exc_text as is instead of formatting
        # exc_info again; a formatter of its own must prefer it likewise.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redactor.redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)


_active: list[Redactor] = []


def active() -> Redactor:
    """The installed redactor, else one built from the environment."""
    return _active[0] if _active else Redactor.from_env()


def install(redactor: Redactor) -> None:
    """Make `redactor` the process's own: every log record from now on, and
    every Poster built without one of its own, goes through it.

    A filter on the root logger would only see records logged *to* it, not
    those its children propagate, so the redaction runs where every record is
    made: the record factory. Calling this again swaps the redactor (e.g.
    once the site config has named more secrets)."""
    first = not _active
    _active[:] = [redactor]
    if not first:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        redact_record(record, _active[0])
        return record

    logging.setLogRecordFactory(factory)
