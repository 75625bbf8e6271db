"""Per-probe cost: our executors versus blackbox_exporter's /probe round trip.

The same loopback targets (TCP, implicit TLS, SMTP STARTTLS, IMAP STARTTLS,
HTTP) are probed N times each, one probe at a time: by our own check type,
by our `module` executor running the exporter's module, and by a real
prometheus-blackbox-exporter asked over HTTP (a kept-alive client, as
Prometheus scrapes it). Prints median and p95 per probe and the ratios
measured in this one run.

The three probers take turns, one probe each per round (in a rotating
order), so that a change in the machine's load during the run (other
processes on two shared cores) weighs on all three alike rather than on
whichever ran last.

Usage: python bench/probe_cost.py [N] [--only HTTP,TLS,...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import trustme

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.checks import http, module, starttls, tcp, tls  # noqa: E402
from bot.checks.context import RunContext, VantageSettings  # noqa: E402
from bot.checks.result import CheckStatus  # noqa: E402
from bot.runbooks.loader import load_blackbox_modules  # noqa: E402
from tests.peers.blackbox import BINARY, Exporter, running, write_config  # noqa: E402
from tests.peers.certs import issue, server_context  # noqa: E402
from tests.peers.mail import Peer, imap_responder, serving, smtp_server  # noqa: E402

Probe = Callable[[], Awaitable[bool]]
_HTTP_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def _http_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Just enough HTTP/1.1 for one request per connection."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(_HTTP_REPLY)
    await writer.drain()


async def _idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def interleaved(probes: dict[str, Probe], rounds: int) -> dict[str, list[float]]:
    """ms per probe for each prober, the probers taking turns round by round."""
    for probe in probes.values():
        for _ in range(min(10, rounds)):  # warm up: imports, TLS session caches, keep-alive
            await probe()
    costs: dict[str, list[float]] = {name: [] for name in probes}
    names = list(probes)
    for n in range(rounds):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            started = time.perf_counter()
            if not await probes[name]():
                raise RuntimeError("a probe failed: the benchmark's targets are broken")
            costs[name].append((time.perf_counter() - started) * 1000)
    return costs


def ours(run: Callable[[Any, RunContext], Awaitable[Any]], params: Any, ctx: RunContext) -> Probe:
    async def probe() -> bool:
        result = await run(params, ctx)
        return bool(result.status is CheckStatus.PASS)

    return probe


def theirs(client: httpx.AsyncClient, url: str, module_name: str, target: str) -> Probe:
    async def probe() -> bool:
        response = await client.get(
            f"{url}/probe", params={"module": module_name, "target": target}
        )
        return "\nprobe_success 1" in response.text

    return probe


def row(label: str, costs: dict[str, list[float]]) -> str:
    med = {k: statistics.median(v) for k, v in costs.items()}
    p95 = {k: percentile(v, 0.95) for k, v in costs.items()}
    base_med, base_p95 = med["exporter"], p95["exporter"]
    cells = " | ".join(f"{k} {med[k]:6.2f} / {p95[k]:6.2f}" for k in costs)
    ratios = " | ".join(
        f"{k}/exporter {med[k] / base_med:4.2f} / {p95[k] / base_p95:4.2f}"
        for k in costs
        if k != "exporter"
    )
    return f"{label:<15} {cells} | {ratios}"


def cases(targets: dict[str, Peer], ctx: RunContext) -> list[tuple[str, str, str, Probe]]:
    """(label, blackbox module, /probe target, our own check) per protocol."""
    at = {k: {"host": p.host, "port": p.port} for k, p in targets.items()}
    url = f"http://{targets['http'].host}:{targets['http'].port}/"
    smtp = starttls.Params(**at["smtp"], protocol="smtp")
    # The user's imap_starttls skips verification; so does ours here.
    imap = starttls.Params(**at["imap"], protocol="imap", verify=False)
    return [
        ("TCP", "tcp_connect", "tcp", ours(tcp.run, tcp.Params(**at["tcp"]), ctx)),
        ("TLS", "tcp_tls", "tls", ours(tls.run, tls.Params(**at["tls"]), ctx)),
        ("SMTP STARTTLS", "smtp_starttls", "smtp", ours(starttls.run, smtp, ctx)),
        ("IMAP STARTTLS", "imap_starttls", "imap", ours(starttls.run, imap, ctx)),
        ("HTTP", "http_plain", url, ours(http.run, http.Params(url=url), ctx)),
    ]


async def measure(
    targets: dict[str, Peer], exporter: Exporter, rounds: int, only: set[str] | None
) -> None:
    modules = load_blackbox_modules(exporter.config)
    ctx = RunContext(
        timeout=5.0, ca_file=exporter.ca_bundle, vantage=VantageSettings(modules=modules)
    )
    print(
        f"per probe, ms: median / p95 of {rounds} probes each, the three probers"
        f" interleaved; load average {os.getloadavg()[0]:.2f}"
    )
    async with httpx.AsyncClient(timeout=10) as client:
        for label, module_name, key, check in cases(targets, ctx):
            if only is not None and label.upper() not in only:
                continue
            peer = targets.get(key)
            target = f"{peer.host}:{peer.port}" if peer else key
            local = module.Params(module=module_name, target=target)
            probes = {
                "check": check,
                "module": ours(module.run, local, ctx),
                "exporter": theirs(client, exporter.url, module_name, target),
            }
            print(row(label, await interleaved(probes, rounds)), flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=200, help="probes per prober")
    parser.add_argument("--only", help="comma-separated rows, e.g. HTTP,TLS (default: all)")
    args = parser.parse_args()
    only = {o.strip().upper() for o in args.only.split(",")} if args.only else None
    if shutil.which(BINARY) is None and not Path(f"/usr/bin/{BINARY}").exists():
        sys.exit(f"{BINARY} is not installed (apt-get install {BINARY})")
    ca = trustme.CA()
    leaf = server_context(issue(ca, "localhost", "127.0.0.1"))
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        ca_file = str(Path(tmp) / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        targets = {
            "tcp": stack.enter_context(serving(_idle)),
            "tls": stack.enter_context(serving(_idle, tls=leaf)),
            "smtp": stack.enter_context(smtp_server(tls=leaf)),
            "imap": stack.enter_context(serving(imap_responder(leaf))),
            "http": stack.enter_context(serving(_http_handler)),
        }
        config = write_config(Path(tmp) / "blackbox.yml")
        exporter = stack.enter_context(running(config, ca_file, Path(tmp) / "exporter.log"))
        asyncio.run(measure(targets, exporter, args.rounds, only))


if __name__ == "__main__":
    main()
