"""Link-local and metadata addresses are refused in every spelling, wherever a
check would contact them: check parameters, site config, redirects."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.checks import blackbox, http, module, starttls, tcp, tls
from bot.checks.addresses import ForbiddenAddress, check_host, check_target, check_url
from bot.checks.context import RunContext
from bot.checks.result import CheckStatus, ErrorKind
from bot.runbooks.site import SiteConfig
from tests.peers.web import WebPeer

FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
METADATA_HOSTS = [
    "169.254.169.254",
    "169.254.0.1",
    "169.254.170.2",  # ECS task metadata
    "169.254.169.254.",
    "2852039166",
    "0xa9fea9fe",
    "0XA9FEA9FE",
    "0xA9FEA9FE",
    "0251.0376.0251.0376",
    "0xa9.0xfe.0xa9.0xfe",
    "169.0xfe.0251.254",
    "169.254.43518",
    "169.16689662",
    "0251.0376.43518",
    "fd00:ec2::254",
    "FD00:EC2:0:0:0:0:0:254",
    "[fd00:ec2::254]",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "[::ffff:a9fe:a9fe]",
    "0:0:0:0:0:ffff:a9fe:a9fe",
    "::169.254.169.254",
    "2002:a9fe:a9fe::1",
    "64:ff9b::169.254.169.254",
    "fe80::1",
    "fe80::1%eth0",
    "[fe80::a9fe:a9fe%25en0]",
    "metadata.google.internal",
    "METADATA.GOOGLE.INTERNAL.",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "100.100.100.200",
    "%31%36%39.254.169.254",
    "169.254.169.254".translate(FULL_WIDTH),
    "169\u3002254\u3002169\u3002254",  # ideographic full stops
]
METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://user@169.254.169.254:80/",
    "http://user:pass@169.254.169.254:80/latest",
    "https://2852039166/",
    "http://0xA9FEA9FE/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]:80/latest/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://169.254.169.254.:80/",
    "HTTP://INSTANCE-DATA/latest",
]
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "::1", "example.com", "10.0.0.5", "192.168.1.1"]


@pytest.mark.parametrize("host", METADATA_HOSTS)
def test_metadata_and_link_local_hosts_are_refused_in_every_spelling(host: str) -> None:
    with pytest.raises(ForbiddenAddress, match="checks never contact it"):
        check_host(host)


@pytest.mark.parametrize("url", METADATA_URLS)
def test_urls_pointing_at_metadata_are_refused_whatever_the_userinfo_or_port(url: str) -> None:
    with pytest.raises(ForbiddenAddress):
        check_url(url)


def test_at_least_twenty_distinct_spellings_are_covered() -> None:
    assert len(set(METADATA_HOSTS)) + len(set(METADATA_URLS)) >= 40


@pytest.mark.parametrize("host", ALLOWED_HOSTS)
def test_ordinary_hosts_pass_loopback_included(host: str) -> None:
    assert check_host(host) == host
    assert check_target(f"{host}:25") == f"{host}:25"


def test_a_backslash_trick_is_judged_by_the_host_httpx_would_dial() -> None:
    # httpx (like urllib) dials example.com here; browsers would not, but we are no browser.
    assert check_url("http://169.254.169.254\\@example.com/")


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (tcp.Params, {"host": "0xa9fea9fe", "port": 80}),
        (tls.Params, {"host": "169.254.169.254", "port": 443}),
        (starttls.Params, {"host": "[::ffff:a9fe:a9fe]", "port": 25, "protocol": "smtp"}),
        (http.Params, {"url": "http://user@169.254.169.254:80/"}),
        (blackbox.Params, {"vantage": "vpc", "module": "m", "target": "169.254.169.254:80"}),
        (blackbox.Params, {"vantage": "vpc", "module": "m", "target": "http://2852039166/"}),
        (blackbox.Params, {"vantage": "vpc", "module": "m", "target": "fd00:ec2::254"}),
        (module.Params, {"module": "m", "target": "metadata.google.internal:80"}),
    ],
)
def test_every_check_that_contacts_a_host_refuses_metadata(
    model: type[Any], params: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError, match="checks never contact it"):
        model.model_validate(params)


@pytest.mark.parametrize(
    "data",
    [
        {"vantage_points": {"vpc": {"kind": "blackbox", "url": "http://169.254.169.254:9115"}}},
        {"aws": {"endpoint_url": "http://[fd00:ec2::254]/"}},
    ],
)
def test_the_site_config_cannot_name_a_metadata_url(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="checks never contact it"):
        SiteConfig.model_validate(data)


@pytest.mark.parametrize("path", ["/to-metadata", "/to-metadata-decimal"])
async def test_a_redirect_to_metadata_is_refused_before_it_is_followed(
    web_server: WebPeer, path: str
) -> None:
    params = http.Params(url=web_server.url(path))
    result = await http.run(params, RunContext(timeout=3.0))
    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.DENIED)
    assert "refused to follow" in result.summary
    assert "link-local" in result.summary
