"""Lock files with hashes, compiled from pyproject.toml, and the check that
they still match it.

    python tools/lock.py           # regenerate requirements/*.txt (asks PyPI)
    python tools/lock.py --upgrade # ... taking the newest versions pyproject.toml allows
    python tools/lock.py --check   # offline: was each lock compiled from pyproject.toml as it is?

pip-compile (pip-tools) writes plain requirements files that `pip install
--require-hashes -r` reads, so neither the image nor CI needs another tool.
It is told to ignore this machine's pip configuration (local wheel folders,
extra indexes): the lock holds PyPI's hashes, which is what `docker build`
sees.

pip-compile does not record what it compiled from, so each lock starts with
the requirement lines it was compiled from (`#   from pyproject: ...`);
`--check` compares them with pyproject.toml now and checks every direct pin
still satisfies its range. Any edit to a dependency line, an extra or the
build requirements makes the check fail until the locks are regenerated.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "python tools/lock.py"
MARK = "#   from pyproject: "
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Lock:
    path: str
    extras: tuple[str, ...] = ()
    build: bool = False  # the build backend (build-system.requires), not the package's deps

    def requirements(self, project: dict[str, Any]) -> list[str]:
        """The requirement lines of pyproject.toml this lock is compiled from."""
        if self.build:
            lines = list(project["build-system"]["requires"])
        else:
            optional = project["project"].get("optional-dependencies", {})
            lines = list(project["project"]["dependencies"])
            lines += [line for extra in self.extras for line in optional[extra]]
        return sorted({str(Requirement(line)) for line in lines}, key=str.lower)

    def compile_args(self) -> list[str]:
        if self.build:
            return ["--only-build-deps", "--build-deps-for", "wheel"]
        return [arg for extra in self.extras for arg in ("--extra", extra)]


LOCKS = (
    Lock("requirements/runtime.txt"),
    # What `make test` installs: the package, its tests and `triage demo`.
    Lock("requirements/test.txt", extras=("test", "demo")),
    # setuptools for building our own wheel in the image's build stage.
    Lock("requirements/build.txt", build=True),
)


def load_project(root: Path = ROOT) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def regenerate(lock: Lock, root: Path = ROOT, *, upgrade: bool = False) -> None:
    """Existing pins are kept unless `upgrade`: adding a dependency changes
    only the lines it brings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": os.devnull, "CUSTOM_COMPILE_COMMAND": COMMAND}
    args = [
        sys.executable, "-m", "piptools", "compile", "--quiet", *(["--upgrade"] if upgrade else []),
        "--generate-hashes", "--allow-unsafe", "--strip-extras",
        "--no-emit-index-url", "--no-emit-find-links",
        *lock.compile_args(), "--output-file", lock.path, "pyproject.toml",
    ]  # fmt: skip
    leftover = root / "triage.egg-info"  # pip-compile prepares our metadata in place
    existed = leftover.exists()
    try:
        subprocess.run(args, cwd=root, env=env, check=True)
    finally:
        if not existed:
            shutil.rmtree(leftover, ignore_errors=True)
    path = root / lock.path
    header = [
        "# Compiled from these lines of pyproject.toml; `python tools/lock.py --check`",
        "# fails when they change (then run `python tools/lock.py`).",
        *(MARK + line for line in lock.requirements(load_project(root))),
    ]
    path.write_text("\n".join(header) + "\n" + path.read_text())


def problems(lock: Lock, root: Path = ROOT) -> list[str]:
    """Why this lock no longer matches pyproject.toml (empty: it does)."""
    path = root / lock.path
    if not path.exists():
        return [f"{lock.path}: missing"]
    text = path.read_text()
    recorded = [line.removeprefix(MARK) for line in text.splitlines() if line.startswith(MARK)]
    wanted = lock.requirements(load_project(root))
    found = []
    if recorded != wanted:
        added = sorted(set(wanted) - set(recorded))
        dropped = sorted(set(recorded) - set(wanted))
        found.append(
            f"{lock.path}: compiled from other requirements (now also {added}, no longer {dropped})"
        )
    pins = {canonicalize_name(name): version for name, version in _PIN.findall(text)}
    for line in wanted:
        requirement = Requirement(line)
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            found.append(f"{lock.path}: {requirement.name} is not pinned")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{lock.path}: {requirement.name}=={version} is outside {line!r}")
    unhashed = [name for name, _ in _PIN.findall(text) if not _hashed(text, name)]
    found += [f"{lock.path}: {name} has no --hash" for name in unhashed]
    return found


def _hashed(text: str, name: str) -> bool:
    return (
        re.search(rf"^{re.escape(name)}==\S+ \\\n\s+--hash=sha256:", text, re.MULTILINE) is not None
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, offline; change nothing")
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions")
    args = parser.parse_args(argv)
    if not args.check:
        for lock in LOCKS:
            regenerate(lock, upgrade=args.upgrade)
    found = [problem for lock in LOCKS for problem in problems(lock)]
    for problem in found:
        print(f"lock: {problem}", file=sys.stderr)
    if found:
        print(f"lock: regenerate with `{COMMAND}`", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
