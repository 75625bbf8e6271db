"""What an executor module declares about itself: `CHECK = CheckType(...)`.

A check type owns everything that is said about it: its parameters, its
executor, its words in the generated docs (`describe`) and the exact call a
dry run shows (`dry_call`). Adding a type is its own module and one line in
the registry (or an entry point, `bot.checks.plugins`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.checks.context import RunContext
from bot.checks.describing import Call, Describe, DryCall, Words, by_parameters
from bot.checks.params import Params
from bot.checks.result import CheckResult, CheckStatus

Runner = Callable[[Any, RunContext], Awaitable[CheckResult]]
# Problems in parameters as written (placeholders not yet filled in), by key.
Vetter = Callable[[Mapping[str, Any]], dict[str, str]]


def _no_problems(params: Mapping[str, Any]) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class CheckType:
    name: str
    params: type[Params]
    run: Runner
    description: str
    # A probe that misses its deadline has found the target silent (fail);
    # an API call that does has found nothing out (error).
    on_deadline: CheckStatus = CheckStatus.FAIL
    describe: Describe = by_parameters
    """Words for the generated docs, from parameters as filled in for a page."""
    dry_call: DryCall | None = None
    """(what would happen, the call as data); None: the parameters themselves."""
    shell_quoted: frozenset[str] = frozenset()
    """Parameters that are shell text: each value filled into them is quoted."""
    from_runbook_only: frozenset[str] = frozenset()
    """Parameters an alert's labels may never fill (where to connect, what to
    run, whom to ask); `host`, `url`, `target` and `server_name` always are."""
    aws_operations: frozenset[str] = frozenset()
    """Every AWS operation (`service.operation`, boto3's names) a check of this
    type may call, whatever its parameters: what least-privilege IAM must
    allow. The `aws` type's one call is its own parameter instead."""
    # Parameters that must be written out, because a rule judges them when
    # the runbook loads (e.g. the `aws` check's call).
    literal: frozenset[str] = frozenset()
    # Safety rules over the parameters as written, placeholders included.
    vet: Vetter = field(default=_no_problems)
    # Safety rules this check opts out of, with the reason it gives, by key:
    # what `triage lint` lists for a reviewer.
    reviews: Vetter = field(default=_no_problems)
    # The parameter naming a module of the site's blackbox.yml, checked
    # against that file before anything runs (bot/runbooks/modules.py).
    names_module: str | None = None
    # Its runs can be charted over time: their details name the Prometheus
    # `vantage` and the `query` to draw (bot/charts/spec.py).
    charted: bool = False

    def dry(self, params: Params, ctx: RunContext) -> tuple[str, Call]:
        if self.dry_call is None:
            data = params.model_dump(mode="json")
            return f"{self.name} with {data}", {"type": self.name, "params": data}
        return self.dry_call(params, ctx)

    def words(self, params: Words) -> str:
        return self.describe(params)
