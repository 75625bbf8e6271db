"""The rehearsal file, `runbooks/<id>.test.yaml`: scenarios of recorded check
results and the step statuses and conclusions a runbook must reach from them.

Structure and types are checked here while decoding; names that must exist in
the runbook (steps, checks, targets) are checked in `load.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from bot.checks.params import Regex
from bot.checks.result import CheckResult, CheckStatus, ErrorKind, one_line
from bot.runbooks.checkdefs import Outcome
from bot.runbooks.fields import Model, Slug

StepStatus = Literal["pass", "fail", "error", "skipped", "manual"]


class Recorded(Model):
    """What a check found, as its executor would have returned it."""

    status: Outcome
    summary: str
    error_kind: ErrorKind | None = None
    result: Any = Field(None, description="what `checks.<id>.result` reads")
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Recorded:
        if self.status == "pass" and self.error_kind is not None:
            raise ValueError("a passing check has no error_kind")
        return self

    def check_result(self) -> CheckResult:
        return CheckResult(
            status=CheckStatus(self.status),
            # Executors fold summaries to one line; a YAML block may not be.
            summary=one_line(self.summary),
            error_kind=self.error_kind,
            result=self.result,
            details=dict(self.details),
        )


def fold(text: str) -> str:
    """White space folded, so that YAML's line breaks never decide a match."""
    return " ".join(text.split())


class Contains(Model):
    contains: str

    def test(self, text: str) -> bool:
        return fold(self.contains) in fold(text)

    def __str__(self) -> str:
        return f"contains {self.contains!r}"


class Matches(Model):
    matches: Regex = Field(description="a regular expression searched in the conclusion")

    def test(self, text: str) -> bool:
        return re.search(self.matches, fold(text)) is not None

    def __str__(self) -> str:
        return f"matches /{self.matches.pattern}/"


TextExpectation = str | Contains | Matches


def _text_form(value: Any) -> str:
    # Pick the one form that was written, so a bad regex is reported as that
    # and not as "not a string, not {contains: ...}" besides.
    if isinstance(value, dict):
        return "matches" if "matches" in value else "contains"
    return "exact"


TextForm = Annotated[
    Annotated[str, Tag("exact")]
    | Annotated[Contains, Tag("contains")]
    | Annotated[Matches, Tag("matches")],
    Discriminator(_text_form),
]


def text_matches(expected: TextExpectation, got: str) -> bool:
    if isinstance(expected, str):
        return fold(expected) == fold(got)
    return expected.test(got)


def describe(expected: TextExpectation) -> str:
    return repr(fold(expected)) if isinstance(expected, str) else str(expected)


class StepExpectation(Model):
    """A key left out is not checked; `conclusion: null` or `next: null`
    expects none."""

    status: StepStatus | None = None
    conclusion: TextForm | None = None
    next: Slug | None = None

    def expects(self, key: str) -> bool:
        return key in self.model_fields_set


class Scenario(Model):
    name: str
    target: Slug
    alert: dict[str, Any] = Field(
        default_factory=dict, description="what `{{ alert.x }}` and `if:` read, e.g. labels"
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="site-config values by dotted key, as with --set"
    )
    results: dict[str, dict[str, Recorded]] = Field(
        default_factory=dict, description="step id -> check id -> recorded result"
    )
    expect: dict[str, StepExpectation] = Field(
        min_length=1, description="step id -> what the step must come to"
    )

    @property
    def steps(self) -> list[str]:
        """The steps this scenario runs: those it records or expects anything of."""
        return list(dict.fromkeys([*self.results, *self.expect]))


class RehearsalFile(Model):
    runbook: str | None = Field(
        None,
        description="path of the runbook, relative to this file (default: <id>.yaml beside it)",
    )
    scenarios: list[Scenario] = Field(min_length=1)
