"""Every file under invalid/ is rejected with exactly the error its first line
names: `# expect: LINE:COL: message-start`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_runbook

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))
_EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")


def _expectation(path: Path) -> tuple[int, int, str]:
    match = _EXPECT.match(path.read_text().splitlines()[0])
    assert match, f"{path.name} lacks an '# expect: LINE:COL: message' first line"
    return int(match[1]), int(match[2]), match[3]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_runbook_is_rejected_at_its_exact_place(path: Path) -> None:
    line, col, message = _expectation(path)
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert (problem.file, problem.line, problem.col) == (str(path), line, col), str(problem)
    assert problem.message.startswith(message) or message in problem.message, str(problem)


def test_there_is_a_fixture_for_each_kind_of_mistake() -> None:
    assert len(INVALID) >= 20
