"""Time functions in every JMESPath expression (#15.3): `now()`,
`to_epoch(x)`, `age(x)`, `duration('15m')`; windows and `duration()` share
their units."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from bot.checks.params import Duration, JMESPath, compile_jmespath


def test_expect_can_say_older_than_26_hours() -> None:
    expect = TypeAdapter(JMESPath).validate_python("age(LastModified) > duration('26h')")
    old = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    fresh = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    assert expect.search({"LastModified": old}) is True
    assert expect.search({"LastModified": fresh}) is False


@pytest.mark.parametrize(
    "stamp",
    ["2026-11-30T06:00:00Z", "2026-11-30T06:00:00+00:00", "Mon, 30 Nov 2026 06:00:00 GMT",
     "Nov 30 06:00:00 2026 GMT", 1796018400],
)  # fmt: skip
def test_to_epoch_reads_iso_http_and_certificate_dates(stamp: object) -> None:
    assert compile_jmespath("to_epoch(@)").search(stamp) == 1796018400.0


def test_a_value_that_is_no_time_is_null_not_a_crash() -> None:
    assert compile_jmespath("age(@)").search("yesterday-ish") is None


def test_now_is_now_and_durations_share_the_window_units() -> None:
    before = time.time()
    assert before <= compile_jmespath("now()").search({}) <= time.time()
    for text in ("90s", "15m", "2h", "1d"):
        seconds = compile_jmespath(f"duration('{text}')").search({})
        assert seconds == TypeAdapter(Duration).validate_python(text)


@pytest.mark.parametrize(
    ("expression", "message"),
    [("agee(x)", "unknown function agee(); did you mean age?"),
     ("now(x)", "now() takes 0 argument(s), got 1"),
     ("lenght(x)", "did you mean length?")],
)  # fmt: skip
def test_an_unknown_function_or_wrong_arity_fails_at_compile(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_jmespath(expression)
