"""`cloudwatch` against moto's get_metric_data (moto serves it, with
put_metric_data to give it datapoints)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from pydantic import ValidationError

from bot.checks import aws, cloudwatch
from bot.checks.context import AwsSettings, RunContext
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.aws import REGION, MotoPeer

CPU = {"namespace": "AWS/RDS", "metric": "CPUUtilization"}
DB = {"DBInstanceIdentifier": "app-db"}


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    aws.clear_clients()
    yield
    aws.clear_clients()


def ctx(url: str) -> RunContext:
    return RunContext(timeout=5.0, aws=AwsSettings(region=REGION, endpoint_url=url))


def cpu(points: list[tuple[int, float]], db: str = "app-db") -> None:
    """Datapoints `minutes ago -> value` for the database's CPU."""
    now = datetime.now(UTC)
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": db}],
                "Timestamp": now - timedelta(minutes=ago),
                "Value": value,
                "Unit": "Percent",
            }
            for ago, value in points
        ],
    )


async def test_the_window_is_read_newest_first(aws_env: MotoPeer) -> None:
    cpu([(10, 40.0), (5, 55.0), (1, 97.0)])
    cpu([(1, 3.0)], db="other-db")
    params = cloudwatch.Params(**CPU, dimensions=DB, statistic="Maximum", since="15m")
    result = await cloudwatch.run(params, ctx(aws_env.url))
    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["values"] == [97.0, 55.0, 40.0]
    assert result.summary == (
        "AWS/RDS CPUUtilization{DBInstanceIdentifier=app-db} Maximum/60s, last 15m:"
        " latest 97 (newest first: 97, 55, 40)"
    )


async def test_expect_judges_the_values(aws_env: MotoPeer) -> None:
    cpu([(5, 55.0), (1, 97.0)])
    params = cloudwatch.Params(**CPU, dimensions=DB, expect="latest < `90`")
    result = await cloudwatch.run(params, ctx(aws_env.url))
    assert (result.status, result.error_kind) == (CheckStatus.FAIL, None)
    assert result.summary.endswith("; expected latest < `90`")


async def test_no_datapoints_fails_saying_what_to_suspect(aws_env: MotoPeer) -> None:
    params = cloudwatch.Params(**CPU, dimensions={"DBInstanceIdentifier": "typo-db"})
    result = await cloudwatch.run(params, ctx(aws_env.url))
    assert result.status is CheckStatus.FAIL
    assert "no datapoints (wrong name or dimensions, or nothing reported?)" in result.summary


async def test_an_unreachable_endpoint_is_an_error_naming_the_metric(
    aws_fake_credentials: None, web_closed_port: int
) -> None:
    params = cloudwatch.Params(**CPU)
    settings = RunContext(
        timeout=5.0,
        aws=AwsSettings(
            region=REGION, endpoint_url=f"http://127.0.0.1:{web_closed_port}", max_attempts=1
        ),
    )
    result = await cloudwatch.run(params, settings)
    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.REFUSED)
    assert result.summary.startswith("AWS/RDS CPUUtilization: cloudwatch.get_metric_data:")


@pytest.mark.parametrize(
    "bad",
    [{"statistic": "Median"}, {"period": 90}, {"since": "14d", "period": 60}],
)
def test_bad_windows_and_statistics_are_refused_at_load(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        cloudwatch.Params(**CPU, **bad)  # type: ignore[arg-type]


def test_docs_and_dry_run() -> None:
    words = cloudwatch.CHECK.words({**CPU, "dimensions": DB, "since": "1h"})
    assert words == (
        "CloudWatch metric `AWS/RDS CPUUtilization` for DBInstanceIdentifier `app-db`,"
        " `Average` over the last 1h"
    )
    say, call = cloudwatch.CHECK.dry(cloudwatch.Params(**CPU), ctx("http://aws.local:4566"))
    assert say.endswith("Average/60s, last 15m at http://aws.local:4566")
    assert call["query"]["MetricStat"]["Stat"] == "Average"
