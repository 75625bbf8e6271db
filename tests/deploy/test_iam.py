"""The IAM policies under deploy/iam/ are least privilege for the shipped
runbooks: every AWS operation a loaded runbook's check or action can call is
allowed, and nothing else; the services an action may change are named one
by one. Operations map to IAM actions through botocore's service model (the
signing name is the IAM prefix, the API operation name the action)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session

from bot.actions.plan import Call, plan_for
from bot.checks.aws import operation_model
from bot.checks.params import truthy
from bot.checks.registry import REGISTRY
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.runbooks.templates import TemplateError, compile_tree, render_tree

ROOT = Path(__file__).parents[2]
IAM = ROOT / "deploy" / "iam"
ACCOUNT = "123456789012"  # the docs' placeholder account


@cache
def bindings() -> tuple[Binding, ...]:
    catalogue = Catalogue.load([ROOT / "runbooks"], load_site(None, []))
    return tuple(catalogue.bindings.values())


# Where the IAM prefix is not the signing name (the Service Authorization
# Reference lists CloudWatch's actions as cloudwatch:*, signed as "monitoring").
IAM_PREFIX = {"monitoring": "cloudwatch"}


def iam_action(service: str, operation: str) -> str:
    model = botocore.session.get_session().get_service_model(service)
    signing = model.signing_name or model.endpoint_prefix
    prefix = IAM_PREFIX.get(signing, signing)
    return f"{prefix}:{operation_model(service, operation).name}"


def check_calls() -> Iterator[Call]:
    """Every AWS call a check can make, per target, filled in where it can be
    (a param from an earlier check's result stays a template)."""
    for binding in bindings():
        for step in binding.runbook.steps:
            for check in (c for c in step.checks if c.type == "aws"):
                for target in binding.targets:
                    scope = binding.scope(target)
                    if check.if_ is not None and not truthy(check.if_.search(scope)):
                        continue
                    try:
                        params = render_tree(compile_tree(check.params), scope)
                        region = render_tree(compile_tree(check.region), scope)
                    except TemplateError:
                        params, region = check.params, None
                    service, _, operation = check.call.partition(".")
                    yield Call(service, operation, params, region)


def typed_operations(type_name: str | None = None) -> set[str]:
    """The IAM actions of the check types (other than `aws`) that the
    runbooks use, as each type declares them (CheckType.aws_operations);
    one type's when `type_name` is given, else every other type's."""
    used = {
        check.type
        for binding in bindings()
        for step in binding.runbook.steps
        for check in step.checks
    }
    wanted = {type_name} if type_name else used - {"command"}
    return {
        iam_action(*operation.split("."))
        for name in used & wanted
        for operation in REGISTRY[name].aws_operations
    }


def action_calls() -> Iterator[tuple[Call | None, list[Call]]]:
    """(the state read before confirming, the changing calls), per action and target."""
    for binding in bindings():
        escalation = binding.runbook.escalation
        for action in escalation.actions if escalation else []:
            for target in action.targets or list(binding.targets):
                plan = plan_for(action, binding.scope(target))
                yield plan.read, plan.calls


def policy(name: str) -> list[dict[str, Any]]:
    document = json.loads((IAM / name).read_text())
    assert document["Version"] == "2012-10-17"
    statements: list[dict[str, Any]] = document["Statement"]
    assert all(s["Effect"] == "Allow" for s in statements), "deny statements hide a broad allow"
    return statements


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def allowed(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in listed(s["Action"])}


def resources_for(statements: list[dict[str, Any]], action: str) -> list[str]:
    return [r for s in statements if action in listed(s["Action"]) for r in listed(s["Resource"])]


@cache
def task_region() -> str:
    """Where a call without its own region goes: the task's AWS_REGION."""
    document = json.loads((ROOT / "deploy" / "ecs" / "task-definition.json").read_text())
    (spec,) = document["containerDefinitions"]
    return next(str(e["value"]) for e in spec["environment"] if e["name"] == "AWS_REGION")


def service_arn(call: Call) -> list[str]:
    names = call.params.get("services") or [call.params["service"]]
    region, cluster = call.region or task_region(), call.params["cluster"]
    return [f"arn:aws:ecs:{region}:{ACCOUNT}:service/{cluster}/{n}" for n in names]


def test_the_runbooks_call_aws_at_all() -> None:
    # Guards the tests below against passing on an empty runbook folder.
    assert {c.name for c in check_calls()} >= {"ecs.describe_services"}
    assert any(calls for _, calls in action_calls())


def test_the_checks_policy_allows_each_read_and_nothing_else() -> None:
    reads = {iam_action(c.service, c.operation) for c in check_calls()}
    reads |= {iam_action(r.service, r.operation) for r, _ in action_calls() if r}
    assert allowed(policy("task-checks.json")) == reads


def test_the_logs_and_metrics_policy_allows_what_those_check_types_call() -> None:
    assert typed_operations(), "no runbook reads logs or metrics: drop the policy"
    assert allowed(policy("task-logs-metrics.json")) == typed_operations()


def test_the_commands_policy_allows_what_command_checks_call_and_only_tagged_hosts() -> None:
    statements = policy("task-commands.json")
    assert allowed(statements) == typed_operations("command")
    (send,) = [s for s in statements if "ssm:SendCommand" in listed(s["Action"])]
    assert "Condition" in send, "SendCommand on every instance: scope it by tag"
    assert not [r for r in listed(send["Resource"]) if r.endswith("document/*")]


def test_the_escalation_policy_allows_each_change_and_nothing_else() -> None:
    changes = {iam_action(c.service, c.operation) for _, calls in action_calls() for c in calls}
    assert allowed(policy("task-escalation.json")) == changes


def test_no_action_is_a_wildcard() -> None:
    for name in (
        "task-checks.json",
        "task-logs-metrics.json",
        "task-commands.json",
        "task-escalation.json",
        "execution-secrets.json",
    ):
        assert not [a for a in allowed(policy(name)) if "*" in a], name


def test_actions_may_change_exactly_the_services_their_targets_name() -> None:
    statements = policy("task-escalation.json")
    arns = {arn for _, calls in action_calls() for c in calls for arn in service_arn(c)}
    assert set(resources_for(statements, "ecs:UpdateService")) == arns


def test_checks_read_services_only_in_the_runbooks_cluster() -> None:
    statements = policy("task-checks.json")
    patterns = resources_for(statements, "ecs:DescribeServices")
    assert "*" not in patterns
    reads = [c for c in check_calls() if c.name == "ecs.describe_services"]
    for arn in (arn for c in reads for arn in service_arn(c)):
        assert any(fnmatchcase(arn, p) for p in patterns), arn


def test_the_execution_role_reads_exactly_the_task_definitions_secrets() -> None:
    statements = policy("execution-secrets.json")
    assert allowed(statements) == {"ssm:GetParameters", "secretsmanager:GetSecretValue"}
    patterns = [r for s in statements for r in listed(s["Resource"])]
    for path in (ROOT / "deploy" / "ecs").glob("task-definition*.json"):
        (spec,) = json.loads(path.read_text())["containerDefinitions"]
        for secret in spec["secrets"]:
            assert any(fnmatchcase(secret["valueFrom"], p) for p in patterns), secret
