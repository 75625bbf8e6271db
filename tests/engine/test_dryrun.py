"""Dry run: each check type described as the exact call it would make."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checks import aws, blackbox, http, module, prometheus, tcp, tls
from bot.checks.bbconfig import Module
from bot.checks.context import AwsSettings, RunContext, VantagePoint, VantageSettings
from bot.checks.result import CheckStatus
from bot.engine.dryrun import describe, dry_run
from bot.engine.runner import Engine
from tests.engine.test_execute_seam import binding

POINTS = {
    "vpc": VantagePoint(name="vpc", kind="blackbox", url="http://bb:9115/"),
    "prom": VantagePoint(name="prom", kind="prometheus", url="http://prom:9090"),
}
CTX = RunContext(
    timeout=1.0,
    aws=AwsSettings(region="eu-west-1", endpoint_url="http://aws.local:4566"),
    vantage=VantageSettings(
        points=POINTS,
        modules={"web": Module.model_validate({"prober": "http", "http": {"method": "HEAD"}})},
    ),
)


def test_tcp_and_tls_name_the_address_and_the_sni() -> None:
    say, call = describe("tcp", tcp.Params(host="::1", port=25), CTX)
    assert (say, call["connect"]) == ("TCP connect to [::1]:25", "[::1]:25")
    say, call = describe("tls", tls.Params(host="10.0.0.5", port=993, server_name="imap.x"), CTX)
    assert say == "TCP connect to 10.0.0.5:993, TLS handshake with SNI imap.x"


def test_http_names_method_url_and_redirects() -> None:
    params = http.Params(url="https://admin.example.com/", method="HEAD", follow_redirects=False)
    assert describe("http", params, CTX)[1] == {
        "type": "http",
        "method": "HEAD",
        "url": "https://admin.example.com/",
        "follow_redirects": "none",
    }


def test_aws_names_operation_params_region_and_endpoint() -> None:
    params = aws.Params(call="ecs.describe_services", params={"services": ["a"]})
    say, call = describe("aws", params, CTX)
    assert call["operation"] == "ECS.DescribeServices"
    assert (call["region"], call["endpoint"]) == ("eu-west-1", "http://aws.local:4566")
    assert (
        say == 'AWS ecs.describe_services {"services":["a"]} in eu-west-1 at http://aws.local:4566'
    )


def test_aws_without_an_endpoint_names_the_public_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ELBV2"):
        monkeypatch.delenv(name, raising=False)
    params = aws.Params(call="elbv2.describe_target_groups", region="us-west-1")
    call = describe("aws", params, RunContext(timeout=1.0))[1]
    assert call["endpoint"] == "https://elasticloadbalancing.us-west-1.amazonaws.com"


def test_vantage_points_are_get_urls_with_the_query_filled_in() -> None:
    probe = blackbox.Params(vantage="vpc", module="tcp_connect", target="imap:143")
    assert describe("blackbox", probe, CTX)[1]["url"] == (
        "http://bb:9115/probe?module=tcp_connect&target=imap%3A143&debug=true"
    )
    query = prometheus.Params(vantage="prom", query="up == 0")
    assert describe("prometheus", query, CTX)[1]["url"] == (
        "http://prom:9090/api/v1/query?query=up+%3D%3D+0"
    )
    missing = blackbox.Params(vantage="edge", module="m", target="x:1")
    assert describe("blackbox", missing, CTX)[0].startswith("nothing: the site config has no")


def test_a_local_module_names_what_it_would_fetch() -> None:
    say, call = describe("module", module.Params(module="web", target="admin.example.com"), CTX)
    assert say == "web: HEAD http://admin.example.com"
    assert call["url"] == "http://admin.example.com"


async def test_through_the_engine_a_dry_run_is_skipped_and_carries_its_call(
    tmp_path: Path,
) -> None:
    step = await Engine(binding(tmp_path), execute=dry_run).run_step("s", "mail")
    (probe,) = step.checks
    assert probe.status is CheckStatus.SKIPPED
    assert probe.result.summary == "dry run: TCP connect to 127.0.0.1:1"
    assert probe.result.details["dry_run"]["connect"] == "127.0.0.1:1"
