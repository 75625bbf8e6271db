"""`triage serve --http` as a real process, to be killed with SIGKILL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.slack.bot import SECRET, TOKEN

ROOT = Path(__file__).parents[2]


@dataclass
class Served:
    base: str
    process: subprocess.Popen[str]

    def kill(self) -> None:
        """SIGKILL: no cleanup, no last word, as an OOM kill or a lost host."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def serving(db: Path, api_url: str, sets: list[str], log: Path, **env: str) -> Iterator[Served]:
    environ = dict(os.environ, SLACK_API_URL=api_url, SLACK_BOT_TOKEN=TOKEN,
                   SLACK_SIGNING_SECRET=SECRET, TRIAGE_DB=str(db), **env)  # fmt: skip
    environ.pop("SLACK_APP_TOKEN", None)
    args = [
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--http",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
    ]
    for value in sets:
        args += ["--set", value]
    with log.open("a") as stderr:
        process = subprocess.Popen(
            args, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the server says where it listens
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + log.read_text()
        yield Served(f"http://127.0.0.1:{match[1]}", process)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
