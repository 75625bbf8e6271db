"""Table tests over invalid files: each file's first line names the one error
it must produce, `# expect: LINE:COL: message-start`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.runbooks.issues import RunbookError

_EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")


def expectation(path: Path) -> tuple[int, int, str]:
    match = _EXPECT.match(path.read_text().splitlines()[0])
    assert match, f"{path.name} lacks an '# expect: LINE:COL: message' first line"
    return int(match[1]), int(match[2]), match[3]


def assert_rejected_at_its_place(path: Path, load: Callable[[Path], Any]) -> None:
    line, col, message = expectation(path)
    with pytest.raises(RunbookError) as caught:
        load(path)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert (problem.file, problem.line, problem.col) == (str(path), line, col), str(problem)
    assert problem.message.startswith(message) or message in problem.message, str(problem)
