"""Honest stand-ins for the AWS operations moto does not serve the way we need.

moto (5.2) serves Logs Insights `start_query`/`get_query_results` (a query
finishes at once) but not `stop_query`, so a query that is still running at
the deadline cannot be shown there; and it serves SSM `send_command` /
`get_command_invocation` (every invocation "Success" with empty output,
whatever the command) but not `cancel_command`, and it runs nothing. The
stand-ins below speak the same JSON 1.1 protocol as the real services and
refuse what they refuse, with the real error codes:

- Logs (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/):
  GetQueryResults and StopQuery of an unknown query id answer
  ResourceNotFoundException; StopQuery of a query that is not running
  answers `{"success": false}`. Queries here never finish: the deadline does.
- SSM Run Command (https://docs.aws.amazon.com/systems-manager/latest/APIReference/):
  SendCommand with a document other than AWS-RunShellScript answers
  InvalidDocument, an instance that is not a managed instance
  InvalidInstanceId; the first GetCommandInvocation right after it answers
  InvocationDoesNotExist, as the real API does until the agent picks the
  command up; an unknown command id is InvalidCommandId. The "instance" is
  this machine: the command runs under /bin/sh as the SSM agent would run
  the script, in a scratch directory, and CancelCommand kills it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

STDOUT_CAP = 24000  # StandardOutputContent holds the first 24,000 characters
STDERR_CAP = 8000


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Invocation:
    process: subprocess.Popen[str]
    status: str = "InProgress"
    seen: bool = False
    stdout: str = ""
    stderr: str = ""
    code: int = -1


@dataclass
class StandIn:
    url: str = ""
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    instances: set[str] = field(default_factory=set)
    workdir: Path = Path()
    queries: dict[str, str] = field(default_factory=dict)
    commands: dict[str, dict[str, Invocation]] = field(default_factory=dict)

    def targets(self) -> list[str]:
        return [target for target, _ in self.requests]

    # Logs -----------------------------------------------------------------
    def logs_start_query(self, body: dict[str, Any]) -> dict[str, Any]:
        query_id = str(uuid.uuid4())
        self.queries[query_id] = "Running"
        return {"queryId": query_id}

    def logs_get_query_results(self, body: dict[str, Any]) -> dict[str, Any]:
        status = self._query(body["queryId"])
        return {"status": status, "results": [], "statistics": {"recordsScanned": 0.0}}

    def logs_stop_query(self, body: dict[str, Any]) -> dict[str, Any]:
        status = self._query(body["queryId"])
        self.queries[body["queryId"]] = "Cancelled"
        return {"success": status == "Running"}

    def _query(self, query_id: str) -> str:
        if query_id not in self.queries:
            raise AwsError("ResourceNotFoundException", f"Query does not exist: {query_id}")
        return self.queries[query_id]

    # SSM ------------------------------------------------------------------
    def ssm_send_command(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("DocumentName") != "AWS-RunShellScript":
            raise AwsError("InvalidDocument", "Document not found or not accessible.")
        ids = body.get("InstanceIds") or []
        unknown = [i for i in ids if i not in self.instances]
        if unknown:
            raise AwsError("InvalidInstanceId", f"Instances {unknown} not in a valid state.")
        script = "\n".join(body["Parameters"]["commands"])
        command_id = str(uuid.uuid4())
        self.commands[command_id] = {
            i: Invocation(
                subprocess.Popen(
                    ["/bin/sh", "-c", script], cwd=self.workdir, text=True,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                )
            )
            for i in ids
        }  # fmt: skip
        return {"Command": {"CommandId": command_id, "Status": "Pending", "InstanceIds": ids}}

    def ssm_get_command_invocation(self, body: dict[str, Any]) -> dict[str, Any]:
        invocations = self._command(body["CommandId"])
        run = invocations.get(body["InstanceId"])
        if run is None or not run.seen:
            if run is not None:
                run.seen = True
            raise AwsError("InvocationDoesNotExist", "")
        self._settle(run)
        return {
            "CommandId": body["CommandId"],
            "InstanceId": body["InstanceId"],
            "DocumentName": "AWS-RunShellScript",
            "Status": run.status,
            "StatusDetails": run.status,
            "ResponseCode": run.code,
            "StandardOutputContent": run.stdout[:STDOUT_CAP],
            "StandardErrorContent": run.stderr[:STDERR_CAP],
        }

    def ssm_cancel_command(self, body: dict[str, Any]) -> dict[str, Any]:
        for run in self._command(body["CommandId"]).values():
            if run.process.poll() is None:
                _kill(run.process)
                run.status = "Cancelled"
        return {}

    def _command(self, command_id: str) -> dict[str, Invocation]:
        if command_id not in self.commands:
            raise AwsError("InvalidCommandId", "")
        return self.commands[command_id]

    @staticmethod
    def _settle(run: Invocation) -> None:
        if run.status != "InProgress" or run.process.poll() is None:
            return
        run.stdout, run.stderr = run.process.communicate()
        run.code = run.process.returncode
        run.status = "Success" if run.code == 0 else "Failed"

    def stop(self) -> None:
        for invocations in self.commands.values():
            for run in invocations.values():
                _kill(run.process)


def _kill(process: subprocess.Popen[str]) -> None:
    """The shell and whatever it started (its own session), then reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


_HANDLERS: dict[str, Callable[[StandIn, dict[str, Any]], dict[str, Any]]] = {
    "Logs_20140328.StartQuery": StandIn.logs_start_query,
    "Logs_20140328.GetQueryResults": StandIn.logs_get_query_results,
    "Logs_20140328.StopQuery": StandIn.logs_stop_query,
    "AmazonSSM.SendCommand": StandIn.ssm_send_command,
    "AmazonSSM.GetCommandInvocation": StandIn.ssm_get_command_invocation,
    "AmazonSSM.CancelCommand": StandIn.ssm_cancel_command,
}


_LOCK = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        peer: StandIn = self.server.peer  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        peer.requests.append((target, body))
        handler = _HANDLERS.get(target)
        try:
            if handler is None:
                raise AwsError("UnknownOperationException", f"{target} is not served here")
            with _LOCK:  # one request at a time: invocations are shared state
                status, answer = 200, handler(peer, body)
        except AwsError as exc:
            status, answer = exc.status, {"__type": exc.code, "message": exc.message}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "standin-0001")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def aws_standin(
    aws_fake_credentials: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[StandIn]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    peer = StandIn(url=f"http://127.0.0.1:{server.server_address[1]}", workdir=tmp_path)
    server.peer = peer  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", peer.url)
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        peer.stop()
