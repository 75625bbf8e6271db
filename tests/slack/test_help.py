"""`/triage help` (#15.7): grouped by runbook, searchable, and it says how
many targets it could not show, within what Slack accepts."""

from __future__ import annotations

import json
from pathlib import Path

from bot.runbooks.catalogue import Catalogue, Help, HelpEntry
from bot.runbooks.loader import load_site
from bot.slack import limits
from bot.slack.help import help_blocks

ROOT = Path(__file__).parents[2]


def shelf(runbooks: int, targets: int) -> list[HelpEntry]:
    """21 runbooks of a few targets each, as a team's shelf (issue #15)."""
    return [
        HelpEntry(f"rb-{r:02d}", f"Runbook {r} about things", f"t{r}-{t}", f"Target {t} " * 6)
        for r in range(runbooks)
        for t in range(targets)
    ]


def text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_help_groups_targets_under_their_runbook() -> None:
    catalogue = Catalogue.load([ROOT / "runbooks"], load_site(None))
    shown = text(help_blocks(catalogue.entries()))
    assert "*Probe failure on a user-facing endpoint* (`probe-failure`)" in shown
    assert "• `smtp-relay`: SMTP relay" in shown
    assert "not shown" not in shown


def test_a_long_shelf_says_how_many_are_not_shown() -> None:
    entries = shelf(21, 12)
    blocks = help_blocks(entries)
    assert limits.check_message({"text": "triage targets", "blocks": blocks}) is None
    shown = text(blocks).count("• `")
    assert 0 < shown < len(entries)
    assert f"{len(entries) - shown} more of {len(entries)} targets (21 runbooks) not shown" in (
        text(blocks)
    )


def test_help_searches_targets_and_runbooks() -> None:
    catalogue = Catalogue.load([ROOT / "runbooks"], load_site(None))
    assert catalogue.choose("help smtp") == Help("smtp")
    shown = text(help_blocks(catalogue.entries(), "smtp"))
    assert "`smtp-relay`" in shown
    assert "`ntfy`" not in shown and "not shown" not in shown
    # Words narrow: every one must be found, in a name or a title.
    both = text(help_blocks(catalogue.entries(), "sending 465"))
    assert "`submission-tls`" in both and "`submission`:" not in both
    nothing = text(help_blocks(catalogue.entries(), "<zzz>"))
    assert "No target or runbook matches `&lt;zzz&gt;`" in nothing
