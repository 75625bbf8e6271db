"""A step's findings as stored: typed, versioned, read back in one place.

The engine's StepResult holds live objects (check results, conclusions);
what the store keeps is this record's JSON, with a schema version `v`. Every
reader (the header, the step message, Details) gets a StepRecord from
`from_json`, never the raw dict: a field renamed on one side fails loudly
here instead of silently emptying whatever read it by its old name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.checks.result import CheckResult, CheckStatus, ErrorKind
from bot.engine.conclude import views
from bot.engine.results import CheckRun, ManualView, StepResult

# Rows written before versioning carry no `v`: they read as version 0, whose
# fields are today's minus `applicable` (shown, as it was then). Version 2
# adds what later readers of `checks.<name>` need (the escalation's manual
# items and actions, after the run): the check's `result`, the name it is
# read by (`as`) and its `for_each` item; older rows read with none.
SCHEMA = 2
FAILING = ("fail", "error")


class RecordError(ValueError):
    """A stored row this code cannot read (garbled, or from a newer bot)."""


@dataclass(frozen=True, kw_only=True)
class CheckRecord:
    id: str
    type: str
    title: str
    status: str  # bot.checks.result.CheckStatus's value
    summary: str
    error_kind: str | None = None
    duration_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    applicable: bool = True
    result: Any = None  # what `checks.<name>.result` reads (plain JSON)
    read_as: str = ""  # the name it is read by, when not its id (`as`)
    each: Any = None  # the item of its `for_each` (None: no for_each)

    @property
    def failing(self) -> bool:
        return self.status in FAILING

    @property
    def name(self) -> str:
        return self.title or self.id

    @classmethod
    def of(cls, run: CheckRun) -> CheckRecord:
        r = run.result
        return cls(
            id=run.id, type=run.type, title=run.title, status=r.status.value, summary=r.summary,
            error_kind=r.error_kind.value if r.error_kind else None, duration_ms=r.duration_ms,
            details=dict(r.details), applicable=run.applicable, result=r.result,
            read_as="" if run.outcome_name == run.id else run.outcome_name, each=run.each,
        )  # fmt: skip

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> CheckRecord:
        return cls(
            id=str(row["id"]), type=str(row["type"]), title=str(row.get("title") or ""),
            status=str(row["status"]), summary=str(row["summary"]),
            error_kind=row.get("error_kind"), duration_ms=float(row.get("duration_ms") or 0.0),
            details=dict(row.get("details") or {}), applicable=bool(row.get("applicable", True)),
            result=row.get("result"), read_as=str(row.get("read_as") or ""), each=row.get("each"),
        )  # fmt: skip

    def run(self) -> CheckRun:
        """As the engine had it, for what reads `checks.<name>` after the run."""
        kind = ErrorKind(self.error_kind) if self.error_kind else None
        result = CheckResult(
            status=CheckStatus(self.status), summary=self.summary, details=dict(self.details),
            error_kind=kind, duration_ms=self.duration_ms, result=self.result,
        )  # fmt: skip
        return CheckRun(
            id=self.id, type=self.type, title=self.title, outcome_name=self.read_as or self.id,
            result=result, applicable=self.applicable, each=self.each,
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class StepRecord:
    id: str
    title: str
    status: str  # pass, fail, error, skipped or manual (StepResult.status)
    checks: list[CheckRecord] = field(default_factory=list)
    conclusion: str | None = None
    next: str | None = None  # the step the conclusion sends the responder to
    manual: list[ManualView] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def failing(self) -> list[CheckRecord]:
        return [c for c in self.checks if c.failing]

    @classmethod
    def of(cls, result: StepResult) -> StepRecord:
        said = result.conclusion
        return cls(
            id=result.id, title=result.title, status=result.status,
            checks=[CheckRecord.of(c) for c in result.checks],
            conclusion=said.say if said else None, next=said.next if said else None,
            manual=list(result.manual), duration_ms=result.duration_ms,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"v": SCHEMA, **asdict(self)}

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> StepRecord:
        """Any stored version up to SCHEMA (a row without `v` is version 0)."""
        version = row.get("v", 0)
        if not isinstance(version, int) or not 0 <= version <= SCHEMA:
            raise RecordError(f"step record version {version!r}: this bot reads up to {SCHEMA}")
        try:
            return cls(
                id=str(row["id"]), title=str(row.get("title") or ""), status=str(row["status"]),
                checks=[CheckRecord.from_json(c) for c in row["checks"]],
                conclusion=row.get("conclusion"), next=row.get("next"),
                manual=[_manual(m) for m in row.get("manual") or []],
                duration_ms=float(row.get("duration_ms") or 0.0),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"step record {row.get('id')!r} is not readable: {exc!r}") from exc


def _manual(row: dict[str, Any]) -> ManualView:
    # A question's `position` and `digest` came later, within version 2: a
    # row without them reads with none (and a bot before them ignores them,
    # so replicas of either can read what the other wrote).
    answers = [(str(label), str(say)) for label, say in row.get("answers") or []]
    position, digest = row.get("position"), row.get("digest")
    return ManualView(
        say=str(row["say"]), command=row.get("command"), ask=row.get("ask"), answers=answers,
        position=None if position is None else int(position),
        digest=None if digest is None else str(digest),
    )  # fmt: skip


def read_across(records: Iterable[StepRecord]) -> dict[str, Any]:
    """`checks.<name>` from stored runs, as bot.engine.conclude.read_across
    gives it from live ones: what the escalation's manual items and actions
    read, whenever they are shown (they come after every step)."""
    found: dict[str, Any] = {}
    for record in records:
        found |= views([c.run() for c in record.checks])
    return found
