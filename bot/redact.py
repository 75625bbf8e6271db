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
import threading
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
    mixes upper case, lower case and digits, as they do (a SHA-1 does not),
    and is not a piece of a URL's path (a Slack permalink's
    `com/archives/C0123ABCD/p1700000000123456` is exactly 40 such characters)."""
    text = match[0]
    mixed = any(c.isupper() for c in text) and any(c.islower() for c in text)
    if not (mixed and any(c.isdigit() for c in text)):
        return text
    return text if _in_url_path(match.string, match.start()) else MASK


def _in_url_path(string: str, start: int) -> bool:
    word_start = max(string.rfind(c, 0, start) for c in " \t\n\"'<>(|,") + 1
    return "://" in string[word_start:start]


# Keys whose value is a credential, in `key=value`, `key: value`, JSON
# (`"key": "value"`) and header (`X-Api-Key: value`) spellings.
_KEYS = (
    r"password|passwd|pwd|x-api-key|api[_-]?key|access[_-]?token|auth[_-]?token"
    r"|client[_-]?secret|secret|token"
)
# Quotes may come escaped, once or more (`\\"`): JSON inside a string, or
# inside the repr of bytes, as botocore shows a response body.
_QUOTED_SEP = r"(?:\\*[\"'])?\s*[:=]\s*(?:\\*[\"'])?"

# (pattern, replacement): each keeps what says *what* was there, masks the value.
# Compiled once, here. The token formats after the first rules are those
# detect-secrets (1.5) knows by shape; they are copied rather than imported:
# importing detect_secrets costs ~0.7 s at every start and pulls in requests,
# and its scanner reports every high-entropy word of ordinary check output,
# which cannot be masked in text shown to a responder. The tests run
# detect-secrets itself over what the bot emits, as an independent check.
SHAPES: tuple[tuple[re.Pattern[str], Replace], ...] = (
    (re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+"), rf"\1-{MASK}"),
    (
        re.compile(r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/)[\w/-]+"),
        rf"\1{MASK}",
    ),
    (re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"), MASK),
    (
        re.compile(
            r"(?i)(aws_?secret_?access_?key|secret_?access_?key|aws_?session_?token"
            rf"|session_?token)({_QUOTED_SEP})[{_B64}]{{16,}}"
        ),
        rf"\1\2{MASK}",
    ),
    (
        re.compile(
            rf"(?i)\b(authorization{_QUOTED_SEP}(?:bearer\s+|basic\s+|token\s+|digest\s+)?)"
            r"[^\s\"',;\\]+"
        ),
        rf"\1{MASK}",
    ),
    # A bearer token has a digit or punctuation in it; "bearer tokens" does not.
    (re.compile(r"(?i)\b(bearer\s+)(?=\S*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}"), rf"\1{MASK}"),
    (
        re.compile(rf"(?i)(?<![A-Za-z0-9_-])({_KEYS})({_QUOTED_SEP})(?!\*\*\*)[^\s\"'&,;\\]+"),
        rf"\1\2{MASK}",
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^\s/]*(@)", re.IGNORECASE), rf"\1{MASK}\2"),
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?"
            r"(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.DOTALL,
        ),
        f"[private key {MASK}]",
    ),
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}\b"), MASK),
    (re.compile(r"\b(?:glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_-]{20,50}(?!\w)"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_=-]+\.eyJ[A-Za-z0-9_=-]+\.[A-Za-z0-9_.+/=-]*"), MASK),
    (re.compile(r"\b[rs]k_live_[0-9a-zA-Z]{24,}"), MASK),
    (re.compile(r"\bSG\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9_-]{43}"), MASK),
    (re.compile(r"\bsq0csp-[0-9A-Za-z_-]{43}"), MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), MASK),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}"), MASK),
    (re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{70,}"), MASK),
    (re.compile(r"AccountKey=[a-zA-Z0-9+/=]{88}"), f"AccountKey={MASK}"),
    (re.compile(rf"(?<![{_B64}])[A-Za-z0-9/+]{{40}}(?![{_B64}])"), _aws_secret),
)


# Something every SHAPES pattern needs to match, in one pass: text without
# any of these (most of what the bot posts: titles, findings, button labels)
# skips the twenty SHAPES passes (issue 19: they were a fifth of opening an
# incident). Each alternative is a literal or class that the pattern of the
# same name cannot match without; case is ignored, so it only over-matches.
# tests/security/test_redaction_prefilter.py holds it to that, shape by shape.
_MAYBE = re.compile(
    r"(?i)xox[abeoprs]-|xapp-|hooks\.slack\.com/"  # Slack tokens, webhooks
    r"|A(?:KIA|SIA|BIA|CCA|3T)"  # AWS key ids
    r"|secret|token|passw|pwd|api[_-]?key|authorization|bearer"  # keyed values
    r"|://"  # user:password@ in a URL
    r"|PRIVATE KEY"
    r"|gh[pousr]_|gl(?:pat|dt|ft|soat|rt)-|eyJ|k_live_|SG\.|sq0csp-|AIza|npm_|pypi-"
    r"|AccountKey="
    r"|[A-Za-z0-9/+]{40}"  # a bare AWS secret key
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
        if _learned:
            text = _learned[0].sub(MASK, text)
        if _MAYBE.search(text) is None:
            return text
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


# Secrets read at run time (a check's token from the environment or a file,
# `learn`): every redactor masks them from then on, the installed one and
# those built earlier (a Poster keeps its own), since the value was not known
# when they were made.
_learned: list[re.Pattern[str]] = []
_learned_values: set[str] = set()
_learning = threading.Lock()


def learn(*values: str) -> None:
    """Mask these values everywhere from now on (lengths below
    MIN_SECRET_LENGTH are ignored, as for configured secrets)."""
    fresh = {v for v in values if len(v) >= MIN_SECRET_LENGTH} - _learned_values
    if not fresh:
        return
    with _learning:
        _learned_values.update(fresh)
        ordered = sorted(_learned_values, key=len, reverse=True)
        _learned[:] = [re.compile("|".join(map(re.escape, ordered)))]


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
    """Masks what a formatter prints from a record as it is made: the message
    with its arguments, the traceback and the stack (`extra=` values come
    later; bot.logs masks them where it prints them). The exception
    itself is dropped once its text is kept: any formatter that formats
    `exc_info` again (ours did, for JSON) would print it unmasked."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redactor.redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    record.exc_info = None
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
        redact_record(record, active())
        return record

    logging.setLogRecordFactory(factory)
