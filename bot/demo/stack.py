"""The simulated mail stack and AWS, started together and stopped together,
and the site config that points the probe-failure runbook at them."""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from aiohttp import web

from bot.demo import aws, certs, mail, prometheus
from bot.demo.faults import CLUSTER, StackSpec
from bot.demo.loop import LoopThread
from bot.demo.web import ADMIN_PATH, API_PATH, NTFY_PATH, serve_app
from bot.demo.web import start as start_web

# Names the checks verify: loopback for the host-addressed probes, and the
# public IMAP name the runbook asks of the internal listener.
CERT_NAMES = ["127.0.0.1", "localhost", "imap.example.com"]
# The simulated probe history: six hours (the longest a chart looks back),
# the faulted target's probe failing for the last five minutes of it: long
# enough for an alert rule's `for:` to have let the alert fire, short enough
# to read as a fresh outage on the last hour's chart.
HISTORY_S = 6 * 3600.0
FAILING_FOR_S = 300.0
# The runbook's `history_vantage`: where its prometheus check and the charts ask.
PROMETHEUS = "prometheus"


@dataclass(frozen=True)
class Ports:
    relay: int
    submission: int
    submission_tls: int
    imap: int
    web: int
    prometheus: int = 0


@dataclass(frozen=True)
class Stack:
    folder: Path
    ca_file: Path
    aws_url: str
    ports: Ports

    def site_sets(self) -> list[str]:
        """`--set` overrides: every target at its loopback peer, and the
        probe history's Prometheus as the runbook's history vantage point."""
        p, base = self.ports, f"https://127.0.0.1:{self.ports.web}"
        return [
            f"vantage_points.{PROMETHEUS}.kind=prometheus",
            f"vantage_points.{PROMETHEUS}.url=http://127.0.0.1:{p.prometheus}",
            f"ca_file={self.ca_file}",
            f"aws.endpoint_url={self.aws_url}",
            "aws.max_attempts=1",
            f"vars.cluster={CLUSTER}",
            f"vars.region={aws.REGION}",
            *_host_port("smtp-relay", p.relay),
            *_host_port("submission", p.submission),
            *_host_port("submission-tls", p.submission_tls),
            *_host_port("imap", p.imap),
            # The demo has no VPC: loopback is both the outside and the inside.
            "targets.imap.probe_from=[public, vpc]",
            f"targets.admin-app.url={base}{ADMIN_PATH}",
            f"targets.api-list.url={base}{API_PATH}",
            f"targets.ntfy.url={base}{NTFY_PATH}",
        ]


def _host_port(target: str, port: int) -> list[str]:
    return [f"targets.{target}.host=127.0.0.1", f"targets.{target}.port={port}"]


def instances(ports: Ports) -> dict[str, str]:
    """Target -> the `instance` label its probe has: `host:port`, or the URL
    (blackbox_exporter's relabelling, which the runbook's triggers assume)."""
    base = f"https://127.0.0.1:{ports.web}"
    return {
        "smtp-relay": f"127.0.0.1:{ports.relay}",
        "submission": f"127.0.0.1:{ports.submission}",
        "submission-tls": f"127.0.0.1:{ports.submission_tls}",
        "imap": f"127.0.0.1:{ports.imap}",
        "admin-app": f"{base}{ADMIN_PATH}",
        "api-list": f"{base}{API_PATH}",
        "ntfy": f"{base}{NTFY_PATH}",
    }


def history(ports: Ports, failing: str | None, now: float) -> prometheus.ProbeHistory:
    """Every target's probe: passing, but `failing`'s for the last FAILING_FOR_S."""
    since = {t: (now - FAILING_FOR_S if t == failing else None) for t in instances(ports)}
    return prometheus.ProbeHistory(
        {instance: since[t] for t, instance in instances(ports).items()}, since=now - HISTORY_S
    )


@contextmanager
def running(spec: StackSpec, failing: str | None = None) -> Iterator[Stack]:
    """Everything up on 127.0.0.1 until the block ends; then stopped and the
    temporary folder (CA, keys, store) removed. `failing` is the target whose
    probe the simulated history shows failing."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="triage-demo-")))
        authority = certs.make_authority(folder)
        valid = certs.server_context(authority, folder, CERT_NAMES)
        expired = certs.server_context(authority, folder, CERT_NAMES, expired=True)
        stack.enter_context(aws.demo_credentials())
        aws_url = stack.enter_context(aws.moto_server())
        aws.seed(aws_url, spec)
        thread = LoopThread("demo-stack")
        stack.callback(thread.stop)
        servers, runners, ports = thread.run(_start(spec, valid, expired, failing))
        stack.callback(thread.run, _stop(servers, runners))
        yield Stack(folder, authority.ca_file, aws_url, ports)


async def _start(
    spec: StackSpec, valid: ssl.SSLContext, expired: ssl.SSLContext, failing: str | None
) -> tuple[list[asyncio.Server], list[web.AppRunner], Ports]:
    submission_cert = expired if spec.submission_cert_expired else valid
    servers = [
        await mail.serve(mail.smtp(submission_cert)),
        await mail.serve(mail.smtp(None), tls=valid),
        await mail.serve(mail.imap(valid if spec.imap_starttls else None)),
    ]
    if spec.relay_listening:
        servers.insert(0, await mail.serve(mail.smtp(valid)))
        relay = mail.port_of(servers[0])
    else:
        relay = await mail.closed_port()
    runner, web_port = await start_web(spec.http, valid)
    submission, submission_tls, imap = (mail.port_of(s) for s in servers[-3:])
    ports = Ports(relay, submission, submission_tls, imap, web_port)
    probes = history(ports, failing, time.time())
    prometheus_runner, prometheus_port = await serve_app(prometheus.app(probes))
    ports = replace(ports, prometheus=prometheus_port)
    return servers, [runner, prometheus_runner], ports


async def _stop(servers: list[asyncio.Server], runners: list[web.AppRunner]) -> None:
    for server in servers:
        server.close()
    for runner in runners:
        await runner.cleanup()
