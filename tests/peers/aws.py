"""A real moto server on loopback, plus a tiny AWS-error stand-in.

`aws_env` points boto3 at moto through the environment (AWS_ENDPOINT_URL,
fake credentials, a region, no config files, no instance metadata) and
resets moto before and after each test.

moto never reports service events, tasks failing to start or unhealthy
targets by itself, so the helpers below create resources through the API
and then set that state on moto's backend objects, which live in this
process because the server runs in a thread.

`aws_error_peer` answers every request with one AWS JSON error, as the real
API does for AccessDenied and throttling (moto cannot throttle, and its IAM
enforcement answers JSON services with an XML body real AWS never sends).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto.backends import get_backend
from moto.elbv2.models import FakeHealthStatus
from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class MotoPeer:
    url: str

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoPeer]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoPeer(f"http://{host}:{port}")
    finally:
        server.stop()


_AMBIENT = (
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture
def aws_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials anywhere boto3 looks: env, config files, instance metadata."""
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_fake_credentials(aws_no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture
def aws_env(
    moto_server: MotoPeer, aws_fake_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MotoPeer]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    moto_server.reset()
    yield moto_server
    moto_server.reset()


def ecs_service(cluster: str, name: str, *, desired: int, running: int, events: list[str]) -> None:
    """A service with `running` of `desired` tasks and `events`, newest first."""
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName=cluster)
    ecs.create_service(cluster=cluster, serviceName=name, desiredCount=desired)
    service = get_backend("ecs")[ACCOUNT][REGION].services[f"{cluster}:{name}"]
    service.running_count = running
    service.pending_count = desired - running
    now = datetime.now(UTC)
    service.events = [
        {"id": f"ev-{i}", "createdAt": now - timedelta(minutes=i), "message": message}
        for i, message in enumerate(events)
    ]


def target_group(name: str, health: dict[str, str]) -> str:
    """A target group whose targets (ip -> state) report that health; returns its ARN."""
    vpc = boto3.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    elbv2 = boto3.client("elbv2")
    group = elbv2.create_target_group(
        Name=name, Protocol="TCP", Port=143, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]
    arn = str(group["TargetGroupArn"])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": ip, "Port": 143} for ip in health])
    fake = get_backend("elbv2")[ACCOUNT][REGION].target_groups[arn]
    fake.health_for = _reported_health(fake, health)
    return arn


_REASONS = {
    "unhealthy": ("Target.FailedHealthChecks", "Health checks failed"),
    "initial": ("Elb.InitialHealthChecking", "Initial health checking in progress"),
}


def _reported_health(fake: Any, health: dict[str, str]) -> Callable[..., FakeHealthStatus]:
    def health_for(target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
        state = health.get(target["Id"], "healthy")
        if state == "healthy":
            return FakeHealthStatus(target["Id"], target["Port"], fake.health_check_port, state)
        reason = (
            "Target.FailedHealthChecks" if state == "unhealthy" else "Elb.InitialHealthChecking"
        )
        description = "Health checks failed" if state == "unhealthy" else None
        return FakeHealthStatus(
            target["Id"], target["Port"], fake.health_check_port, state, reason, description
        )

    return health_for


@pytest.fixture
def aws_silent_endpoint() -> Iterator[str]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@dataclass
class ErrorPeer:
    """Answers every request with one AWS JSON error and counts the requests."""

    url: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def aws_error_peer() -> Iterator[Callable[[str, str, int], ErrorPeer]]:
    servers: list[ThreadingHTTPServer] = []

    def start(code: str, message: str, status: int = 400) -> ErrorPeer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _error_handler(code, message, status))
        peer = ErrorPeer(f"http://127.0.0.1:{server.server_address[1]}")
        server.peer = peer  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return peer

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _error_handler(code: str, message: str, status: int) -> type[BaseHTTPRequestHandler]:
    body = json.dumps({"__type": code, "message": message}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.server.peer.requests.append(self.headers.get("X-Amz-Target", ""))  # type: ignore[attr-defined]
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-RequestId", "standin-0001")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler
