"""Every rehearsal file under invalid/ is rejected with exactly the error its
first line names: `# expect: LINE:COL: message-start`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rehearsals.load import load_rehearsal
from tests.located import assert_rejected_at_its_place

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_rehearsal_is_rejected_at_its_exact_place(path: Path) -> None:
    assert_rejected_at_its_place(path, load_rehearsal)
