"""Wall time of a whole triage versus its slowest check and the serial sum.

Runs probe-failure for smtp-relay through the engine against loopback peers
(an SMTP server with STARTTLS, or one that accepts and never speaks, so the
probe hits its 5 s deadline) and a moto server, and prints ratios measured in
this one run. Usage: python bench/triage_wall.py [ROUNDS]
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import trustme
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.engine.results import RunResult  # noqa: E402
from bot.engine.runner import Engine, Settings  # noqa: E402
from bot.runbooks.binding import bind  # noqa: E402
from bot.runbooks.loader import load_runbook, load_site  # noqa: E402
from tests.peers import aws as aws_peers  # noqa: E402
from tests.peers.certs import issue, server_context  # noqa: E402
from tests.peers.mail import Peer, greeting, serving, smtp_server  # noqa: E402


@contextmanager
def moto() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=aws_peers.REGION,
        AWS_EC2_METADATA_DISABLED="true",
    )
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def engine(peer: Peer, ca_file: str) -> Engine:
    runbook = load_runbook(ROOT / "runbooks" / "probe-failure.yaml")
    site = load_site(
        None,
        [
            f"targets.smtp-relay.host={peer.host}",
            f"targets.smtp-relay.port={peer.port}",
            f"vars.region={aws_peers.REGION}",
            "vars.cluster=mail",
        ],
    )
    return Engine(bind(runbook, site), settings=Settings(ca_file=ca_file))


def measure(label: str, eng: Engine, rounds: int) -> None:
    walls, slowest, serial = [], [], []
    for _ in range(rounds):
        result: RunResult = asyncio.run(eng.run_all("smtp-relay"))
        durations = [c.result.duration_ms for c in result.checks]
        walls.append(result.duration_ms)
        slowest.append(max(durations))
        serial.append(sum(durations))
    wall = statistics.median(walls)
    print(
        f"{label:<34} wall {wall:8.1f} ms | slowest check {statistics.median(slowest):8.1f} ms"
        f" | serial sum {statistics.median(serial):8.1f} ms"
        f" | wall/slowest {wall / statistics.median(slowest):5.2f}"
        f" | wall/serial {wall / statistics.median(serial):5.2f}"
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    ca = trustme.CA()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        ca_file = str(Path(tmp) / "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        stack.enter_context(moto())
        aws_peers.ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["ok"])
        aws_peers.target_group("cabal-smtp-in-25", {"10.0.1.5": "healthy", "10.0.2.5": "healthy"})
        relay = stack.enter_context(smtp_server(tls=server_context(issue(ca, "127.0.0.1"))))
        silent = stack.enter_context(serving(greeting(None)))
        print(f"probe-failure / smtp-relay, median of {rounds} rounds (2 cores, loopback, moto)")
        measure("healthy relay", engine(relay, ca_file), rounds)
        measure("silent relay (probe hits 5 s)", engine(silent, ca_file), max(1, rounds // 2))


if __name__ == "__main__":
    main()
