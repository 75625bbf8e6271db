"""The engine's settings from a site config: one conversion, shared by every
front end (`triage run`, `serve`, `console`, the demo)."""

from __future__ import annotations

from pathlib import Path

from bot.checks.context import AwsSettings, DnsSettings, VantagePoint, VantageSettings
from bot.engine.runner import Settings
from bot.runbooks.loader import load_blackbox_modules
from bot.runbooks.site import SiteConfig


def settings(site: SiteConfig) -> Settings:
    aws = AwsSettings(
        endpoint_url=site.aws.endpoint_url,
        connect_timeout=site.aws.connect_timeout,
        read_timeout=site.aws.read_timeout,
        max_attempts=site.aws.max_attempts,
    )
    dns = DnsSettings(resolvers={k: tuple(v) for k, v in site.dns.resolvers.items()})
    return Settings(ca_file=site.ca_file, aws=aws, vantage=vantage_settings(site), dns=dns)


def vantage_settings(site: SiteConfig) -> VantageSettings:
    points = {
        name: VantagePoint(name=name, kind=p.kind, url=p.url, timeout=p.timeout)
        for name, p in site.vantage_points.items()
    }
    modules = load_blackbox_modules(Path(site.blackbox_config)) if site.blackbox_config else {}
    return VantageSettings(points=points, modules=modules)
