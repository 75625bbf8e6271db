"""Resident memory of `triage serve --http`, idle and under load.

Starts the real server as a subprocess (Web API pointed at the Slack
stand-in, TRIAGE_DB in a temp folder, every check aimed at a loopback port
that refuses, AWS at 127.0.0.1:9), reads VmRSS from /proc/<pid>/status once
it is idle after start, then sends 20 triages per second for `--seconds`
(a signed `/triage smtp-relay` in a new channel, then a `Run all` click on the
incident's header once it is posted), and reads VmRSS again at the end of
the load, its peak (VmHWM), and after a few seconds of quiet. Prints idle MB,
loaded MB and their ratio. The server is killed on the way out.

Usage: python bench/rss.py [--seconds 60] [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.slack.payloads import Act  # noqa: E402
from tests.peers.slack import SIGNING_SECRET, BoltClient, SlackStandIn  # noqa: E402

IDLE_SETTLE_S = 3.0
DRAIN_S = 5.0


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that is bound but not listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(stand_in: SlackStandIn, db: Path, refused: int, log: Path) -> Iterator[tuple[int, str]]:
    """`triage serve --http` on a free port; yields (pid, base URL); killed on exit."""
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TRIAGE_", "AWS_"))
    } | {
        "SLACK_API_URL": stand_in.url,
        "SLACK_BOT_TOKEN": stand_in.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TRIAGE_DB": str(db),
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    at = f"http://127.0.0.1:{refused}"
    sets = [
        "targets.smtp-relay.host=127.0.0.1",
        f"targets.smtp-relay.port={refused}",
        "vantage_points.vpc.kind=blackbox",
        f"vantage_points.vpc.url={at}",
        "vantage_points.prometheus.kind=prometheus",
        f"vantage_points.prometheus.url={at}",
        "aws.endpoint_url=http://127.0.0.1:9",
        "aws.max_attempts=1",
    ]
    argv = [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1"]
    argv += ["--port", str(port), *(a for s in sets for a in ("--set", s))]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not healthy within 30 s")
            time.sleep(0.1)
        yield proc.pid, base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def run_all_value(stand_in: SlackStandIn, channel: str) -> tuple[str, str] | None:
    for ts, message in stand_in.messages(channel).items():
        for block in message.blocks or []:
            for element in block.get("elements", []) or []:
                if isinstance(element, dict) and element.get("action_id") == Act.RUN_ALL.value:
                    return ts, str(element["value"])
    return None


async def load(
    base: str, stand_in: SlackStandIn, pid: int, seconds: float, rate: float
) -> dict[str, float]:
    counts = {"commands": 0, "command_fail": 0, "clicks": 0, "click_fail": 0}
    pending: list[str] = []
    tasks: set[asyncio.Task[None]] = set()
    peak_rss = 0.0

    async with BoltClient(base, SIGNING_SECRET, slack=stand_in, timeout=30) as slack:

        async def command(channel: str) -> None:
            response = await slack.command("smtp-relay", channel=channel)
            counts["commands" if response.status_code == 200 else "command_fail"] += 1

        async def click(channel: str, ts: str, value: str) -> None:
            response = await slack.action(Act.RUN_ALL.value, value, channel=channel, message_ts=ts)
            counts["clicks" if response.status_code == 200 else "click_fail"] += 1

        def spawn(coro: object) -> None:
            task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        started = time.monotonic()
        sent = 0
        next_sample = started
        while (now := time.monotonic()) < started + seconds:
            while sent < int((now - started) * rate) + 1:
                channel = f"C{sent:06d}"
                spawn(command(channel))
                pending.append(channel)
                sent += 1
            for channel in list(pending):
                found = run_all_value(stand_in, channel)
                if found is not None:
                    pending.remove(channel)
                    spawn(click(channel, *found))
            if now >= next_sample:
                peak_rss = max(peak_rss, status_mb(pid, "VmRSS"))
                next_sample += 1.0
            await asyncio.sleep(0.02)
        elapsed = time.monotonic() - started
        loaded = status_mb(pid, "VmRSS")
        if tasks:
            await asyncio.wait(tasks, timeout=30)
    return counts | {
        "sent": sent,
        "elapsed": elapsed,
        "unclicked": len(pending),
        "loaded": loaded,
        "peak_sampled": max(peak_rss, loaded),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load")
    parser.add_argument("--rate", type=float, default=20.0, help="triages per second")
    args = parser.parse_args()
    with (
        SlackStandIn() as stand_in,
        tempfile.TemporaryDirectory() as tmp,
        refusing_port() as refused,
        server(stand_in, Path(tmp) / "triage.db", refused, Path(tmp) / "serve.log") as (pid, base),
    ):
        time.sleep(IDLE_SETTLE_S)
        idle = status_mb(pid, "VmRSS")
        print(f"idle after start: VmRSS {idle:.1f} MB (pid {pid})", flush=True)
        got = asyncio.run(load(base, stand_in, pid, args.seconds, args.rate))
        hwm = status_mb(pid, "VmHWM")
        time.sleep(DRAIN_S)
        after = status_mb(pid, "VmRSS")
        posts = len(stand_in.calls("chat.postMessage"))
        updates = len(stand_in.calls("chat.update"))
    print(
        f"load: {got['sent']:.0f} triages in {got['elapsed']:.1f} s"
        f" ({got['sent'] / got['elapsed']:.1f}/s); acked /triage {got['commands']:.0f}"
        f" (failed {got['command_fail']:.0f}), Run all {got['clicks']:.0f}"
        f" (failed {got['click_fail']:.0f}, header never seen {got['unclicked']:.0f});"
        f" Web API: {posts} postMessage, {updates} update"
    )
    loaded = got["loaded"]
    print(
        f"RSS MB: idle {idle:.1f} | loaded (end of load) {loaded:.1f}"
        f" | peak VmHWM {hwm:.1f} | {DRAIN_S:.0f} s after {after:.1f}"
        f" | loaded/idle {loaded / idle:.2f} | peak/idle {hwm / idle:.2f}"
    )
    print(f"target RSS idle < 120 MB: {'met' if idle < 120 else 'NOT met'}")


if __name__ == "__main__":
    main()
