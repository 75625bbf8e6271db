"""An example third-party check type, installed as a plugin: `file`.

A file exists and was written recently (a backup's marker, a cron job's
stamp). Its package metadata (../triage_file_check-0.1.dist-info) declares

    [triage.checks]
    file = triage_file_check:CHECK

which is all a check type needs to join triage's registry.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from bot.checks.context import RunContext
from bot.checks.describing import Call, Words, code, plain
from bot.checks.params import Params as BaseParams
from bot.checks.result import CheckResult, ErrorKind
from bot.checks.spec import CheckType


class Params(BaseParams):
    path: str = Field(min_length=1)
    max_age: float = Field(86400, gt=0, description="seconds since it was last written")


async def run(params: Params, ctx: RunContext) -> CheckResult:
    try:
        async with asyncio.timeout(ctx.timeout):
            stat = await asyncio.to_thread(Path(params.path).stat)
    except TimeoutError:
        return CheckResult.errored(ErrorKind.TIMEOUT, f"{params.path}: no answer from the disk")
    except FileNotFoundError:
        return CheckResult.failed(f"{params.path}: no such file", kind=ErrorKind.NOT_FOUND)
    age = time.time() - stat.st_mtime
    facts = {"path": params.path, "age_s": round(age, 1), "bytes": stat.st_size}
    if age > params.max_age:
        summary = f"{params.path}: written {age:.0f} s ago, over the {params.max_age:g} s allowed"
        return CheckResult.failed(summary, details=facts, result=facts)
    return CheckResult.passed(f"{params.path}: written {age:.0f} s ago", result=facts)


def words(params: Words) -> str:
    age = plain(params.get("max_age", 86400))
    return f"file {code(plain(params.get('path')))} written in the last {age} s"


def dry_call(params: Any, ctx: RunContext) -> tuple[str, Call]:
    return f"stat {params.path}", {"type": "file", "stat": params.path}


CHECK = CheckType(
    name="file",
    params=Params,
    run=run,
    description="A file exists and was written within max_age seconds.",
    describe=words,
    dry_call=dry_call,
)
