"""`logs` against moto's Logs Insights (start_query, get_query_results) and,
for a query still running at the deadline (moto's finish at once and it has
no stop_query), the stand-in in tests/peers/awsstandin.py."""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest

from bot.checks import aws, logs
from bot.checks.context import AwsSettings, RunContext
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.aws import REGION, MotoPeer
from tests.peers.awsstandin import StandIn

QUERY = "fields @timestamp, @message | sort @timestamp desc | limit 20"


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    aws.clear_clients()
    yield
    aws.clear_clients()


def ctx(url: str, timeout: float = 5.0) -> RunContext:
    return RunContext(
        timeout=timeout, aws=AwsSettings(region=REGION, endpoint_url=url, max_attempts=1)
    )


def app_log(lines: list[tuple[int, str]]) -> None:
    """Log events `seconds ago -> message` in app/web."""
    client = boto3.client("logs")
    client.create_log_group(logGroupName="app/web")
    client.create_log_stream(logGroupName="app/web", logStreamName="task-1")
    now = int(time.time() * 1000)
    events = sorted(({"timestamp": now - ago * 1000, "message": m} for ago, m in lines),
                    key=lambda e: e["timestamp"])  # fmt: skip
    client.put_log_events(logGroupName="app/web", logStreamName="task-1", logEvents=events)


async def test_rows_of_the_window_come_back_newest_first(aws_env: MotoPeer) -> None:
    app_log([(60, "ERROR db timeout"), (30, "GET / 200"), (3600, "ERROR from an hour ago")])
    params = logs.Params(log_groups=["app/web"], query=QUERY, since="15m")
    result = await logs.run(params, ctx(aws_env.url))
    assert result.status is CheckStatus.PASS, result.summary
    assert result.summary == "2 rows in the last 15m; newest: GET / 200"
    assert [r["@message"] for r in result.result] == ["GET / 200", "ERROR db timeout"]
    assert result.details["rows"][1]["@message"] == "ERROR db timeout"


async def test_expect_over_the_rows_fails_naming_the_first_line(aws_env: MotoPeer) -> None:
    app_log([(60, "ERROR db timeout")])
    params = logs.Params(
        log_groups=["app/web"], query=QUERY, since="15m", expect="length(@) == `0`"
    )
    result = await logs.run(params, ctx(aws_env.url))
    assert result.status is CheckStatus.FAIL
    assert result.summary == (
        "1 row in the last 15m; expected length(@) == `0`; first: ERROR db timeout"
    )


async def test_an_unknown_log_group_is_named(aws_env: MotoPeer) -> None:
    params = logs.Params(log_groups=["app/missing"], query=QUERY)
    result = await logs.run(params, ctx(aws_env.url))
    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.NOT_FOUND)
    assert result.summary.startswith("logs app/missing: logs.start_query: ResourceNotFound")
    assert result.summary.endswith("(is every log group right: app/missing?)")


async def test_a_query_running_at_the_deadline_is_stopped(aws_standin: StandIn) -> None:
    params = logs.Params(log_groups=["app/web"], query=QUERY)
    started = time.monotonic()
    # 3 s: building the Logs client alone can take a second on a loaded machine.
    result = await logs.run(params, ctx(aws_standin.url, timeout=3.0))
    assert time.monotonic() - started < 3.0 + 0.5
    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.TIMEOUT)
    assert "the query was still running at the 3 s deadline (stopped it)" in result.summary
    assert aws_standin.targets()[-1] == "Logs_20140328.StopQuery"
    assert list(aws_standin.queries.values()) == ["Cancelled"]


def test_since_reads_durations_and_refuses_nonsense() -> None:
    assert logs.Params(log_groups=["g"], query="q", since="2h").since == 7200
    with pytest.raises(ValueError, match="expected a duration like"):
        logs.Params(log_groups=["g"], query="q", since="soon")


def test_dry_run_names_the_calls_window_and_endpoint() -> None:
    params = logs.Params(log_groups=["app/web"], query=QUERY, since="1h")
    say, call = logs.CHECK.dry(params, ctx("http://aws.local:4566"))
    assert say == f"Logs Insights over app/web, last 1h: {QUERY} at http://aws.local:4566"
    assert call["calls"][-1] == "logs.stop_query on timeout"
