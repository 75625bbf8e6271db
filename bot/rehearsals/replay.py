"""Replay a scenario through the real engine and compare with what it expects.

The engine runs as it does for a responder (order, `if:`, checks that read
other checks, conclusions, deadlines); only the executor call is replaced by
the scenario's recorded result, so nothing touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.result import CheckResult, ErrorKind
from bot.engine.results import StepResult
from bot.engine.runner import Engine
from bot.rehearsals.load import Prepared
from bot.rehearsals.schema import (
    Recorded,
    StepExpectation,
    TextExpectation,
    describe,
    fold,
    text_matches,
)
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.schema import Runbook, Step

CheckKey = tuple[str, str]  # (step id, check id)


@dataclass(frozen=True)
class Mismatch:
    step: str
    key: str  # status, conclusion or next
    expected: str
    got: str
    hint: str = ""  # where two long texts part, when that is not obvious


@dataclass
class Verdict:
    name: str
    line: int
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the scenario itself is wrong
    covered: set[tuple[str, int]] = field(default_factory=set)  # (step id, conclusion index)

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.problems


class Recorder:
    """The engine's execute seam for one scenario."""

    def __init__(self, runbook: Runbook, results: dict[str, dict[str, Recorded]]) -> None:
        # Check ids are unique per step only, and the seam is handed the
        # check's definition: find its step by identity.
        self._where = {id(c): (s.id, c.id) for s in runbook.steps for c in s.check_defs}
        self._results = {(s, c): r for s, checks in results.items() for c, r in checks.items()}
        self.used: set[CheckKey] = set()
        self.missing: list[CheckKey] = []

    async def __call__(self, check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
        step, base = self._where[id(check.origin)]
        key = (step, check.id)
        # A `for_each` run takes its own recorded result, or its check's.
        recorded = self._results.get(key) or self._results.get((step, base))
        key = key if key in self._results else (step, base)
        if recorded is None:
            self.missing.append(key)
            return CheckResult.errored(ErrorKind.INTERNAL, "no recorded result in this rehearsal")
        self.used.add(key)
        return recorded.check_result()

    @property
    def unused(self) -> list[CheckKey]:
        return [key for key in self._results if key not in self.used]


async def replay(prepared: Prepared) -> Verdict:
    scenario = prepared.scenario
    runbook = prepared.binding.runbook
    recorder = Recorder(runbook, scenario.results)
    engine = Engine(prepared.binding, execute=recorder)
    result = await engine.run_all(scenario.target, alert=scenario.alert, steps=scenario.steps)
    verdict = Verdict(scenario.name, prepared.line)
    verdict.problems += [
        f"no recorded result for {s}/{c}, which runs for target {scenario.target}: "
        f"add it under results.{s}.{c}"
        for s, c in recorder.missing
    ]
    verdict.problems += [
        f"recorded result for {s}/{c} was not used: the check does not run for target "
        f"{scenario.target} here (its `if:`, the step's targets, or a check it reads)"
        for s, c in recorder.unused
    ]
    for step in result.steps:
        expectation = scenario.expect.get(step.id)
        if expectation is not None:
            verdict.mismatches += compare(step, expectation)
        verdict.covered |= _covered(runbook.step(step.id), step)
    return verdict


def compare(step: StepResult, expected: StepExpectation) -> list[Mismatch]:
    found: list[Mismatch] = []
    if expected.expects("status") and expected.status != step.status:
        found.append(Mismatch(step.id, "status", str(expected.status), step.status))
    said = step.conclusion.say if step.conclusion else None
    if expected.expects("conclusion") and not _text_ok(expected, said):
        want = describe(expected.conclusion) if expected.conclusion is not None else "none"
        hint = _parting(expected.conclusion, said)
        found.append(Mismatch(step.id, "conclusion", want, _quoted(said), hint))
    went = step.conclusion.next if step.conclusion else None
    if expected.expects("next") and expected.next != went:
        found.append(Mismatch(step.id, "next", expected.next or "none", went or "none"))
    return found


def _text_ok(expected: StepExpectation, said: str | None) -> bool:
    if expected.conclusion is None or said is None:
        return expected.conclusion is None and said is None
    return text_matches(expected.conclusion, said)


def _parting(expected: TextExpectation | None, said: str | None) -> str:
    """For exact texts: the first few words where they differ."""
    if not isinstance(expected, str) or said is None:
        return ""
    want, got = fold(expected), fold(said)
    at = next((i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b), None)
    at = min(len(want), len(got)) if at is None else at
    return f"they part at character {at + 1}: {want[at : at + 30]!r} vs {got[at : at + 30]!r}"


def _quoted(text: str | None) -> str:
    return "none" if text is None else repr(" ".join(text.split()))


def _covered(step: Step, result: StepResult) -> set[tuple[str, int]]:
    """Which of the step's conclusions this run reached (for the coverage line)."""
    if not result.applies or result.conclusion is None or result.conclusion.rule is None:
        return set()
    return {(step.id, result.conclusion.rule)}


def uncovered(runbook: Runbook, covered: set[tuple[str, int]]) -> list[str]:
    """The conclusions no scenario reached, named for a person."""
    return [
        f"{step.id} #{index + 1} ({_when(step, index)})"
        for step in runbook.steps
        for index in range(len(step.conclusions))
        if (step.id, index) not in covered
    ]


def _when(step: Step, index: int) -> str:
    when = step.conclusions[index].when
    return (
        ", ".join(f"{k}: {' or '.join(v) if isinstance(v, list) else v}" for k, v in when.items())
        or "otherwise"
    )
