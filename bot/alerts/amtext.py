"""Reading Alertmanager's Slack text: the subject line of the default
notifier and the label lists that custom `text`/`fields` templates print.

The default subject is `[FIRING:n] <group label values> (<other common label
values>)`: values without their names (Alertmanager's `__subject` template).
The names are inferred from the values' shapes, which is as much as the
message says. Custom templates that print `name = value` pairs are read
exactly, one alert per repeated set of names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.alerts.model import Status
from bot.alerts.slacktext import links, plain

_SUBJECT = re.compile(r"\[(FIRING|RESOLVED)(?::\d+)?(?:,[^\]]*)?\]\s*(.*)")
_COMMON = re.compile(r"(.*?)\s*\(([^()]*)\)\s*")
_ENDPOINT = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):\d{1,5}")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+")
_ALERTNAME = re.compile(r"[A-Z][A-Za-z0-9_:]*")
SEVERITIES = frozenset({"critical", "warning", "info", "page", "error", "none"})

_HEADER = re.compile(r"\s*(Labels|Annotations|Details)\s*:?\s*", re.IGNORECASE)
_CAPTION = re.compile(r"\s*\*([A-Za-z][A-Za-z _]*?):?\*:?\s*(.*)")
_PAIR = re.compile(r"\s*(?:[-•◦▪]|\*(?=\s))\s*\*?([A-Za-z_][A-Za-z0-9_]*)\*?\s*[=:]\*?\s*(.+?)\s*")
_INLINE = re.compile(r"(?<![\w.\-/?&=])([A-Za-z_][A-Za-z0-9_]*)=(?:\"([^\"]*)\"|([^\s,;}\"]+))")
ANNOTATIONS = frozenset({"summary", "description", "runbook_url", "message"})
_CAPTIONS = {"alert": "summary", "summary": "summary", "description": "description"}
_CAPTIONS |= {"runbook": "runbook_url", "runbook url": "runbook_url"}


@dataclass(frozen=True)
class Subject:
    status: Status
    text: str
    values: tuple[str, ...]


def subject(line: str) -> Subject | None:
    """The `[FIRING:n] ...` / `[RESOLVED] ...` line, if this is one."""
    match = _SUBJECT.fullmatch(plain(line).strip().strip("*_ "))
    if match is None:
        return None
    rest = match.group(2).strip()
    common = _COMMON.fullmatch(rest)
    words = f"{common.group(1)} {common.group(2)}" if common else rest
    status: Status = "firing" if match.group(1) == "FIRING" else "resolved"
    return Subject(status, rest, tuple(words.split()))


def inferred_labels(values: tuple[str, ...]) -> dict[str, str]:
    """Names for the values whose shape gives them away. Label pairs sort by
    name, so `alertname` comes first among the CamelCase values."""
    labels: dict[str, str] = {}
    names = [v for v in values if _ALERTNAME.fullmatch(v)]
    endpoints = [v for v in values if _ENDPOINT.fullmatch(v) or _URL.fullmatch(v)]
    severities = [v for v in values if v in SEVERITIES]
    if names:
        labels["alertname"] = names[0]
    # Two endpoints could be instance and something else: say nothing then.
    if len(endpoints) == 1:
        labels["instance"] = endpoints[0]
    if len(severities) == 1:
        labels["severity"] = severities[0]
    return labels


@dataclass
class Details:
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    def empty(self) -> bool:
        return not self.labels and not self.annotations


class _Reader:
    """Label and annotation pairs, line by line; a name seen twice starts
    the next alert, since every alert of a group prints the same names."""

    def __init__(self) -> None:
        self.found = [Details()]
        self.mode: Literal["labels", "annotations"] = "labels"

    def start(self) -> None:
        if not self.found[-1].empty():
            self.found.append(Details())

    def put(self, name: str, raw: str) -> None:
        name = "runbook_url" if name.lower() == "runbook" else name
        is_note = self.mode == "annotations" or name in ANNOTATIONS
        kind = "annotations" if is_note else "labels"
        if name in getattr(self.found[-1], kind):
            self.start()
        getattr(self.found[-1], kind)[name] = value(name, raw)

    def line(self, line: str) -> None:
        if header := _HEADER.fullmatch(line):
            self.section(header.group(1).lower())
        elif caption := _CAPTION.fullmatch(line):
            self.caption(caption.group(1).strip().lower(), caption.group(2))
        elif pair := _PAIR.fullmatch(line):
            self.put(pair.group(1), pair.group(2))
        else:
            for match in _INLINE.finditer(line):
                self.put(match.group(1), match.group(2) or match.group(3))

    def section(self, word: str) -> None:
        if word == "labels":
            self.start()
        self.mode = "annotations" if word == "annotations" else "labels"

    def caption(self, word: str, rest: str) -> None:
        if word in ("labels", "details", "annotations"):
            self.section(word)
        elif word in _CAPTIONS and rest:
            if _CAPTIONS[word] == "summary":
                self.start()
            self.found[-1].annotations[_CAPTIONS[word]] = value(_CAPTIONS[word], rest)


def value(name: str, raw: str) -> str:
    """A pair's value as shown; for a runbook, the link's target."""
    if name == "runbook_url":
        for url, _ in links(raw):
            return url
    return plain(raw).strip().strip("`'\"").strip()


def details(chunks: list[str]) -> list[Details]:
    """The alerts a custom text template describes (none for the default)."""
    reader = _Reader()
    for chunk in chunks:
        reader.mode = "labels"
        for line in chunk.splitlines():
            if subject(line) is None:
                reader.line(line)
    return [d for d in reader.found if not d.empty()]
