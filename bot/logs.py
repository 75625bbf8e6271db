"""Logging, configured once by `triage`: one JSON object per line when
stderr is not a terminal (a container, systemd, CI), plain lines otherwise.

Every record carries the request id of the Slack request or alert webhook
it happened under, when there is one. Secrets are masked before any
formatter sees a record: `bot.redact` does that where records are made.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from bot import redact

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_HANDLER = "triage"

# What every LogRecord has; anything else came in through `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def configure(*, level: str | None = None, stream: TextIO | None = None) -> None:
    """`TRIAGE_LOG_LEVEL` beats `level` (default WARNING); `TRIAGE_LOG_FORMAT`
    (json or plain) beats the terminal test. Like logging.basicConfig, it
    leaves alone a root logger someone else has set up (pytest, a host app)."""
    root = logging.getLogger()
    if any(h.get_name() != _HANDLER for h in root.handlers):
        return
    for ours in list(root.handlers):
        root.removeHandler(ours)
    root.addHandler(handler(stream or sys.stderr))
    root.setLevel((os.environ.get("TRIAGE_LOG_LEVEL") or level or "WARNING").upper())


def handler(stream: TextIO) -> logging.Handler:
    """JSON lines unless `stream` is a terminal; each record with its request id."""
    made = logging.StreamHandler(stream)
    made.set_name(_HANDLER)
    made.addFilter(_stamp_request_id)
    made.setFormatter(JsonFormatter() if _wants_json(stream) else PlainFormatter())
    return made


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if rid := _request_id_of(record):
            line["request_id"] = rid
        # `extra=` values are set on the record after the record factory (and
        # its redaction) ran: they are masked here, where they are printed.
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        line.update(redact.active().redact_tree(extras))
        # bot.redact swaps exc_info for a redacted exc_text when the record is
        # made; exc_text first, so that a record that kept exc_info anyway
        # (made before redaction was installed) is not formatted raw twice.
        if record.exc_text:
            line["exc"] = record.exc_text
        elif record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = _request_id_of(record)
        return f"{text} [{rid}]" if rid else text


def _request_id_of(record: logging.LogRecord) -> str | None:
    rid = record.__dict__.get("request_id")
    return str(rid) if rid else None


def _stamp_request_id(record: logging.LogRecord) -> bool:
    record.__dict__["request_id"] = request_id.get()
    return True


def _wants_json(stream: TextIO) -> bool:
    chosen = os.environ.get("TRIAGE_LOG_FORMAT", "").lower()
    if chosen in ("json", "plain"):
        return chosen == "json"
    return not (hasattr(stream, "isatty") and stream.isatty())
