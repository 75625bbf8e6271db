"""Which question and answer an answer button names, stably.

A message's questions are those whose `if:` held when it was drawn; a later
run (of its step, or of any step for the escalation) may show others. So a
button names its question by its position among the questions as the
runbook writes them, before any `if:`, which a loaded runbook keeps, and
carries a check of the question's text and the answer's label: a button
drawn from another version of the runbook is refused, never misapplied.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.conclude import answer_check, question_digest
from bot.engine.results import ManualView
from bot.incidents.views import ESCALATION_ID
from bot.runbooks.binding import Binding
from bot.runbooks.schema import Question

CHANGED = (
    "This question has changed since this message was posted (the runbook was updated),"
    " so your answer was not recorded. Answer it again on a message posted since."
)
UNCLEAR = (
    "This button was posted before an upgrade and its message may no longer show"
    " the questions it did then, so your answer was not recorded. Answer it again"
    " on a message posted since."
)


class StaleAnswer(LookupError):
    """A button whose question cannot be told for sure: refused, with what to
    tell the person who clicked."""

    def __init__(self, why: str, tell: str) -> None:
        super().__init__(why)
        self.tell = tell


def written(binding: Binding, step_id: str) -> list[Question]:
    """The questions of a step (or of the escalation) as the runbook writes
    them, every one whatever its `if:`: what a button's position counts."""
    if step_id == ESCALATION_ID:
        escalation = binding.runbook.escalation
        items = escalation.manual if escalation is not None else []
    else:
        items = binding.runbook.step(step_id).manual
    return [item for item in items if isinstance(item, Question)]


def chosen(questions: Sequence[Question], position: int, index: int, check: str | None) -> Question:
    """The question at `position`, once `index` and `check` fit it."""
    if position >= len(questions) or index >= len(questions[position].answers):
        raise LookupError(f"no answer {index} to question {position}")
    question = questions[position]
    if check is not None and check != answer_check(
        question_digest(question), question.answers[index].label
    ):
        raise StaleAnswer(f"question {position} changed since its button was drawn", CHANGED)
    return question


def position_of_shown(questions: Sequence[Question], shown: int) -> int:
    """A button posted before the upgrade counts the questions its message
    showed. That is the position as written only if no question up to it
    has an `if:` (then none could have been left out); else it is refused."""
    if shown >= len(questions):
        raise LookupError(f"no question {shown}")
    if any(q.if_ is not None for q in questions[: shown + 1]):
        raise StaleAnswer(f"shown question {shown} is ambiguous: an `if:` may hide one", UNCLEAR)
    return shown


def said(items: Sequence[ManualView], question: Question, position: int, index: int) -> str | None:
    """What the answer says as the message shows it now (filled from the
    findings), if it shows this very question; else None."""
    digest, label = question_digest(question), question.answers[index].label
    for item in items:
        if item.ask and item.position == position and item.digest == digest:
            shown = item.answers[index] if index < len(item.answers) else None
            if shown is not None and shown[0] == label:
                return shown[1]
    return None
