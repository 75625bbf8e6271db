"""Check types as plugins: the example package under site/ is found through
its `triage.checks` entry point (its dist-info on the path is what an
install leaves), appears in `triage schema`, and runs in `triage run`,
dry run and docs, in a real `triage` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.checks import plugins

ROOT = Path(__file__).parents[2]
SITE = Path(__file__).parent / "site"

RUNBOOK = """
id: backups
title: Nightly backup missing
summary: The backup job has not written its marker.
targets:
  db:
    title: Database
    impact: No restore point newer than a day.
    protocol: tcp
    host: db.internal
    port: 5432
steps:
  - id: marker
    title: Did the backup write its marker?
    checks:
      - {id: stamp, type: file, path: "MARKER", max_age: 3600}
    conclusions:
      - when: {stamp: pass}
        say: "The marker is fresh: {{ checks.stamp.summary }}"
      - when: {stamp: fail}
        say: "No fresh marker: {{ checks.stamp.summary }}"
"""


def triage(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(SITE)]))
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_plugin_is_discovered_through_its_entry_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(SITE))
    found = {t.name: t for t in plugins.discovered()}
    assert found["file"].description.startswith("A file exists")


def test_without_the_package_there_is_no_plugin() -> None:
    assert "file" not in {t.name for t in plugins.discovered()}


def test_the_plugin_appears_in_triage_schema() -> None:
    done = triage("schema")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    variants = {name for name in schema["$defs"] if name.endswith("Check")}
    assert "FileCheck" in variants
    assert schema["$defs"]["FileCheck"]["properties"]["max_age"]["anyOf"]


def test_the_plugin_runs_and_is_dry_run_and_documented(tmp_path: Path) -> None:
    marker = tmp_path / "done"
    marker.write_text("ok")
    runbook = tmp_path / "backups.yaml"
    runbook.write_text(RUNBOOK.replace("MARKER", str(marker)))
    ran = triage("run", str(runbook), "--target", "db", "--json")
    assert ran.returncode == 0, ran.stderr
    (step,) = json.loads(ran.stdout)["steps"]
    assert step["checks"][0]["status"] == "pass"
    assert step["conclusion"].startswith(f"The marker is fresh: {marker}: written")
    dry = triage("run", str(runbook), "--target", "db", "--dry-run")
    assert f"stat {marker}" in dry.stdout, dry.stdout + dry.stderr
    page = triage("docs", str(runbook))
    assert f"file `{marker}` written in the last 3600 s" in page.stdout, page.stderr


def test_the_plugin_fails_when_the_file_is_missing(tmp_path: Path) -> None:
    runbook = tmp_path / "backups.yaml"
    runbook.write_text(RUNBOOK.replace("MARKER", str(tmp_path / "absent")))
    ran = triage("run", str(runbook), "--target", "db", "--json")
    assert ran.returncode == 1
    (step,) = json.loads(ran.stdout)["steps"]
    assert step["conclusion"] == f"No fresh marker: {tmp_path / 'absent'}: no such file"


def test_a_plugin_that_is_not_a_check_type_is_refused_by_name(tmp_path: Path) -> None:
    info = tmp_path / "broken-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[triage.checks]\nbroken = json:dumps\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "schema"],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)])),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "check type plugin 'broken' (json:dumps" in done.stderr
    assert "is a function, not a CheckType" in done.stderr


def test_the_plugin_is_linted_like_a_built_in_type(tmp_path: Path) -> None:
    """`triage lint` reads the plugin's own parameter model: a valid check
    passes, a parameter out of its range is reported at its line."""
    good = tmp_path / "backups.yaml"
    good.write_text(RUNBOOK.replace("MARKER", str(tmp_path / "m")))
    linted = triage("lint", str(good))
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "1 valid, 0 invalid" in linted.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("max_age: 3600", "max_age: -1"))
    linted = triage("lint", str(bad))
    assert linted.returncode == 1
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if "max_age" in text)
    assert f"{bad}:{line}:" in linted.stdout and "max_age" in linted.stdout, linted.stdout
