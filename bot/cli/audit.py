"""`triage audit [--incident ID] [--json] [--db PATH]`: read the audit log.

Every attempt the bot recorded (opened, run, refused, approved, failed), as
a table or as JSON lines, redacted on the way out like everything else.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import redact
from bot.errors import UsageError
from bot.store import AuditRecord, SqliteStore, default_path

COLUMNS = ("time", "incident", "actor", "action", "outcome", "request id", "params")


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("audit", help="print the audit log")
    parser.add_argument("--incident", type=int, help="only this incident's records")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--db", type=Path, help="the store (default: TRIAGE_DB or triage.db)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    try:
        records = store.audit_log(incident_id=args.incident)
    finally:
        store.close()
    redactor = redact.active()
    rows = [redactor.redact_tree(as_json(r)) for r in records]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
    else:
        print("\n".join(table(rows)))
    return 0


def open_store(path: Path | None) -> SqliteStore:
    """The store the bot wrote, never a fresh empty one made by mistake."""
    where = path or default_path()
    if not where.is_file():
        raise UsageError(f"no store at {where} (set --db or TRIAGE_DB)")
    return SqliteStore(where)


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
