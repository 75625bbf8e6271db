"""A reader for the Prometheus text exposition format (what `/probe` answers).

Small on purpose: samples with their labels and values; comments, types and
timestamps are skipped. A line that is not a sample is an error, so that a
proxy's HTML page is not mistaken for an empty answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


class ExpositionError(ValueError):
    pass


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


def parse(text: str) -> list[Sample]:
    samples = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _SAMPLE.fullmatch(stripped)
        if match is None:
            raise ExpositionError(f"line {number} is not a metric sample: {stripped[:80]!r}")
        name, labels, value = match.groups()
        samples.append(Sample(name, _value(value, number), _labels(labels or "", number)))
    return samples


def first(samples: list[Sample], name: str) -> float | None:
    """The value of the first sample called `name`, if any."""
    return next((s.value for s in samples if s.name == name), None)


def _value(text: str, number: int) -> float:
    try:
        return float(text)  # also NaN, +Inf and -Inf, as the format spells them
    except ValueError as exc:
        raise ExpositionError(f"line {number}: {text!r} is not a number") from exc


def _labels(text: str, number: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _LABEL.match(text, position)
        if match is None or match.end() == position:
            raise ExpositionError(f"line {number}: bad labels {text[:80]!r}")
        labels[match[1]] = re.sub(r"\\[\\\"n]", lambda m: _UNESCAPE[m[0]], match[2])
        position = match.end()
    return labels
