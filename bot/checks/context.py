"""What the engine hands every executor besides its own parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.checks.bbconfig import Module


@dataclass(frozen=True, kw_only=True)
class AwsSettings:
    region: str | None = None
    # None means boto3's own resolution, which honours AWS_ENDPOINT_URL.
    endpoint_url: str | None = None
    connect_timeout: float = 2.0
    read_timeout: float = 4.0
    max_attempts: int = 3


@dataclass(frozen=True, kw_only=True)
class VantagePoint:
    """Something already inside the network that can look for us."""

    name: str
    kind: Literal["blackbox", "prometheus"]
    url: str
    # Cap on one request to it; None leaves the check's own budget.
    timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class VantageSettings:
    """Where checks may look from besides the bot, and the blackbox_exporter
    modules (from the site's blackbox.yml) that `module` checks can run."""

    points: Mapping[str, VantagePoint] = field(default_factory=dict)
    modules: Mapping[str, Module] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DnsSettings:
    """Resolvers a `dns` check may name, from the site config: name ->
    nameservers as `address` or `address:port` (`[v6]:port`)."""

    resolvers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RunContext:
    """Per-check context. `timeout` is the check's whole budget in seconds:
    executors spend it so that they can still say *where* time ran out,
    while the engine enforces it as a backstop."""

    timeout: float
    ca_file: str | None = None
    aws: AwsSettings = field(default_factory=AwsSettings)
    vantage: VantageSettings = field(default_factory=VantageSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
