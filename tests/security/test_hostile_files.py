"""Threat: a hostile or broken file where a runbook, site config, blackbox
config or rehearsal is expected.

Every such file must end as one located error (`file:line:col: message`),
quickly and in bounded memory: never a traceback, a hang or gigabytes read.
Each attack is tried through the one loading path every format shares.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.rehearsals.load import load_rehearsal
from bot.runbooks.files import MAX_FILE_BYTES
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_blackbox_modules, load_runbook, load_site
from bot.runbooks.site import apply_set
from bot.runbooks.yamlpos import MAX_DEPTH, MAX_NODES, YamlError, load

ROOT = Path(__file__).parents[2]

LOADERS: dict[str, Callable[[Path], Any]] = {
    "runbook": load_runbook,
    "site": load_site,
    "blackbox": load_blackbox_modules,
    "rehearsal": load_rehearsal,
}

# The classic: nine levels of ten aliases each, 10**9 strings from ~600 bytes.


def _laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


BILLION_LAUGHS = _laughs()
RECURSIVE = "id: x\nloop: &loop [1, *loop]\n"
DEEP = "x: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_BLOCK = "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + f"{'  ' * 300}v\n"
HUGE_INT = "id: x\nport: " + "9" * 5000 + "\n"
BAD_DATE = "id: x\nwhen: 2024-13-45\n"

TEXTS = {
    "billion-laughs": BILLION_LAUGHS,
    "recursive-alias": RECURSIVE,
    "deep-flow-nesting": DEEP,
    "deep-block-nesting": DEEP_BLOCK,
    "huge-integer": HUGE_INT,
    "bad-date": BAD_DATE,
}


def located(caught: pytest.ExceptionInfo[RunbookError], path: Path) -> tuple[int, int]:
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    problem = problems[0]
    assert problem.file == str(path)
    assert problem.line >= 1 and problem.col >= 1
    assert "Traceback" not in problem.message
    return problem.line, problem.col


@pytest.mark.parametrize("kind", sorted(LOADERS))
@pytest.mark.parametrize("attack", sorted(TEXTS))
def test_hostile_yaml_is_one_located_error(tmp_path: Path, kind: str, attack: str) -> None:
    suffix = ".test.yaml" if kind == "rehearsal" else ".yaml"
    path = tmp_path / f"x{suffix}"
    path.write_text(TEXTS[attack])
    with pytest.raises(RunbookError) as caught:
        LOADERS[kind](path)
    located(caught, path)


def test_billion_laughs_is_small_and_names_the_alias_that_crossed_the_budget() -> None:
    assert len(BILLION_LAUGHS.encode()) < 650
    with pytest.raises(YamlError, match="aliases expand") as caught:
        load(BILLION_LAUGHS)
    assert caught.value.mark.line > 1  # an alias, not the start of the file


def test_recursive_alias_is_located_at_the_alias() -> None:
    with pytest.raises(YamlError, match="refers to itself") as caught:
        load(RECURSIVE)
    assert (caught.value.mark.line, caught.value.mark.col) == (2, 17)


def test_nesting_deeper_than_the_budget_is_refused_at_its_place() -> None:
    text = "x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(YamlError, match="nested deeper than") as caught:
        load(text)
    assert caught.value.mark.line == 1 and caught.value.mark.col > MAX_DEPTH


def test_ordinary_aliases_within_budget_still_work() -> None:
    data, _ = load("base: &b {port: 25}\nsmtp: *b\nimap: {<<: *b, port: 143}\n")
    assert data == {"base": {"port": 25}, "smtp": {"port": 25}, "imap": {"port": 143}}
    assert MAX_NODES >= 10_000  # room for the largest real runbook several times over


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path, kind: str) -> None:
    suffix = ".test.yaml" if kind == "rehearsal" else ".yaml"
    fifo = tmp_path / f"x{suffix}"
    os.mkfifo(fifo)
    with pytest.raises(RunbookError, match="not a regular file") as caught:
        LOADERS[kind](fifo)
    located(caught, fifo)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_link_to_dev_zero_is_refused_without_reading_it(tmp_path: Path, kind: str) -> None:
    link = tmp_path / "x.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(RunbookError, match="not a regular file") as caught:
        LOADERS[kind](link)
    located(caught, link)


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(RunbookError, match="larger than") as caught:
        load_runbook(big)
    located(caught, big)


def test_a_link_to_a_regular_runbook_still_loads(tmp_path: Path) -> None:
    link = tmp_path / "probe-failure.yaml"
    link.symlink_to(ROOT / "runbooks" / "probe-failure.yaml")
    assert load_runbook(link).id == "probe-failure"


def test_site_set_values_share_the_budget() -> None:
    data: dict[str, Any] = {}
    apply_set(data, f"vars.x={'[' * 5000}")  # not a RecursionError
    assert data == {"vars": {"x": "[" * 5000}}  # kept as the text it is


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    """`triage lint` in a child with a 512 MB address-space cap: a loader that
    expands aliases would die of MemoryError instead of printing a location."""

    def cap() -> None:
        limit = 512 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "lint", str(path)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=cap,
        check=False,
    )


@pytest.mark.parametrize("attack", ["billion-laughs", "recursive-alias", "deep-flow-nesting"])
def test_lint_prints_a_location_not_a_traceback(tmp_path: Path, attack: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(TEXTS[attack])
    done = _lint(path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"{path}:" in done.stdout + done.stderr


def test_lint_of_a_folder_holding_a_fifo_finishes(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.yaml")
    done = _lint(tmp_path)
    assert "not a regular file" in done.stdout + done.stderr
