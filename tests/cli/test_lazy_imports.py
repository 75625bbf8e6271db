"""Commands that need neither Slack nor AWS do not import them: `triage lint`
of a big shelf must stay well under a second (bench/lint_shelf.py), and
slack_bolt, aiohttp and boto3 alone cost about a second to import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
# dnspython and cryptography are only needed once a dns lookup or a TLS
# handshake is made (about 150 ms of imports between them).
HEAVY = (
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "boto3",
    "matplotlib",
    "bot.slack",
    "bot.demo",
    "dns",
    "cryptography",
)
PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_by(*argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    got = json.loads(last)
    return got["code"], set(got["modules"])


def heavy(modules: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if h in modules)


@pytest.mark.parametrize(
    "argv",
    [
        ("lint", "runbooks"),
        ("schema",),
        ("docs", "probe-failure"),
        ("test", "runbooks/web-errors.test.yaml"),
    ],
    ids=lambda a: a[0],
)
def test_one_shot_commands_do_not_import_slack_or_boto3(argv: tuple[str, ...]) -> None:
    code, modules = imported_by(*argv)
    assert code == 0
    assert heavy(modules) == []


def test_serve_still_has_what_it_needs_once_asked() -> None:
    # The imports moved into the handlers: serve must still find them
    # (no SLACK_* set here, so it stops at its configuration error).
    env_free = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", "0"],
        cwd=ROOT,
        env=env_free | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "triage serve:" in done.stderr and "Traceback" not in done.stderr
