"""The Dockerfile, read as text (no Docker engine in CI): what it must keep.
tests/deploy/test_image.py replays its build; these pin its shape."""

from __future__ import annotations

import json
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


def base_images() -> list[str]:
    """Each stage's base, with `ARG NAME=default` filled in."""
    args = dict(a.partition("=")[::2] for w, a in instructions() if w == "ARG" and "=" in a)
    bases = []
    for word, rest in instructions():
        if word == "FROM":
            image = rest.split()[0]
            bases.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], image))
    return bases


def test_every_stage_is_slim_python_311_pinned_by_digest() -> None:
    bases = base_images()
    assert len(bases) == 2 and len(set(bases)) == 1, bases
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", bases[0]), bases[0]


def test_runs_as_a_numeric_non_root_user() -> None:
    users = [args for word, args in final_stage() if word == "USER"]
    assert users, "no USER: the bot would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit()


def test_installs_through_the_shared_script_from_the_runtime_lock() -> None:
    runs = [args for word, args in instructions() if word == "RUN" and "install.sh" in args]
    assert [r.split()[:3] for r in runs] == [
        ["sh", "deploy/install.sh", "deps"],
        ["sh", "deploy/install.sh", "app"],
    ]
    script = (ROOT / "deploy" / "install.sh").read_text()
    assert "--require-hashes" in script and "-r requirements/runtime.txt" in script
    assert "[test]" not in script and "-e " not in script


def test_healthcheck_asks_the_bots_own_healthz_on_the_exposed_port() -> None:
    stage = dict(final_stage())
    assert stage["EXPOSE"] == "3000"
    command = json.loads(stage["HEALTHCHECK"].partition(" CMD ")[2])
    assert command[0] == "python" and "http://127.0.0.1:3000/healthz" in command[-1]
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
    assert "!deploy/install.sh" in ignored  # the build runs it
