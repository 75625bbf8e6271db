"""The Dockerfile, read as text (no Docker engine in CI): what it must keep."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_runs_on_slim_python_311_as_a_non_root_user() -> None:
    stage = final_stage()
    assert re.fullmatch(r"python:3\.11-slim(@sha256:\w+)?", stage[0][1])
    users = [args for word, args in stage if word == "USER"]
    assert users, "no USER: the bot would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_installs_the_package_without_its_test_extra() -> None:
    installs = [args for word, args in instructions() if word == "RUN" and "pip install" in args]
    assert installs
    for args in installs:
        assert "[test]" not in args and "-e " not in args, args
        assert re.search(r"pip install .*(\s)\.(\s|$)", args), args


def test_has_a_healthcheck_that_calls_triage_and_triage_as_entrypoint() -> None:
    stage = dict(final_stage())
    assert "HEALTHCHECK" in stage and '"triage"' in stage["HEALTHCHECK"]
    assert stage["ENTRYPOINT"] == '["triage"]'
    assert stage["CMD"] == '["serve"]'


def test_runbooks_are_baked_in_where_triage_runbooks_points() -> None:
    stage = final_stage()
    assert ("COPY", "runbooks /app/runbooks") in stage
    env = " ".join(args for word, args in stage if word == "ENV")
    assert "TRIAGE_RUNBOOKS=/app/runbooks" in env


def test_dockerignore_keeps_the_venv_caches_and_git_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".git", ".pytest_cache", ".mypy_cache", "**/__pycache__"} <= ignored
