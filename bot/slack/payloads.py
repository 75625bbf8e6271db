"""Button action ids and the small typed values buttons carry.

A value holds ids only (never a secret, never anything to run) and is
validated on the way back: a forged or stale value is refused, not guessed at.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Slack allows 2,000 characters; ours stay far below.
MAX_VALUE = 2000


class Act(StrEnum):
    RUN_STEP = "triage.run_step"
    RERUN = "triage.rerun"
    SKIP = "triage.skip"
    NEXT = "triage.next"
    RUN_ALL = "triage.run_all"
    WALK = "triage.walk"
    DETAILS = "triage.details"
    ANSWER = "triage.answer"
    ESCALATE = "triage.escalate"
    RESOLVE = "triage.resolve"
    DRY_RUN = "triage.dry_run"
    TIMELINE = "triage.timeline"
    ACTION = "triage.action"
    APPROVE = "triage.approve"
    REJECT = "triage.reject"


# The confirmation dialog of an escalation action.
CONFIRM_VIEW = "triage.confirm"


class ButtonValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    i: int = Field(ge=1, description="incident id")
    s: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="step id")
    q: int | None = Field(None, ge=0, le=19, description="question index within its message")
    a: int | None = Field(None, ge=0, le=4, description="answer index within its question")
    r: int | None = Field(None, ge=1, description="approval request id")

    def encode(self) -> str:
        return self.model_dump_json(exclude_none=True)


class BadValue(ValueError):
    pass


def decode(raw: str | None) -> ButtonValue:
    if not raw or len(raw) > MAX_VALUE:
        raise BadValue("missing or oversized button value")
    try:
        return ButtonValue.model_validate_json(raw)
    except ValidationError as exc:
        raise BadValue(f"malformed button value: {exc.error_count()} problem(s)") from exc
