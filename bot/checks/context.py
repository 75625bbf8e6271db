"""What the engine hands every executor besides its own parameters."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class AwsSettings:
    region: str | None = None
    # None means boto3's own resolution, which honours AWS_ENDPOINT_URL.
    endpoint_url: str | None = None
    connect_timeout: float = 2.0
    read_timeout: float = 4.0
    max_attempts: int = 3


@dataclass(frozen=True, kw_only=True)
class RunContext:
    """Per-check context. `timeout` is the check's whole budget in seconds:
    executors spend it so that they can still say *where* time ran out,
    while the engine enforces it as a backstop."""

    timeout: float
    ca_file: str | None = None
    aws: AwsSettings = field(default_factory=AwsSettings)

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
