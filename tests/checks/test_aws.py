"""The aws check: real boto3 against a real moto server (tests/peers/aws.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from bot.checks import aws
from bot.checks.context import AwsSettings, RunContext
from bot.checks.params import truthy
from bot.checks.result import CheckStatus, ErrorKind
from bot.engine.runner import GRACE_S
from tests.peers.aws import ErrorPeer, MotoPeer, ecs_service, target_group

CTX = RunContext(timeout=5.0)
SERVICES_QUERY = (
    "services[].{name: serviceName, running: runningCount, desired: desiredCount,"
    " events: events[0:3].message}"
)
SERVICES_EXPECT = "length([?running < desired]) == `0`"
SERVICES_OFFENDING = "[?running < desired]"
EVENTS = [
    "(service cabal-imap) was unable to place a task: no container instance met requirements.",
    "(service cabal-imap) failed to launch a task: EFS access point not found.",
    "(service cabal-imap) has started 1 tasks.",
    "(service cabal-imap) has reached a steady state.",
]


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    """Clients keep the credentials they were built with; tests change them."""
    aws.clear_clients()
    yield
    aws.clear_clients()


def describe_services(*services: str, cluster: str = "cabal") -> aws.Params:
    return aws.Params(
        call="ecs.describe_services",
        params={"cluster": cluster, "services": list(services)},
        query=SERVICES_QUERY,
        expect=SERVICES_EXPECT,
        offending=SERVICES_OFFENDING,
    )


def standin_ctx(peer: ErrorPeer, *, max_attempts: int = 1) -> RunContext:
    settings = AwsSettings(region="us-east-1", endpoint_url=peer.url, max_attempts=max_attempts)
    return RunContext(timeout=5.0, aws=settings)


async def test_service_running_0_of_1_fails_with_offending_item_and_events(
    aws_env: MotoPeer,
) -> None:
    ecs_service("cabal", "cabal-imap", desired=1, running=0, events=EVENTS)
    ecs_service("cabal", "cabal-smtp-in", desired=1, running=1, events=[])

    result = await aws.run(describe_services("cabal-imap", "cabal-smtp-in"), CTX)

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is None
    assert result.summary == (
        "ecs.describe_services: offending 1: name=cabal-imap running=0 desired=1"
    )
    (offending,) = result.details["offending"]
    assert offending["events"] == EVENTS[:3]
    assert [s["name"] for s in result.result] == ["cabal-imap", "cabal-smtp-in"]


async def test_healthy_service_passes_with_the_query_result(aws_env: MotoPeer) -> None:
    ecs_service("cabal", "cabal-imap", desired=1, running=1, events=EVENTS[3:])

    result = await aws.run(describe_services("cabal-imap"), CTX)

    assert result.summary == f"ecs.describe_services: {SERVICES_EXPECT} holds"
    assert result.result == [
        {"name": "cabal-imap", "running": 1, "desired": 1, "events": [EVENTS[3]]}
    ]


async def test_without_query_the_result_is_plain_json_without_metadata(aws_env: MotoPeer) -> None:
    ecs_service("cabal", "cabal-imap", desired=1, running=1, events=EVENTS[:1])
    params = aws.Params(
        call="ecs.describe_services", params={"cluster": "cabal", "services": ["cabal-imap"]}
    )

    result = await aws.run(params, CTX)

    assert result.status is CheckStatus.PASS, result.summary
    assert "ResponseMetadata" not in result.result
    created = result.result["services"][0]["events"][0]["createdAt"]
    assert isinstance(created, str)
    assert created.startswith("20")


async def test_unknown_service_in_the_cluster_errors_not_found(aws_env: MotoPeer) -> None:
    ecs_service("cabal", "cabal-imap", desired=1, running=1, events=[])

    result = await aws.run(describe_services("cabal-imap", "cabal-ntfy"), CTX)

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.NOT_FOUND
    assert result.summary == "ecs.describe_services: not found: cabal-ntfy"


async def test_unknown_cluster_errors_not_found(aws_env: MotoPeer) -> None:
    result = await aws.run(describe_services("cabal-imap", cluster="nope"), CTX)

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.NOT_FOUND
    assert result.summary.startswith("ecs.describe_services: ClusterNotFoundException:")


async def test_target_group_with_unhealthy_targets_fails_listing_them(aws_env: MotoPeer) -> None:
    arn = target_group(
        "cabal-imap",
        {"10.0.1.10": "healthy", "10.0.1.11": "unhealthy", "10.0.1.12": "unhealthy"},
    )
    params = aws.Params(
        call="elbv2.describe_target_health",
        params={"TargetGroupArn": arn},
        query="TargetHealthDescriptions[].{id: Target.Id, state: TargetHealth.State,"
        " reason: TargetHealth.Reason}",
        expect="length([?state != 'healthy']) == `0`",
        offending="[?state != 'healthy'].id",
    )

    result = await aws.run(params, CTX)

    assert result.status is CheckStatus.FAIL
    assert result.details["offending"] == ["10.0.1.11", "10.0.1.12"]
    assert result.summary.endswith('offending 2: "10.0.1.11"; "10.0.1.12"')


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_access_denied_errors_denied_naming_the_call(
    aws_error_peer: Callable[[str, str, int], ErrorPeer],
) -> None:
    message = "User: arn:aws:sts::123456789012:assumed-role/triage is not authorized"
    peer = aws_error_peer("AccessDeniedException", message, 400)

    result = await aws.run(describe_services("cabal-imap"), standin_ctx(peer))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.DENIED
    assert result.summary == f"ecs.describe_services: AccessDeniedException: {message}"


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_throttling_errors_throttled_after_the_configured_attempts(
    aws_error_peer: Callable[[str, str, int], ErrorPeer],
) -> None:
    peer = aws_error_peer("ThrottlingException", "Rate exceeded", 400)

    result = await aws.run(describe_services("cabal-imap"), standin_ctx(peer, max_attempts=2))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.THROTTLED
    assert result.summary == "ecs.describe_services: ThrottlingException: Rate exceeded"
    assert len(peer.requests) == 2


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ExpiredTokenException", ErrorKind.AUTH),
        ("UnrecognizedClientException", ErrorKind.AUTH),
        ("ServiceNotFoundException", ErrorKind.NOT_FOUND),
        ("InvalidParameterException", ErrorKind.PROTOCOL),
        ("ServerException", ErrorKind.INTERNAL),
    ],
)
@pytest.mark.usefixtures("aws_fake_credentials")
async def test_error_codes_map_to_kinds(
    aws_error_peer: Callable[[str, str, int], ErrorPeer], code: str, kind: ErrorKind
) -> None:
    status = 500 if code == "ServerException" else 400
    peer = aws_error_peer(code, "nope", status)

    result = await aws.run(describe_services("cabal-imap"), standin_ctx(peer))

    assert (result.status, result.error_kind) == (CheckStatus.ERROR, kind)


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_unreachable_endpoint_errors_refused(web_closed_port: int) -> None:
    settings = AwsSettings(region="us-east-1", endpoint_url=f"http://127.0.0.1:{web_closed_port}")
    started = time.monotonic()

    result = await aws.run(describe_services("cabal-imap"), RunContext(timeout=5, aws=settings))

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.REFUSED
    assert result.summary.startswith("ecs.describe_services: Could not connect")
    assert time.monotonic() - started < 4


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_unresolvable_endpoint_errors_dns() -> None:
    settings = AwsSettings(endpoint_url="http://ecs.aws.invalid", max_attempts=1)

    result = await aws.run(describe_services("cabal-imap"), RunContext(timeout=5, aws=settings))

    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.DNS)
    assert result.summary == "ecs.describe_services: http://ecs.aws.invalid/: name does not resolve"


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_silent_endpoint_errors_timeout_within_the_budget(aws_silent_endpoint: str) -> None:
    settings = AwsSettings(
        region="us-east-1", endpoint_url=aws_silent_endpoint, read_timeout=1, max_attempts=1
    )
    ctx = RunContext(timeout=0.5, aws=settings)
    started = time.monotonic()

    result = await aws.run(describe_services("cabal-imap"), ctx)

    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.TIMEOUT)
    assert result.summary == "ecs.describe_services: no answer within the 0.5s budget"
    # Its own words, before the engine would cut it off (its timeout plus
    # GRACE_S): a check that waited out botocore's 1 s read timeout fails.
    assert time.monotonic() - started < 0.5 + GRACE_S


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_read_timeout_errors_timeout_naming_the_phase(aws_silent_endpoint: str) -> None:
    settings = AwsSettings(
        region="us-east-1", endpoint_url=aws_silent_endpoint, read_timeout=0.2, max_attempts=1
    )

    result = await aws.run(describe_services("cabal-imap"), RunContext(timeout=3, aws=settings))

    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.TIMEOUT)
    assert "Read timeout" in result.summary


@pytest.mark.usefixtures("aws_no_credentials")
async def test_missing_credentials_error_auth(
    aws_error_peer: Callable[[str, str, int], ErrorPeer],
) -> None:
    peer = aws_error_peer("AccessDeniedException", "unreachable", 400)

    result = await aws.run(describe_services("cabal-imap"), standin_ctx(peer))

    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.AUTH)
    assert result.summary == "ecs.describe_services: Unable to locate credentials"
    assert peer.requests == []


def test_valid_params_validate_and_keep_their_expressions() -> None:
    params = describe_services("cabal-imap")

    assert (params.service, params.operation) == ("ecs", "describe_services")
    assert params.model_dump()["expect"] == SERVICES_EXPECT


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"call": "nosuchservice.describe_things"}, "unknown AWS service 'nosuchservice'"),
        ({"call": "ecs.describe_everything"}, "has no operation 'describe_everything'"),
        ({"call": "ecs.DescribeServices"}, "should match pattern"),
        ({"call": "ecs"}, "should match pattern"),
        ({"call": "ecs.describe_services", "params": {"service": ["x"]}}, "Unknown parameter"),
        ({"call": "ecs.describe_services", "params": {"cluster": "c"}}, "Missing required"),
        ({"call": "ecs.describe_services", "params": {"services": "x"}}, "Invalid type"),
        ({"call": "ecs.list_clusters", "query": "clusterArns[?"}, "bad JMESPath"),
        ({"call": "ecs.list_clusters", "expect": "length("}, "bad JMESPath"),
        ({"call": "ecs.list_clusters", "offending": "[?"}, "bad JMESPath"),
        ({"call": "ecs.list_clusters", "profile": "prod"}, "Extra inputs"),
    ],
)
def test_bad_params_are_rejected_at_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        aws.Params(**params)


@pytest.mark.parametrize(
    ("value", "truth"),
    [(None, False), (False, False), ("", False), ([], False), ({}, False), (0, True), ([0], True)],
)
def test_expect_uses_jmespath_truthiness(value: Any, truth: bool) -> None:
    assert truthy(value) is truth


# paginate (#16 item 6): boto3's paginator against moto, which pages
# logs.describe_log_groups by limit/nextToken (it ignores ecs.list_services'
# maxResults, so that one cannot show pages).


def log_groups(**extra: Any) -> aws.Params:
    return aws.Params(
        call="logs.describe_log_groups",
        params={"logGroupNamePrefix": "/ecs/", "limit": 10},
        query="logGroups[*].logGroupName",
        expect="length(@) >= `25`",
        **extra,
    )


def groups(count: int) -> None:
    logs = boto3.client("logs")
    for i in range(count):
        logs.create_log_group(logGroupName=f"/ecs/svc-{i:02d}")


async def test_paginate_reads_every_page_and_merges_the_lists(aws_env: MotoPeer) -> None:
    groups(25)

    one_call = await aws.run(log_groups(), CTX)
    paged = await aws.run(log_groups(paginate=True), CTX)

    assert one_call.status is CheckStatus.FAIL  # 10 of 25: the first page only
    assert paged.status is CheckStatus.PASS, paged.summary
    assert len(paged.result) == 25
    assert paged.details["pages"] == 3
    assert paged.details["more_pages"] is False
    assert "more remain" not in paged.summary


async def test_max_pages_caps_the_calls_and_the_summary_says_so(aws_env: MotoPeer) -> None:
    groups(25)

    result = await aws.run(log_groups(paginate=True, max_pages=2), CTX)

    assert result.status is CheckStatus.FAIL
    assert len(result.result) == 20
    assert result.details["pages"] == 2
    assert result.details["more_pages"] is True
    assert result.summary.endswith(
        "(first 2 pages only: more remain; raise max_pages to read them)"
    )


async def test_paginate_with_a_deadline_already_spent_errors_timeout(aws_env: MotoPeer) -> None:
    groups(25)
    params = log_groups(paginate=True)

    merged, pages = aws._invoke(params, CTX, deadline=0.0)

    assert pages is not None
    assert (pages.read, pages.more, pages.capped) == (1, True, False)
    assert len(merged["logGroups"]) == 10
    assert "nextToken" not in merged


def test_paginate_is_refused_at_load_for_an_operation_without_pages() -> None:
    with pytest.raises(ValidationError, match=r"ecs\.describe_services cannot be paginated"):
        aws.Params(call="ecs.describe_services", params={"services": ["x"]}, paginate=True)
    with pytest.raises(ValidationError, match="`max_pages` limits `paginate: true`"):
        aws.Params(call="logs.describe_log_groups", max_pages=3)
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        aws.Params(call="logs.describe_log_groups", paginate=True, max_pages=1000)


def test_paginate_keeps_the_read_only_rule() -> None:
    with pytest.raises(ValidationError, match="not a read"):
        aws.Params(call="ecs.update_service", params={"service": "x"}, paginate=True)


def test_dry_run_says_how_many_pages_at_most() -> None:
    say, call = aws.CHECK.dry(log_groups(paginate=True, max_pages=4), CTX)

    assert call["paginate"] == "up to 4 pages"
    assert "(paginated, up to 4 pages)" in say
