"""`triage audit [--incident ID] [--json] [--db PATH|URL]`: read the audit log.

Every attempt the bot recorded (opened, run, refused, approved, failed), as
a table or as JSON lines, redacted on the way out like everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from bot import redact
from bot.cli.stored import bot_settings, reading, store_at
from bot.store import AuditRecord

COLUMNS = ("time", "incident", "actor", "action", "outcome", "request id", "params")


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="print the audit log")
    parser.add_argument("--incident", type=int, help="only this incident's records")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help="the store: a SQLite file or a postgresql:// URL (default: TRIAGE_DB)"
    )


def handle(args: argparse.Namespace) -> int:
    records = asyncio.run(_audit_log(store_at(bot_settings(args)), args.incident))
    redactor = redact.active()
    rows = [redactor.redact_tree(as_json(r)) for r in records]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
    else:
        print("\n".join(table(rows)))
    return 0


async def _audit_log(where: str, incident: int | None) -> list[AuditRecord]:
    async with reading(where) as store:
        return await store.audit_log(incident_id=incident)


def as_json(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "time": iso(record.at),
        "incident": record.incident_id,
        "actor": record.actor,
        "action": record.action,
        "outcome": record.outcome,
        "request_id": record.request_id,
        "params": record.params,
    }


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def table(rows: Sequence[dict[str, Any]]) -> Iterator[str]:
    cells = [COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS) - 1)]
    for line in cells:
        padded = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        yield "  ".join([*padded, line[-1]]).rstrip()


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    params = json.dumps(row["params"], separators=(",", ":"), ensure_ascii=False, default=str)
    incident = row["incident"]
    cells = (
        row["time"],
        "-" if incident is None else str(incident),
        row["actor"],
        row["action"],
        row["outcome"],
        row["request_id"],
        params,
    )
    return tuple(_printable(str(cell)) for cell in cells)


def _printable(text: str) -> str:
    """One line, and no control characters a terminal would act on."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
