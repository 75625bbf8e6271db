"""Button action ids and the small typed values buttons carry.

A value holds ids only (never a secret, never anything to run) and is
validated on the way back: a forged or stale value is refused, not guessed at.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Literal

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


# The version a button's value is written in. Buttons on messages posted
# before an upgrade still carry an older one, so those are read (and only
# read) as well: version 1 had one-letter keys and no `v`; in versions 1
# and 2 an answer's `question` counted the questions its message showed,
# which a later run's `if:` could change under it (read as `shown`).
VERSION = 3
_STEP = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_CHECK = r"^[0-9a-f]{6}$"


class ButtonValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[3] = 3  # VERSION
    incident: int = Field(ge=1)
    step: str | None = Field(None, pattern=_STEP, description="step (or action) id")
    question: int | None = Field(
        None, ge=0, le=19, description="position among its step's questions as written"
    )
    answer: int | None = Field(None, ge=0, le=4, description="index within its question")
    check: str | None = Field(
        None, pattern=_CHECK, description="the question and answer as written (answer_check)"
    )
    request: int | None = Field(None, ge=1, description="approval request id")
    # Only ever read from an older value, never written: the index among the
    # questions its message showed.
    shown: int | None = Field(None, ge=0, le=19)

    def encode(self) -> str:
        return self.model_dump_json(exclude_none=True)

    def audited(self) -> dict[str, object]:
        """What an audit record keeps of it."""
        return self.model_dump(exclude_none=True, exclude={"v"})


class _Version2(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[2]
    incident: int = Field(ge=1)
    step: str | None = Field(None, pattern=_STEP)
    question: int | None = Field(None, ge=0, le=19)
    answer: int | None = Field(None, ge=0, le=4)
    request: int | None = Field(None, ge=1)

    def upgraded(self) -> ButtonValue:
        return ButtonValue(
            incident=self.incident, step=self.step, shown=self.question, answer=self.answer,
            request=self.request,
        )  # fmt: skip


class _Version1(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    i: int = Field(ge=1)
    s: str | None = Field(None, pattern=_STEP)
    q: int | None = Field(None, ge=0, le=19)
    a: int | None = Field(None, ge=0, le=4)
    r: int | None = Field(None, ge=1)

    def upgraded(self) -> ButtonValue:
        return ButtonValue(
            incident=self.i, step=self.s, shown=self.q, answer=self.a, request=self.r
        )


class BadValue(ValueError):
    pass


def decode(raw: str | None) -> ButtonValue:
    """A button's value, of either version, validated: anything else (forged,
    garbled, oversized, a field too many) is BadValue."""
    if not raw or len(raw) > MAX_VALUE:
        raise BadValue("missing or oversized button value")
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise BadValue("malformed button value: not JSON") from exc
    if isinstance(parsed, dict) and "shown" in parsed:
        raise BadValue("malformed button value: `shown` is never written")
    try:
        if isinstance(parsed, dict) and parsed.get("v") == 2:
            return _Version2.model_validate(parsed).upgraded()
        if isinstance(parsed, dict) and "v" in parsed:
            return ButtonValue.model_validate(parsed)
        return _Version1.model_validate(parsed).upgraded()
    except ValidationError as exc:
        raise BadValue(f"malformed button value: {exc.error_count()} problem(s)") from exc
