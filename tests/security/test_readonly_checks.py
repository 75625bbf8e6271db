"""Threat: a runbook check that changes infrastructure.

Auto-triage runs every check of a runbook when an alert fires, with no one
confirming anything. So an `aws` check may only read: calls are judged
against botocore's operation model when the runbook loads, and anything
that is not a read, or is a read that hands out secrets or credentials, is a
`file:line:col` error before a single call is made. The rare read outside
the rule needs `allow_operation: <reason>`, which lint lists for review.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from bot.checks import aws
from bot.checks.awsread import NEVER
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_runbook
from tests.cli.test_run import triage
from tests.peers.aws import REGION, MotoPeer, ecs_service

RUNBOOK = """\
id: hostile
title: A check that tries to change things
summary: scaling a service to zero from a check
vars:
  op: {{default: describe_services}}
targets:
  relay:
    title: relay
    impact: none
    protocol: tcp
    host: 127.0.0.1
    port: 25
    service: web
steps:
  - id: one
    title: one
    checks:
      - id: sneaky
        type: aws
        region: {region}
{check}
"""


def runbook(tmp_path: Path, check: str) -> Path:
    path = tmp_path / "hostile.yaml"
    indented = "\n".join(f"        {line}" for line in check.strip().splitlines())
    path.write_text(RUNBOOK.format(region=REGION, check=indented).replace("{{default", "{default"))
    return path


def refused(tmp_path: Path, check: str) -> str:
    path = runbook(tmp_path, check)
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    assert problems[0].line > 1 and problems[0].col > 1
    return str(problems[0])


# Writes, side effects and secret-returning reads an attacker (or a careless
# author) would try: each must be refused when the runbook loads.
def c(call: str, params: str = "", allow: str = "") -> str:
    """A check's YAML: its call, its params (flow style) and an opt-in."""
    lines = [f"call: {call}"]
    lines += [f"allow_operation: {allow}"] if allow else []
    lines += [f"params: {{{params}}}"] if params else []
    return "\n".join(lines)


ATTACKS = {
    "ecs.update_service": c("ecs.update_service", "cluster: c, service: web, desiredCount: 0"),
    "ecs.delete_service": c("ecs.delete_service", "cluster: c, service: web"),
    "ecs.stop_task": c("ecs.stop_task", "task: t"),
    "lambda.invoke": c("lambda.invoke", "FunctionName: f"),
    "sts.assume_role": c("sts.assume_role", "RoleArn: arn:aws:iam::1:role/x, RoleSessionName: s"),
    "kms.decrypt": c("kms.decrypt", "CiphertextBlob: eA=="),
    "ssm.send_command": c("ssm.send_command", "DocumentName: AWS-RunShellScript"),
    "ssm.get_parameter+decrypt": c("ssm.get_parameter", "Name: db, WithDecryption: true"),
    "ssm.get_parameters+decrypt": c("ssm.get_parameters", "Names: [db], WithDecryption: true"),
    "ssm.get_parameters_by_path+decrypt": c(
        "ssm.get_parameters_by_path", "Path: /, WithDecryption: true"
    ),
    "ssm.get_parameter+placeholder": c(
        "ssm.get_parameter", 'Name: db, WithDecryption: "{{ vars.op }}"'
    ),
    "secretsmanager.get_secret_value": c("secretsmanager.get_secret_value", "SecretId: s"),
    "secretsmanager.get_secret_value+opt-in": c(
        "secretsmanager.get_secret_value", "SecretId: s", allow="I really want to see it"
    ),
    "ecr.get_authorization_token": c("ecr.get_authorization_token"),
    "sts.get_session_token": c("sts.get_session_token"),
    "s3.get_object": c("s3.get_object", "Bucket: b, Key: k"),
    "ec2.get_password_data": c("ec2.get_password_data", "InstanceId: i-1"),
    "redshift.get_cluster_credentials": c(
        "redshift.get_cluster_credentials", "DbUser: u, ClusterIdentifier: c"
    ),
    "sqs.receive_message": c("sqs.receive_message", "QueueUrl: q"),
    "ec2.terminate_instances": c("ec2.terminate_instances", "InstanceIds: [i-1]"),
    "update_service+opt-in": c(
        "ecs.update_service",
        "cluster: c, service: web, desiredCount: 0",
        allow="it is only a small change",
    ),
    "call from a placeholder": c('"{{ vars.op }}"', "cluster: c, services: [web]"),
    "params from a placeholder": 'call: ssm.get_parameter\nparams: "{{ vars.op }}"',
    "sts.get_federation_token": c("sts.get_federation_token", "Name: n"),
    "cognito-identity.get_credentials_for_identity": c(
        "cognito-identity.get_credentials_for_identity", "IdentityId: i"
    ),
    "lightsail.get_key_pair, no reason": c("lightsail.get_key_pair", "keyPairName: k"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_check_that_is_not_a_read_is_refused_at_load(tmp_path: Path, name: str) -> None:
    message = refused(tmp_path, ATTACKS[name])
    assert any(
        word in message
        for word in (
            "read",
            "secret",
            "credential",
            "placeholder",
            "may not",
            "password",
            "contents",
            "token",
        )
    )


def test_every_never_entry_names_a_real_operation() -> None:
    for call in NEVER:
        aws.operation_model(*call.split("."))  # raises on a typo


@pytest.mark.parametrize(
    "check",
    [
        "call: ecs.describe_services\nparams: {cluster: c, services: [web]}",
        "call: elbv2.describe_target_health\nparams: {TargetGroupArn: arn}",
        "call: ssm.get_parameter\nparams: {Name: db}",
        "call: ssm.get_parameter\nparams: {Name: db, WithDecryption: false}",
        "call: sts.get_caller_identity",
        "call: s3.head_bucket\nparams: {Bucket: b}",
        "call: cloudtrail.lookup_events",
        c("dynamodb.query", "TableName: t", allow="reads one item of the status table"),
        "call: sqs.get_queue_url\nparams: {QueueName: q}",
    ],
)
def test_reads_still_load(tmp_path: Path, check: str) -> None:
    load_runbook(runbook(tmp_path, check))


def test_a_read_outside_the_rule_needs_a_reason(tmp_path: Path) -> None:
    message = refused(tmp_path, "call: dynamodb.scan\nparams: {TableName: t}")
    assert "allow_operation" in message


def test_opt_ins_are_listed_by_lint_for_review(tmp_path: Path) -> None:
    path = runbook(
        tmp_path,
        "call: dynamodb.query\nallow_operation: reads one item of the status table\n"
        "params: {TableName: t}",
    )
    done = triage("lint", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{path}:" in done.stdout
    assert "review: dynamodb.query" in done.stdout
    assert "reads one item of the status table" in done.stdout


def test_triage_run_of_a_scaling_check_is_a_load_error_and_changes_nothing(
    aws_env: MotoPeer, tmp_path: Path
) -> None:
    ecs_service("c", "web", desired=1, running=1, events=[])
    path = runbook(
        tmp_path, "call: ecs.update_service\nparams: {cluster: c, service: web, desiredCount: 0}"
    )
    done = triage("run", str(path), "-t", "relay", "--json")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    located = [line for line in (done.stdout + done.stderr).splitlines() if str(path) in line]
    assert located and "ecs.update_service is not a read" in located[0], done.stderr
    line, col = located[0].split(":")[1:3]
    assert int(line) > 1 and int(col) > 1
    service = boto3.client("ecs").describe_services(cluster="c", services=["web"])
    assert service["services"][0]["desiredCount"] == 1


async def test_the_executor_itself_refuses_a_write_even_without_a_runbook() -> None:
    """Defence in depth: dry runs, rehearsals and anything else that builds
    parameters goes through the same model."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not a read"):
        aws.Params(call="ecs.update_service", params={"cluster": "c", "service": "web"})
    with pytest.raises(ValidationError, match="WithDecryption"):
        aws.Params(call="ssm.get_parameter", params={"Name": "x", "WithDecryption": True})
