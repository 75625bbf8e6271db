"""Per-probe cost: our executors versus blackbox_exporter's /probe round trip.

The same loopback targets (TCP, implicit TLS, SMTP STARTTLS, IMAP STARTTLS,
HTTP) are probed N times each, one probe at a time: by our own check type,
by our `module` executor running the exporter's module, and by a real
prometheus-blackbox-exporter asked over HTTP (a kept-alive client, as
Prometheus scrapes it). Prints median and p95 per probe and the ratios
measured in this one run. Usage: python bench/probe_cost.py [N]
"""

from __future__ import annotations

import asyncio
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


async def timed(probe: Probe, rounds: int) -> list[float]:
    for _ in range(min(10, rounds)):  # warm up: imports, TLS session caches, keep-alive
        await probe()
    costs = []
    for _ in range(rounds):
        started = time.perf_counter()
        if not await probe():
            raise RuntimeError("a probe failed: the benchmark's targets are broken")
        costs.append((time.perf_counter() - started) * 1000)
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


async def measure(targets: dict[str, Peer], exporter: Exporter, rounds: int) -> None:
    modules = load_blackbox_modules(exporter.config)
    ctx = RunContext(
        timeout=5.0, ca_file=exporter.ca_bundle, vantage=VantageSettings(modules=modules)
    )
    print(f"per probe, ms: median / p95 of {rounds} sequential probes each")
    async with httpx.AsyncClient(timeout=10) as client:
        for label, module_name, key, check in cases(targets, ctx):
            peer = targets.get(key)
            target = f"{peer.host}:{peer.port}" if peer else key
            local = module.Params(module=module_name, target=target)
            costs = {
                "check": await timed(check, rounds),
                "module": await timed(ours(module.run, local, ctx), rounds),
                "exporter": await timed(theirs(client, exporter.url, module_name, target), rounds),
            }
            print(row(label, costs), flush=True)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
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
        asyncio.run(measure(targets, exporter, rounds))


if __name__ == "__main__":
    main()
