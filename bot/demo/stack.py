"""The simulated mail stack and AWS, started together and stopped together,
and the site config that points the probe-failure runbook at them."""

from __future__ import annotations

import asyncio
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.demo import aws, certs, mail
from bot.demo.faults import CLUSTER, StackSpec
from bot.demo.loop import LoopThread
from bot.demo.web import ADMIN_PATH, API_PATH, NTFY_PATH
from bot.demo.web import start as start_web

# Names the checks verify: loopback for the host-addressed probes, and the
# public IMAP name the runbook asks of the internal listener.
CERT_NAMES = ["127.0.0.1", "localhost", "imap.example.com"]


@dataclass(frozen=True)
class Ports:
    relay: int
    submission: int
    submission_tls: int
    imap: int
    web: int


@dataclass(frozen=True)
class Stack:
    folder: Path
    ca_file: Path
    aws_url: str
    ports: Ports

    def site_sets(self) -> list[str]:
        """`--set` overrides: every target at its loopback peer."""
        p, base = self.ports, f"https://127.0.0.1:{self.ports.web}"
        return [
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


@contextmanager
def running(spec: StackSpec) -> Iterator[Stack]:
    """Everything up on 127.0.0.1 until the block ends; then stopped and the
    temporary folder (CA, keys, store) removed."""
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
        servers, runner, ports = thread.run(_start(spec, valid, expired))
        stack.callback(thread.run, _stop(servers, runner))
        yield Stack(folder, authority.ca_file, aws_url, ports)


async def _start(
    spec: StackSpec, valid: ssl.SSLContext, expired: ssl.SSLContext
) -> tuple[list[asyncio.Server], web.AppRunner, Ports]:
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
    return servers, runner, Ports(relay, submission, submission_tls, imap, web_port)


async def _stop(servers: list[asyncio.Server], runner: web.AppRunner) -> None:
    for server in servers:
        server.close()
    await runner.cleanup()
