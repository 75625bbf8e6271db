"""`command` through SSM Run Command.

moto serves send_command and get_command_invocation, but every invocation
is "Success" with empty output and nothing runs; it has no cancel_command.
So one test shows the call sequence against moto, and the rest run against
the stand-in in tests/peers/awsstandin.py, whose "instance" runs the command
under /bin/sh on this machine, as the SSM agent would on a host."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.checks import aws, command
from bot.checks.context import AwsSettings, RunContext
from bot.checks.result import CheckStatus, ErrorKind
from bot.engine.runner import Engine
from bot.runbooks.binding import bind
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_runbook, load_site
from tests.peers.aws import REGION, MotoPeer
from tests.peers.awsstandin import StandIn

HOST = "i-0123456789abcdef0"


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    aws.clear_clients()
    yield
    aws.clear_clients()


def ctx(url: str, timeout: float = 5.0) -> RunContext:
    return RunContext(
        timeout=timeout, aws=AwsSettings(region=REGION, endpoint_url=url, max_attempts=1)
    )


def params(text: str, **more: object) -> command.Params:
    return command.Params.model_validate(
        {"runs_command": True, "instance_ids": [HOST], "command": text, **more}
    )


async def test_moto_takes_the_command_and_reports_success(aws_env: MotoPeer) -> None:
    result = await command.run(params("df -P /"), ctx(aws_env.url))
    assert result.status is CheckStatus.PASS, result.summary
    assert result.summary == f"{HOST}: (no output)"
    assert result.result[0]["status"] == "Success"


async def test_output_is_judged_and_shown(aws_standin: StandIn) -> None:
    aws_standin.instances.add(HOST)
    ok = await command.run(
        params("echo 'disk 42% used'", output=r"disk \d+%"), ctx(aws_standin.url)
    )
    assert ok.status is CheckStatus.PASS, ok.summary
    assert ok.summary == f"{HOST}: disk 42% used"
    wrong = await command.run(params("echo nothing", output=r"disk \d+%"), ctx(aws_standin.url))
    assert wrong.status is CheckStatus.FAIL
    assert wrong.summary == rf"output does not match /disk \d+%/: {HOST}: 'nothing'"


async def test_a_failing_command_says_its_exit_code_and_error(aws_standin: StandIn) -> None:
    aws_standin.instances.add(HOST)
    result = await command.run(params("echo 'no space left' >&2; exit 3"), ctx(aws_standin.url))
    assert (result.status, result.error_kind) == (CheckStatus.FAIL, None)
    assert result.summary == f"{HOST}: Failed (exit 3): no space left"


async def test_expect_reads_every_invocation(aws_standin: StandIn) -> None:
    aws_standin.instances.add(HOST)
    checked = params("echo 3", expect="[0].stdout == '2\n'")
    result = await command.run(checked, ctx(aws_standin.url))
    assert result.status is CheckStatus.FAIL
    assert result.summary == f"{HOST}: 3; expected [0].stdout == '2\n'".replace("\n", " ")


async def test_a_command_running_at_the_deadline_is_cancelled(aws_standin: StandIn) -> None:
    aws_standin.instances.add(HOST)
    started = time.monotonic()
    # 3 s: building the SSM client alone can take a second on a loaded machine.
    result = await command.run(params("sleep 30"), ctx(aws_standin.url, timeout=3.0))
    assert time.monotonic() - started < 3.0 + 0.5
    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.TIMEOUT)
    assert f"still running on {HOST} at the 3 s deadline (cancelled it)" in result.summary
    assert aws_standin.targets()[-1] == "AmazonSSM.CancelCommand"
    (invocations,) = aws_standin.commands.values()
    assert invocations[HOST].process.poll() is not None  # killed, not left running


async def test_an_unmanaged_instance_is_named_with_what_to_check(aws_standin: StandIn) -> None:
    result = await command.run(params("uptime"), ctx(aws_standin.url))
    assert result.status is CheckStatus.ERROR
    assert "InvalidInstanceId" in result.summary
    assert "is the SSM agent running" in result.summary


@pytest.mark.parametrize(
    "bad",
    [
        {"instance_ids": [HOST], "command": "uptime"},  # runs_command not written
        {"runs_command": False, "instance_ids": [HOST], "command": "uptime"},
        {"runs_command": True, "instance_ids": ["web-1"], "command": "uptime"},
        {"runs_command": True, "instance_ids": [HOST], "command": "x", "container": "a b"},
    ],
)
def test_bad_parameters_are_refused_at_load(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        command.Params.model_validate(bad)


def test_dry_run_says_it_runs_a_command_and_what() -> None:
    say, call = command.CHECK.dry(params("df -P /", container="db"), ctx("http://aws.local:4566"))
    assert say.startswith(f"RUNS A COMMAND on {HOST} via SSM AWS-RunShellScript:")
    assert call["commands"] == ["docker exec db sh -c 'df -P /'"]
    assert (call["runs_command"], call["unattended"]) == (True, False)


RUNBOOK = """
id: disk
title: Disk
summary: s
vars:
  path: {default: "PATH"}
targets:
  web: {title: Web, impact: none, protocol: http, url: "http://127.0.0.1:1/"}
steps:
  - id: s
    title: S
    checks:
      - id: look
        type: command
        runs_command: true
        UNATTENDED
        instance_ids: [i-0123456789abcdef0]
        command: "cat {{ vars.path }}"
        timeout: 5
"""


def engine(tmp_path: Path, url: str, *, path: str = "absent", unattended: str = "") -> Engine:
    text = RUNBOOK.replace("PATH", path).replace("UNATTENDED", unattended)
    (tmp_path / "disk.yaml").write_text(text)
    binding = bind(load_runbook(tmp_path / "disk.yaml"), load_site(None))
    engine = Engine(binding)
    settings = AwsSettings(region=REGION, endpoint_url=url, max_attempts=1)
    engine.settings = type(engine.settings)(aws=settings)
    return engine


async def test_filled_values_reach_the_shell_quoted(tmp_path: Path, aws_standin: StandIn) -> None:
    aws_standin.instances.add(HOST)
    run = engine(tmp_path, aws_standin.url, path="x; touch pwned")
    (check,) = (await run.run_step("s", "web")).checks
    assert check.status is CheckStatus.FAIL
    assert "x; touch pwned" in check.result.summary  # cat names the one odd file name
    assert not (aws_standin.workdir / "pwned").exists()
    (_, sent), *_ = aws_standin.requests
    assert sent["Parameters"]["commands"] == ["cat 'x; touch pwned'"]


async def test_auto_triage_skips_a_command_not_marked_unattended(
    tmp_path: Path, aws_standin: StandIn
) -> None:
    aws_standin.instances.add(HOST)
    result = await engine(tmp_path, aws_standin.url).run_all("web", unattended=True)
    (check,) = result.steps[0].checks
    assert check.status is CheckStatus.SKIPPED
    assert "not run by auto-triage" in check.result.summary
    assert "unattended: true" in check.result.summary
    assert aws_standin.requests == []
    marked = engine(tmp_path, aws_standin.url, unattended="unattended: true")
    (check,) = (await marked.run_all("web", unattended=True)).steps[0].checks
    assert check.status is CheckStatus.FAIL  # it ran: cat found no such file
    assert aws_standin.targets()[0] == "AmazonSSM.SendCommand"


def test_an_alert_label_may_not_fill_the_command(tmp_path: Path) -> None:
    text = RUNBOOK.replace("PATH", "x").replace("UNATTENDED", "")
    text = text.replace("{{ vars.path }}", "{{ alert.labels.path }}")
    (tmp_path / "disk.yaml").write_text(text)
    with pytest.raises(RunbookError, match="command may not come from an alert label"):
        load_runbook(tmp_path / "disk.yaml")


async def test_a_send_that_gets_no_answer_says_the_host_stops_it(
    aws_fake_credentials: None, aws_silent_endpoint: str
) -> None:
    result = await command.run(params("uptime"), ctx(aws_silent_endpoint, timeout=1.0))
    assert (result.status, result.error_kind) == (CheckStatus.ERROR, ErrorKind.TIMEOUT)
    assert result.summary.startswith(f"{HOST}: ssm.send_command: no answer within the 1 s")
    assert result.summary.endswith(
        "(if it reached the host, SSM stops it after the check's timeout)"
    )
