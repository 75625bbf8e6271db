"""`command`: run a command on EC2 hosts through SSM Run Command, judge its output.

The one check that runs something on a host, so it is opt-in twice over: the
check must say `runs_command: true`, and auto-triage runs it only when the
runbook also says `unattended: true`; otherwise it waits for a person's
click. The command text comes only from the runbook: values filled into it
are shell-quoted (`CheckType.shell_quoted`) and alert labels may not fill it
(`from_runbook_only`). `container:` runs it inside a container on the host
through `docker exec`.

`send_command` with the AWS-RunShellScript document and an execution
timeout of the check's own, then `get_command_invocation` per instance until
each is done, within the deadline; a command still running at the deadline
is cancelled (`cancel_command`). Each invocation's status, exit code and
output are the result; `output` (a regex every instance's output must match)
and `expect` (JMESPath over the invocations) judge it.
"""

from __future__ import annotations

import math
import shlex
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from bot.checks import params as base
from bot.checks.aws_described import endpoint_of, region_of
from bot.checks.awsapi import Budget, Failed
from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain
from bot.checks.params import JMESPath, Regex, truthy
from bot.checks.result import CheckResult, CheckStatus, ErrorKind, one_line
from bot.checks.spec import CheckType

DOCUMENT = "AWS-RunShellScript"
_RUNNING = {"Pending", "InProgress", "Delayed"}
_SHOWN = 200

InstanceId = Annotated[str, StringConstraints(pattern=r"^(i|mi)-[0-9a-f]{8,17}$")]


class Params(base.Params):
    runs_command: Literal[True]
    """Must be written out: this check runs a command on a host."""
    instance_ids: list[InstanceId] = Field(min_length=1, max_length=10)
    """EC2 (or hybrid mi-) instance ids managed by SSM."""
    command: str = Field(min_length=1, max_length=4000)
    """Shell text run by /bin/sh on the host; filled-in values are shell-quoted."""
    container: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
    """Run it inside this container on the host (`docker exec`)."""
    output: Regex | None = None
    """Every instance's standard output must match (searched)."""
    expect: JMESPath | None = None
    """Must be true of [{instance, status, exit_code, stdout, stderr}]; unset: exit 0 everywhere."""
    unattended: bool = False
    """Auto-triage may run it with nobody asking; otherwise only a person's click runs it."""
    region: str | None = None

    def needs_a_person(self) -> str | None:
        if self.unattended:
            return None
        return "runs a command on a host and the runbook does not mark it `unattended: true`"

    @property
    def script(self) -> str:
        if self.container is None:
            return self.command
        return f"docker exec {shlex.quote(self.container)} sh -c {shlex.quote(self.command)}"


# Every AWS call this type makes (CheckType.aws_operations).
OPERATIONS = frozenset({"ssm.send_command", "ssm.get_command_invocation", "ssm.cancel_command"})


async def run(params: Params, ctx: RunContext) -> CheckResult:
    budget = Budget(ctx, params.region or ctx.aws.region, OPERATIONS)
    try:
        sent = await budget.call(
            "ssm", "send_command",
            InstanceIds=params.instance_ids, DocumentName=DOCUMENT,
            Parameters={
                "commands": [params.script],
                "executionTimeout": [str(max(1, math.ceil(ctx.timeout)))],
            },
            TimeoutSeconds=30,  # SendCommand's minimum: how long to wait for delivery
            Comment="triage check: read-only diagnostics",
        )  # fmt: skip
        command_id = str(sent["Command"]["CommandId"])
        runs = await _wait(budget, command_id, params.instance_ids)
    except Failed as exc:
        return _failed(params, exc)
    return _judge(params, runs)


async def _wait(budget: Budget, command_id: str, instances: list[str]) -> list[dict[str, Any]]:
    done: dict[str, dict[str, Any]] = {}
    while True:
        for instance in (i for i in instances if i not in done):
            found = await _invocation(budget, command_id, instance)
            if found is not None and found["status"] not in _RUNNING:
                done[instance] = found
        if len(done) == len(instances):
            return [done[i] for i in instances]
        if not await budget.pause():
            waiting = ", ".join(i for i in instances if i not in done)
            cancelled = await budget.cleanup("ssm", "cancel_command", CommandId=command_id)
            note = "cancelled it" if cancelled is None else f"could not cancel it: {cancelled}"
            message = (
                f"still running on {waiting} at the {budget.timeout:g} s deadline ({note});"
                " raise the check's timeout or make the command quicker"
            )
            raise Failed(ErrorKind.TIMEOUT, message)


async def _invocation(budget: Budget, command_id: str, instance: str) -> dict[str, Any] | None:
    try:
        answer = await budget.call(
            "ssm", "get_command_invocation", CommandId=command_id, InstanceId=instance
        )
    except Failed as exc:
        # Right after SendCommand the invocation may not exist yet: the agent
        # has not picked the command up. That is waiting, not failing.
        if exc.code == "InvocationDoesNotExist":
            return None
        raise
    return {
        "instance": instance,
        "status": str(answer.get("Status")),
        "exit_code": answer.get("ResponseCode"),
        "stdout": str(answer.get("StandardOutputContent") or ""),
        "stderr": str(answer.get("StandardErrorContent") or ""),
    }


_HINTS = {
    "InvalidInstanceId": " (not a managed instance SSM can reach: is the SSM agent running and"
    " does its instance profile allow SSM?)",
    "AccessDeniedException": " (the bot's role needs ssm:SendCommand, ssm:GetCommandInvocation"
    " and ssm:CancelCommand: see docs/deploy-ecs.md)",
    "InvalidDocument": f" (the {DOCUMENT} document is not available in this region)",
}


def _failed(params: Params, exc: Failed) -> CheckResult:
    where = ", ".join(params.instance_ids)
    hint = _HINTS.get(exc.code or "", "")
    if exc.kind is ErrorKind.TIMEOUT and exc.message.startswith("ssm.send_command"):
        # No command id came back, so nothing to cancel: the execution
        # timeout sent with it ends it on the host.
        hint = " (if it reached the host, SSM stops it after the check's timeout)"
    return Failed(exc.kind, f"{where}: {exc.message}{hint}").result()


def _judge(params: Params, runs: list[dict[str, Any]]) -> CheckResult:
    details = {"command": params.script, "invocations": runs}
    broken = [r for r in runs if r["status"] != "Success"]
    if params.expect is None and broken:
        summary = "; ".join(_said(r) for r in broken)
        return CheckResult.failed(one_line(summary), details=details, result=runs)
    unmatched = [r for r in runs if params.output and not params.output.search(r["stdout"])]
    if unmatched:
        pattern = params.output.pattern if params.output else ""
        shown = "; ".join(f"{r['instance']}: {_first(r['stdout'])!r}" for r in unmatched)
        summary = f"output does not match /{pattern}/: {shown}"
        return CheckResult.failed(one_line(summary), details=details, result=runs)
    said = "; ".join(f"{r['instance']}: {_first(r['stdout']) or '(no output)'}" for r in runs)
    if params.expect is not None and not truthy(params.expect.search(runs)):
        summary = f"{said}; expected {params.expect.expression}"
        return CheckResult.failed(one_line(summary), details=details, result=runs)
    return CheckResult.passed(one_line(said), details=details, result=runs)


def _said(run: dict[str, Any]) -> str:
    why = _first(run["stderr"]) or _first(run["stdout"])
    text = f"{run['instance']}: {run['status']} (exit {run['exit_code']})"
    return text + (f": {why}" if why else "")


def _first(text: str) -> str:
    line = next((s for s in text.splitlines() if s.strip()), "")
    return line[:_SHOWN]


def _words(params: Words) -> str:
    where = code(plain(params.get("instance_ids")))
    if params.get("container"):
        where = f"container {code(plain(params['container']))} on {where}"
    text = f"runs {code(plain(params.get('command')))} on {where} (SSM Run Command)"
    when = "also unattended" if params.get("unattended") is True else "only when a person asks"
    return f"{text}, {when}"


def _dry_call(p: Params, ctx: RunContext) -> tuple[str, Call]:
    region = region_of(p.region, ctx)
    endpoint = endpoint_of("ssm", "ssm", region, ctx)
    call = {
        "type": "command",
        "runs_command": True,
        "unattended": p.unattended,
        "call": "ssm.send_command",
        "document": DOCUMENT,
        "instance_ids": p.instance_ids,
        "commands": [p.script],
        "then": "ssm.get_command_invocation until done; ssm.cancel_command on timeout",
        "region": region or "boto3 default",
        "endpoint": endpoint,
    }
    where = ", ".join(p.instance_ids)
    return f"RUNS A COMMAND on {where} via SSM {DOCUMENT}: {p.script} at {endpoint}", call


CHECK = CheckType(
    name="command",
    params=Params,
    run=run,
    description="Run a command on EC2 hosts (or in a container on them) through SSM Run "
    "Command and judge its output; opt-in (runs_command: true), unattended only if marked.",
    on_deadline=CheckStatus.ERROR,
    describe=_words,
    dry_call=_dry_call,
    aws_operations=OPERATIONS,
    shell_quoted=frozenset({"command"}),
    from_runbook_only=frozenset({"command", "instance_ids", "container"}),
)
