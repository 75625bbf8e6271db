"""A timeline as text for a terminal, Markdown for a file, or JSON. Times
in UTC, with the offset from the incident's opening beside each."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.timeline.model import Entry, Timeline


def stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


def offset(seconds: float) -> str:
    """`+0s`, `+2m 05s`, `+1h 02m`: how long after the incident opened."""
    s = max(0, int(seconds))
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"+{hours}h {minutes:02d}m"
    return f"+{minutes}m {secs:02d}s" if minutes else f"+{secs}s"


def heading(t: Timeline) -> str:
    state = (
        f"resolved {stamp(t.resolved_at)} by {t.resolved_by or '?'}"
        if t.status == "resolved" and t.resolved_at is not None
        else "still open"
    )
    return (
        f"Incident {t.incident_id}: {t.runbook} on {t.target}; "
        f"opened {stamp(t.opened_at)} by {t.opened_by}, {state}"
    )


def source_stamp(at: float) -> str:
    """A source's time in full: it may be a day or more off the bot's."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _source(e: Entry) -> str:
    return f" (source time {source_stamp(e.source_at)})" if e.source_at is not None else ""


def text(t: Timeline) -> str:
    rows = [
        f"{clock(e.at)}  {offset(e.at - t.opened_at):>9}  {e.who or '-':<20}  {e.what}{_source(e)}"
        for e in t.entries
    ]
    return "\n".join([heading(t), "", *rows]) + "\n"


def _cell(value: str) -> str:
    """A Markdown table cell: one line, no column break."""
    return " ".join(value.split()).replace("|", "\\|")


def markdown(t: Timeline) -> str:
    rows = [
        f"| {clock(e.at)} | {offset(e.at - t.opened_at)} | {_cell(e.who or '-')} "
        f"| {_cell(e.what + _source(e))} |"
        for e in t.entries
    ]
    return (
        "\n".join(
            [
                f"# Timeline of incident {t.incident_id}",
                "",
                _cell(heading(t)) + ".",
                "",
                "| Time (UTC) | Since opened | Who | What |",
                "|---|---|---|---|",
                *rows,
            ]
        )
        + "\n"
    )


def as_json(t: Timeline) -> str:
    return json.dumps(t.to_json(), indent=2, default=str) + "\n"
