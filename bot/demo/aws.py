"""A simulated AWS: moto's server on loopback holding the mail cluster's ECS
services and the load balancer's target groups.

moto reports no service events, crashed tasks or unhealthy targets by itself:
resources are created through the API, then that state is set on moto's
backend objects, which live in this process because the server runs in a
thread. moto is the `demo` extra, imported only when a demo starts.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bot.demo.faults import CLUSTER, Service, StackSpec

ACCOUNT = "123456789012"
REGION = "us-west-1"
MISSING = "moto is not installed: `pip install -e '.[demo]'` (or `make demo`) installs it"
# Credentials for moto only; the demo sets them for its own run and puts the
# caller's environment back afterwards.
_ENV = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")


class MotoMissing(RuntimeError):
    pass


@contextmanager
def moto_server() -> Iterator[str]:
    """moto on 127.0.0.1 at a free port; yields its URL."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = _moto("server").ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        _reset()
        server.stop()


@contextmanager
def demo_credentials() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in (*_ENV, *_UNSET)}
    os.environ.update(_ENV)
    for name in _UNSET:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def seed(url: str, spec: StackSpec) -> None:
    """The cluster, its services and the target groups, as `spec` says."""
    ecs = boto3.client("ecs", endpoint_url=url, region_name=REGION)
    ecs.create_cluster(clusterName=CLUSTER)
    for name, service in spec.services.items():
        _service(ecs, name, service)
    ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    elbv2 = boto3.client("elbv2", endpoint_url=url, region_name=REGION)
    for number, (name, states) in enumerate(spec.target_groups.items()):
        _target_group(elbv2, vpc, name, states, subnet=number)


def _service(ecs: Any, name: str, service: Service) -> None:
    ecs.create_service(cluster=CLUSTER, serviceName=name, desiredCount=service.desired)
    fake = _backend("ecs").services[f"{CLUSTER}:{name}"]
    fake.running_count = service.running
    fake.pending_count = service.desired - service.running
    now = datetime.now(UTC)
    fake.events = [
        {"id": f"ev-{i}", "createdAt": now - timedelta(minutes=3 * i), "message": message}
        for i, message in enumerate(service.events)
    ]


def _target_group(elbv2: Any, vpc: str, name: str, states: tuple[str, ...], subnet: int) -> None:
    protocol, port = (
        ("HTTP", 80) if name == "cabal-ntfy" else ("TCP", int(name.rsplit("-", maxsplit=1)[-1]))
    )
    group = elbv2.create_target_group(
        Name=name, Protocol=protocol, Port=port, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    health = {f"10.0.{subnet}.{10 + i}": state for i, state in enumerate(states)}
    if health:
        targets = [{"Id": ip, "Port": port} for ip in health]
        elbv2.register_targets(TargetGroupArn=arn, Targets=targets)
    fake = _backend("elbv2").target_groups[arn]
    fake.health_for = _reported(fake, health)


def _reported(fake: Any, health: Mapping[str, str]) -> Callable[..., Any]:
    FakeHealthStatus = _moto("elbv2.models").FakeHealthStatus

    def health_for(target: dict[str, Any], ec2_backend: Any) -> Any:
        state = health.get(target["Id"], "healthy")
        port = fake.health_check_port
        if state == "healthy":
            return FakeHealthStatus(target["Id"], target["Port"], port, state)
        return FakeHealthStatus(
            target["Id"], target["Port"], port, state,
            "Target.FailedHealthChecks", "Health checks failed",
        )  # fmt: skip

    return health_for


def _backend(service: str) -> Any:
    return _moto("backends").get_backend(service)[ACCOUNT][REGION]


def _reset() -> None:
    # moto's state is process-wide: leave none behind for whatever runs next.
    for service in ("ecs", "elbv2", "ec2"):
        _moto("backends").get_backend(service).reset()


def _moto(module: str) -> Any:
    """A moto module, untyped on purpose: moto is an optional extra, absent
    from a runtime-only install, and its internals are not ours to type."""
    try:
        return importlib.import_module(f"moto.{module}")
    except ImportError as exc:
        raise MotoMissing(MISSING) from exc
