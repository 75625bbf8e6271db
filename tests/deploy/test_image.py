"""The image, replayed without a container engine: the Dockerfile's build
stage runs as written (its COPY lines, then its RUN lines, which call
deploy/install.sh) into a fresh venv from the lock file; the final stage's
layout is rebuilt around it (root-owned code and runbooks, one store folder
the unprivileged user owns). Then, as that user, `triage serve --http`
starts and answers /healthz, the Dockerfile's own HEALTHCHECK passes, and
nothing of the test extra is importable.

Cost: about a minute (two venvs, ~35 wheels; pip's cache makes reruns
faster); downloads from PyPI on a cold cache. Marked `image`, so
`pytest -m "not image"` leaves it out.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.peers.slack import SlackStandIn
from tests.test_dockerfile import instructions

ROOT = Path(__file__).parents[2]
USER = "triage-image"
VENV = "/opt/triage"
TEST_ONLY = ("pytest", "moto", "mypy", "ruff", "trustme", "aiosmtpd", "hypothesis", "pip")
DEADLINE = 30.0

pytestmark = [pytest.mark.image, pytest.mark.timeout(600)]


@dataclass(frozen=True)
class Image:
    root: Path  # stands for the image's /
    uid: int | None  # who runs it (None: this unprivileged process itself)
    gid: int | None

    def path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")

    def env(self) -> dict[str, str]:
        """The final stage's ENV, with its paths moved under root."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
        for name, raw in _env_lines(stage(-1)):
            value = raw.replace("$PATH", env["PATH"])
            env[name] = re.sub(
                r"(^|:)(/(?:opt|app|var)/[^:]*)", lambda m: m[1] + str(self.path(m[2])), value
            )
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, env=self.env(), cwd=self.path("/app"), capture_output=True, text=True,
            timeout=60, check=False, user=self.uid, group=self.gid, extra_groups=self._groups(),
        )  # fmt: skip

    def start(self, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            args, env=self.env() | env, cwd=self.path("/app"), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            user=self.uid, group=self.gid, extra_groups=self._groups(),
        )  # fmt: skip

    def _groups(self) -> list[int] | None:
        return None if self.uid is None else []  # drop root's supplementary groups


def stage(n: int) -> list[tuple[str, str]]:
    steps = instructions()
    starts = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    ends = [*starts[1:], len(steps)]
    return steps[starts[n] : ends[n]]


def _env_lines(steps: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    for word, args in steps:
        if word == "ENV":
            for pair in args.split():
                name, _, value = pair.partition("=")
                yield name, value


def _runner() -> tuple[int | None, int | None]:
    """Root runs it as an unprivileged user (created if missing); anyone else is one."""
    if os.geteuid() != 0:
        return None, None
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            check=True, capture_output=True,
        )  # fmt: skip
        entry = pwd.getpwnam(USER)
    return entry.pw_uid, entry.pw_gid


def _base_python(uid: int | None, gid: int | None) -> str:
    """A Python 3.11 with venv that the user can run (the image's is
    /usr/local/bin/python; this machine's own may sit under /root)."""
    groups: list[int] | None = None if uid is None else []
    base = str(getattr(sys, "_base_executable", sys.executable))
    candidates = [base, shutil.which("python3.11"), "/usr/bin/python3"]
    for python in filter(None, candidates):
        probe = "import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 11)"
        try:
            done = subprocess.run(
                [python, "-c", probe], capture_output=True, check=False,
                user=uid, group=gid, extra_groups=groups,
            )  # fmt: skip
        except PermissionError:
            continue
        if done.returncode == 0:
            return python
    pytest.skip(f"no Python 3.11 with venv that uid {uid} may run (tried {candidates})")


def _copy(args: str, source: Path, into: Path) -> None:
    """One COPY of the build stage, from the checkout into the build folder."""
    *sources, dest = args.split()
    for name in sources:
        origin = source / name
        target = into / dest / Path(name).name if dest.endswith("/") else into / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(origin, target)


def _build(image: Image, work: Path) -> None:
    """The build stage: its COPY and RUN lines, as written, with pip's cache."""
    builder = work / "builder"
    python = _base_python(image.uid, image.gid)
    subprocess.run([python, "-m", "venv", str(builder)], check=True)
    # Nothing of this process's Python setup (PYTHONPATH would show pip the
    # checkout's triage as installed) and no machine pip config (local wheel
    # folders, extra indexes): PyPI, as `docker build` sees it.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    env |= {"PIP_CONFIG_FILE": os.devnull, "PYTHON": str(builder / "bin" / "python")}
    env |= {k: v for k, v in _env_lines(stage(0)) if k != "PIP_NO_CACHE_DIR"}
    src = work / "src"
    for word, args in stage(0):
        if word == "COPY":
            _copy(args, ROOT, src)
        elif word == "RUN":
            command = args.replace(VENV, str(image.path(VENV)))
            done = subprocess.run(
                ["sh", "-c", command], cwd=src, env=env,
                capture_output=True, text=True, timeout=500, check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"RUN {args}\n{done.stdout}\n{done.stderr}"


def _final(image: Image) -> None:
    """The final stage's layout: root owns the code and runbooks; the
    unprivileged user owns only the store folder."""
    for word, args in stage(-1):
        if word == "COPY" and not args.startswith("--from"):
            source, dest = args.split()
            shutil.copytree(
                ROOT / source, image.path(dest), ignore=shutil.ignore_patterns("__pycache__")
            )
    store = Path(image.env()["TRIAGE_DB"]).parent
    store.mkdir(parents=True)
    # Run by root, the user owns nothing but the store; run by this
    # unprivileged process, it owns everything, so only the store keeps its
    # write bit.
    for folder, _, files in os.walk(image.root):
        Path(folder).chmod(0o755 if image.uid is not None else 0o555)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & 0o555)
    store.chmod(0o755)
    if image.uid is not None:
        os.chown(store, image.uid, image.gid if image.gid is not None else -1)


@pytest.fixture(scope="module")
def image() -> Iterator[Image]:
    uid, gid = _runner()
    work = Path(tempfile.mkdtemp(prefix="triage-image-"))
    work.chmod(0o755)  # the user must reach the image folder inside
    built = Image(work / "image", uid, gid)
    built.root.mkdir()
    try:
        _build(built, work)
        _final(built)
        yield built
    finally:
        for folder, _, _ in os.walk(work):
            Path(folder).chmod(0o755)
        shutil.rmtree(work)


def _wait_for_line(process: subprocess.Popen[str], pattern: str) -> re.Match[str]:
    """The first output line matching pattern, or fail at the deadline."""
    found: list[re.Match[str]] = []
    seen: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if match := re.search(pattern, line):
                found.append(match)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(DEADLINE)
    assert found, f"no {pattern!r} within {DEADLINE:g} s:\n{''.join(seen)}"
    return found[0]


def _healthcheck(port: int) -> list[str]:
    """The Dockerfile's HEALTHCHECK command, asking the port the server got."""
    (line,) = (args for word, args in stage(-1) if word == "HEALTHCHECK")
    command: list[str] = json.loads(line.partition(" CMD ")[2])
    return [part.replace("127.0.0.1:3000", f"127.0.0.1:{port}") for part in command]


def test_serve_starts_as_the_unprivileged_user_and_the_healthcheck_passes(
    image: Image, slack_api: SlackStandIn
) -> None:
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-image",
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": slack_api.url,
    }
    server = image.start(
        "triage", "serve", "--http", "--host", "127.0.0.1", "--port", "0", env=secrets
    )
    try:
        port = int(_wait_for_line(server, r"http://127\.0\.0\.1:(\d+)/slack/events")[1])
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {
            "ok": True,
            "store": "ok",
        }
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        probe = image.run(*_healthcheck(port))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert probe.returncode == 0, probe.stderr
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"\nhealth check: {cpu * 1000:.0f} ms of CPU per probe")
        db = Path(image.env()["TRIAGE_DB"])
        assert db.exists() and (image.uid is None or db.stat().st_uid == image.uid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Honest: with the server gone the same probe fails.
    assert image.run(*_healthcheck(port)).returncode != 0


def test_only_the_store_folder_is_writable(image: Image) -> None:
    venv, runbooks = image.path(VENV), Path(image.env()["TRIAGE_RUNBOOKS"])
    store = Path(image.env()["TRIAGE_DB"]).parent
    site = next(venv.glob("lib/python3*/site-packages"))
    folders = [venv / "bin", site, site / "bot", runbooks, image.path("/app"), store]
    probe = "import sys, os\nfor f in sys.argv[1:]:\n    print(f, os.access(f, os.W_OK))"
    done = image.run("python", "-c", probe, *map(str, folders))
    writable = {
        line.rpartition(" ")[0] for line in done.stdout.splitlines() if line.endswith("True")
    }
    assert writable == {str(store)}, done.stdout + done.stderr


def test_the_runbooks_are_baked_in_load_and_pass_their_rehearsals(image: Image) -> None:
    # README: `docker run --rm triage lint` and `docker run --rm triage test`.
    for command in ("lint", "test"):
        done = image.run("triage", command)
        assert done.returncode == 0, f"triage {command}:\n{done.stdout}{done.stderr}"


def test_no_test_extra_and_no_pip_in_the_image(image: Image) -> None:
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    done = image.run("python", "-c", probe, *TEST_ONLY)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    assert image.run("python", "-c", "import slack_bolt, boto3, bot.cli").returncode == 0


def test_the_installed_size(image: Image) -> None:
    venv = image.path(VENV)
    size = sum(p.stat().st_size for p in venv.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"\nimage venv: {size / 1e6:.0f} MB installed (on top of python:3.11-slim)")
    # Sanity, not a budget: boto3's data alone is tens of MB; a test extra would double it.
    assert 20e6 < size < 400e6
