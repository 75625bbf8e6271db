"""Site config: the deployment's own values, kept out of runbooks.

    vars: {control_domain: example.com, cluster: mail, region: eu-west-1}
    targets:
      smtp-relay: {host: 127.0.0.1, port: 2525}
    ca_file: /etc/triage/ca.pem
    vantage_points:
      vpc: {kind: blackbox, url: "http://blackbox-exporter.internal:9115"}
    blackbox_config: blackbox.yml   # relative to this file
    alertmanager: {url: "http://alertmanager.internal:9093", timeout: 3}

`--set vars.cluster=mail` and `--set targets.smtp-relay.port=2525` override
single values; values are read as YAML scalars, so 2525 is a number.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from bot.checks.addresses import check_url
from bot.checks.dnsquery import split_nameserver
from bot.checks.params import HttpUrl
from bot.runbooks import yamlpos
from bot.runbooks.actions import Allow
from bot.runbooks.fields import Model, Slug, TemplateText
from bot.runbooks.schema import Port, Scalar, TlsMode, Vantage

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class TargetOverride(Model):
    host: TemplateText | None = None
    port: Port | None = None
    url: TemplateText | None = None
    tls: TlsMode | None = None
    server_name: TemplateText | None = None
    expect_status: list[int | str] | None = None
    service: TemplateText | None = None
    target_group: TemplateText | None = None
    probe_from: list[Vantage] | None = None
    blackbox_module: str | None = None
    attrs: dict[str, TemplateText] | None = Field(
        None, description="free fields, merged over the runbook's"
    )


class AwsConfig(Model):
    endpoint_url: Annotated[str, AfterValidator(check_url)] | None = None
    connect_timeout: float = Field(2.0, gt=0)
    read_timeout: float = Field(4.0, gt=0)
    max_attempts: int = Field(3, ge=1, le=10)


class VantagePointConfig(Model):
    """Something inside the network that checks can ask to look for them."""

    kind: Literal["blackbox", "prometheus"]
    url: HttpUrl = Field(
        description="base URL, e.g. http://blackbox:9115 or http://prometheus:9090"
    )
    timeout: float | None = Field(None, gt=0, le=300, description="cap on one request, seconds")


class AlertmanagerConfig(Model):
    """The Alertmanager the bot may ask which alerts a grouped Slack
    notification holds and whether an incident's alerts still fire."""

    url: HttpUrl = Field(description="base URL, e.g. http://alertmanager:9093")
    timeout: float = Field(3.0, gt=0, le=60, description="cap on one request, seconds")
    poll_interval: float = Field(
        30, ge=0.2, le=3600, description="seconds between asking whether open incidents' alerts"
        " still fire (a Slack-only setup may never hear a resolution)",
    )  # fmt: skip


def _nameserver(text: str) -> str:
    split_nameserver(text)  # raises ValueError naming what is wrong
    return text


Nameserver = Annotated[str, AfterValidator(_nameserver)]


class DnsConfig(Model):
    """Resolvers `dns` checks may ask, by name; a check without one asks the host's."""

    resolvers: dict[Slug, list[Nameserver]] = Field(
        default_factory=dict,
        description="name -> nameserver addresses, e.g. internal: [10.0.0.2, '10.0.1.2:53']",
    )


class AlertsConfig(Model):
    """Where alerts arrive and how the bot answers them."""

    channels: list[str] = Field(
        default_factory=list, description="Slack channel ids whose alert messages are triaged"
    )
    webhook_channel: str | None = Field(
        None, description="where alerts received on /alerts/* are posted (default: first channel)"
    )
    note_unmatched: bool = Field(False, description="reply 'no runbook' to unmatched alerts")
    storm_targets: int = Field(
        5, ge=1, description="more targets than this firing within storm_window: one storm note"
    )
    storm_window: float = Field(120, gt=0, description="seconds")
    repeat_note_interval: float = Field(
        600, ge=0, description="seconds between 'fired again' lines in one incident's thread"
    )
    slack_window: float = Field(
        0, ge=0, le=8, description="seconds a webhook's new firing waits for Alertmanager's own"
        " Slack message to host its incident (both paths deliver); 0: the bot's line hosts it",
    )  # fmt: skip


class SiteConfig(Model):
    vars: dict[str, Scalar] = Field(default_factory=dict)
    targets: dict[str, TargetOverride] = Field(default_factory=dict)
    ca_file: str | None = Field(None, description="CA bundle for TLS checks (default: system)")
    secrets: list[EnvName] = Field(
        default_factory=list,
        description="environment variables whose values are secret: masked wherever the bot"
        " posts, uploads or logs (the Slack tokens, TRIAGE_ALERT_SECRET and the AWS secret key"
        " always are)",
    )
    aws: AwsConfig = Field(default_factory=AwsConfig)
    vantage_points: dict[Slug, VantagePointConfig] = Field(default_factory=dict)
    blackbox_config: str | None = Field(
        None, description="blackbox_exporter config whose modules `module` checks run"
    )
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    alertmanager: AlertmanagerConfig | None = Field(
        None, description="read-only v2 API access to Alertmanager (docs/alerts.md)"
    )
    dns: DnsConfig = Field(default_factory=DnsConfig)
    actions: dict[Slug, Allow] = Field(
        default_factory=dict,
        description="escalation action id -> who may run it (added to the runbook's allow list)",
    )


class SetError(ValueError):
    pass


def apply_set(data: dict[str, Any], assignment: str) -> tuple[str, ...]:
    """Apply one `dotted.key=value` to raw config data, in place; returns the
    key path it set."""
    key, sep, raw = assignment.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise SetError(f"--set {assignment!r}: expected dotted.key=value")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise SetError(f"--set {assignment!r}: {part!r} is not a section")
        node = child
    node[parts[-1]] = _scalar(raw)
    return tuple(parts)


def _scalar(raw: str) -> Any:
    try:
        value, _ = yamlpos.load(raw)  # the same budgets as a file
    except yamlpos.YamlError:
        return raw
    # Scalars and flat lists (`--set targets.imap.probe_from=[vpc]`); a
    # mapping keeps its text rather than replacing a whole section.
    if isinstance(value, list) and all(_is_scalar(v) for v in value):
        return value
    return value if _is_scalar(value) else raw


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
