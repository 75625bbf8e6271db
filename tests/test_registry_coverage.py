"""Tables keyed by check type beside the registry must cover it exactly, so
a new check type cannot ship without its docs wording and its dry-run call."""

from __future__ import annotations

from bot.checks.registry import REGISTRY
from bot.docs.checks import DESCRIBERS as DOCS
from bot.engine.dryrun import DESCRIBERS as DRY_RUN


def test_docs_describe_every_registered_check_type() -> None:
    assert set(DOCS) <= set(REGISTRY)
    missing = set(REGISTRY) - set(DOCS)
    # `module` checks fall back to the generic wording: their parameters.
    assert missing <= {"module"}, missing


def test_dry_run_describes_every_registered_check_type() -> None:
    assert set(DRY_RUN) == set(REGISTRY)
