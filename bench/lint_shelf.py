"""Wall time of `triage lint` over a shelf of 200 runbooks.

Copies the shipped runbooks (runbooks/*.yaml, not the rehearsals) into a
temporary folder again and again under new ids until there are `--count`
of them, then runs `python -m bot.cli lint <folder>` as a fresh process
`--runs` times and prints the wall time of each, the median, and where the
time goes inside one process: imports, YAML parsing and validation.

Bytecode: an installed triage has its .pyc files (pip compiles them), so the
lint processes here may write theirs, into a temporary PYTHONPYCACHEPREFIX
(never into the tree), and one untimed run writes them first. The
environment this project's sessions run in sets PYTHONDONTWRITEBYTECODE, which
would make every run compile all of bot/ again (~90 modules, 70-100 ms):
`--cold-bytecode` keeps that, to see the difference.

Usage: python bench/lint_shelf.py [--count 200] [--runs 5] [--cold-bytecode]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for p in (ROOT / "runbooks").glob("*.yaml") if not p.name.endswith(".test.yaml"))
ID = re.compile(r"^id: (\S+)$", re.MULTILINE)


def shelf(folder: Path, count: int) -> list[Path]:
    """`count` runbooks in `folder`, each a shipped one under a new id."""
    written = []
    for n in range(count):
        source = SOURCES[n % len(SOURCES)]
        text = source.read_text()
        old = ID.search(text)
        if old is None:
            raise SystemExit(f"{source} has no top-level id")
        new_id = f"{old.group(1)}-{n:03d}"
        path = folder / f"{new_id}.yaml"
        path.write_text(ID.sub(f"id: {new_id}", text, count=1))
        written.append(path)
    return written


def lint_env(pycache: Path | None) -> dict[str, str]:
    """The lint processes' environment: this tree first on the path, and
    bytecode cached under `pycache` (None: as the caller's environment says)."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def lint_wall(folder: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one `triage lint` process; CPU
    time says more than wall time on a machine others are loading."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "lint", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"lint failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


PHASES = """
import sys, time
t0 = time.perf_counter()
import bot.cli
t1 = time.perf_counter()
from pathlib import Path
from bot.runbooks import files, yamlpos, loader
paths = sorted(Path(sys.argv[1]).glob('*.yaml'))
t2 = time.perf_counter()
for p in paths:
    yamlpos.load(files.read_text(p))
t3 = time.perf_counter()
for p in paths:
    loader.load_reviewed(p)
t4 = time.perf_counter()
print(f"import bot.cli {t1 - t0:.3f} s | parse only {t3 - t2:.3f} s"
      f" | parse+validate {t4 - t3:.3f} s | parser {getattr(yamlpos, 'PARSER', 'python (pure)')}")
"""


def phases(folder: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PHASES, str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="runbooks on the shelf")
    parser.add_argument("--runs", type=int, default=5, help="lint processes to time")
    parser.add_argument(
        "--cold-bytecode", action="store_true", help="compile bot/ in every run (no .pyc)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as pycache:
        folder = Path(tmp)
        written = shelf(folder, args.count)
        size = sum(p.stat().st_size for p in written)
        env = lint_env(None if args.cold_bytecode else Path(pycache))
        lint_wall(folder, env)  # untimed: writes the bytecode (and warms the page cache)
        timed = [lint_wall(folder, env) for _ in range(args.runs)]
        inside = phases(folder, env)
    walls = [w for w, _ in timed]
    cpus = [c for _, c in timed]
    bytecode = "compiled every run" if args.cold_bytecode else "cached (.pyc), as installed"
    print(
        f"`triage lint` of {len(written)} runbooks ({size / 1024:.0f} KiB), {args.runs} runs,"
        f" bytecode {bytecode}"
    )
    print("wall s: " + " ".join(f"{w:.2f}" for w in walls))
    print("cpu s:  " + " ".join(f"{c:.2f}" for c in cpus))
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"median wall {wall:.2f} s, median cpu {cpu:.2f} s")
    print(inside)
    print(f"load average {os.getloadavg()[0]:.2f}")
    met = wall < 1.0
    print(f"target < 1 s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
