"""blackbox_exporter's module config (blackbox.yml), as far as `module` runs it.

Decoded strictly: a key blackbox knows but we cannot honour is refused by
name, and any other unknown key is an error too, so that a module never runs
here with a setting silently dropped. Field names and defaults follow
blackbox_exporter 0.23 (`config/config.go`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.checks.params import Regex

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
PROBERS = ("tcp", "http")


def parse_duration(value: Any) -> float:
    """A Prometheus duration ("5s", "1m30s", "500ms") or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value and _DURATION.sub("", value) == "":
        seconds = sum(float(n) * _UNIT[u] for n, u in _DURATION.findall(value))
    else:
        raise ValueError(f"expected a duration like '5s' or '500ms', got {value!r}")
    if seconds <= 0:
        raise ValueError(f"a timeout must be positive, got {value!r}")
    return seconds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Keys blackbox_exporter accepts here that we do not implement.
    unsupported: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_unsupported(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key in cls.unsupported:
                    raise ValueError(f"{key!r} is not supported by triage's local prober")
        return data


class TlsConfig(_Strict):
    unsupported = frozenset(
        {"ca", "cert", "key", "cert_file", "key_file", "min_version", "max_version"}
    )
    insecure_skip_verify: bool = False
    server_name: str | None = None
    ca_file: str | None = None

    def relative_to(self, base: Path) -> TlsConfig:
        """blackbox reads a relative ca_file from the config file's folder."""
        if self.ca_file is None or Path(self.ca_file).is_absolute():
            return self
        return self.model_copy(update={"ca_file": str(base / self.ca_file)})


IpProtocol = Literal["ip4", "ip6"]


class QueryStep(_Strict):
    unsupported = frozenset({"labels"})
    expect: Regex | None = None
    send: str | None = None
    starttls: bool = False

    @model_validator(mode="after")
    def _one_action(self) -> QueryStep:
        given = [k for k in ("expect", "send") if getattr(self, k) is not None]
        given += ["starttls"] if self.starttls else []
        if len(given) != 1:
            raise ValueError("each query_response item is one of expect, send or starttls")
        return self

    @field_validator("send")
    @classmethod
    def _no_expansion(cls, send: str | None) -> str | None:
        # blackbox expands ${1} from the previous expect's match; we send text as is.
        if send is not None and "$" in send:
            raise ValueError("'$' expansion in send is not supported by triage's local prober")
        return send


class TcpProbe(_Strict):
    unsupported = frozenset({"source_ip_address"})
    preferred_ip_protocol: IpProtocol = "ip6"
    ip_protocol_fallback: bool = True
    query_response: list[QueryStep] = Field(default_factory=list)
    tls: bool = False
    tls_config: TlsConfig = Field(default_factory=TlsConfig)


class HttpProbe(_Strict):
    unsupported = frozenset(
        {
            "headers",
            "body",
            "compression",
            "basic_auth",
            "bearer_token",
            "bearer_token_file",
            "authorization",
            "oauth2",
            "proxy_url",
            "no_follow_redirects",
            "fail_if_body_matches_regexp",
            "fail_if_body_not_matches_regexp",
            "fail_if_header_matches",
            "fail_if_header_not_matches",
            "source_ip_address",
        }
    )
    valid_status_codes: list[int] = Field(default_factory=list)
    valid_http_versions: list[str] = Field(default_factory=list)
    method: str = "GET"
    fail_if_ssl: bool = False
    fail_if_not_ssl: bool = False
    follow_redirects: bool = True
    enable_http2: bool = True
    preferred_ip_protocol: IpProtocol = "ip6"
    ip_protocol_fallback: bool = True
    tls_config: TlsConfig = Field(default_factory=TlsConfig)

    @field_validator("method")
    @classmethod
    def _get_or_head(cls, method: str) -> str:
        if method.upper() not in ("GET", "HEAD"):
            raise ValueError(f"method {method!r} is not supported (GET, HEAD)")
        return method.upper()

    @field_validator("tls_config")
    @classmethod
    def _no_server_name(cls, tls: TlsConfig) -> TlsConfig:
        if tls.server_name is not None:
            raise ValueError("'server_name' is not supported for http by triage's local prober")
        return tls


class Module(_Strict):
    unsupported = frozenset({"icmp", "dns", "grpc"})
    prober: str
    timeout: float | None = None
    tcp: TcpProbe = Field(default_factory=TcpProbe)
    http: HttpProbe = Field(default_factory=HttpProbe)

    @field_validator("prober")
    @classmethod
    def _supported(cls, prober: str) -> str:
        if prober not in PROBERS:
            raise ValueError(f"prober {prober!r} is not supported (supported: tcp, http)")
        return prober

    @field_validator("timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float | None:
        return None if value is None else parse_duration(value)

    def relative_to(self, base: Path) -> Module:
        tcp = self.tcp.model_copy(update={"tls_config": self.tcp.tls_config.relative_to(base)})
        http = self.http.model_copy(update={"tls_config": self.http.tls_config.relative_to(base)})
        return self.model_copy(update={"tcp": tcp, "http": http})


class BlackboxConfig(_Strict):
    modules: dict[str, Module] = Field(default_factory=dict)
