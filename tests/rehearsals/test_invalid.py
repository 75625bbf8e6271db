"""Every file under invalid/ is rejected with exactly the error its first line
names: `# expect: LINE:COL: message-start`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.rehearsals.load import load_rehearsal
from bot.runbooks.issues import RunbookError

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))
_EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")


def _expectation(path: Path) -> tuple[int, int, str]:
    match = _EXPECT.match(path.read_text().splitlines()[0])
    assert match, f"{path.name} lacks an '# expect: LINE:COL: message' first line"
    return int(match[1]), int(match[2]), match[3]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_rehearsal_is_rejected_at_its_exact_place(path: Path) -> None:
    line, col, message = _expectation(path)
    with pytest.raises(RunbookError) as caught:
        load_rehearsal(path)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert (problem.file, problem.line, problem.col) == (str(path), line, col), str(problem)
    assert problem.message.startswith(message), str(problem)
