"""Alertmanager's Slack notifier: the default message (empty `text`, one
legacy attachment titled `[FIRING:n] ...`) and custom templates that print
labels, annotations or a runbook link in `text`, `pretext` or `fields`.

Color is not read: Slack rewrites `danger`/`good` to hex, and custom
configs pick their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bot.alerts import amtext
from bot.alerts.amtext import Details, Subject
from bot.alerts.model import Alert, fingerprint_of
from bot.alerts.slacktext import attachments, links, plain, text


def parse(message: Mapping[str, Any]) -> list[Alert]:
    """The alerts a message carries, or [] if it is not Alertmanager's."""
    found = _subject(message)
    if found is None:
        return []
    common = Details(labels=amtext.inferred_labels(found.values))
    _merge(common, _field_details(message))
    each = amtext.details(_chunks(message))
    runbook = _runbook_link(message)
    if not each:
        return [_alert(found, common, runbook, extra=found.values)]
    return [_alert(found, _merged(common, d), runbook, extra=()) for d in each]


def subject_of(message: Mapping[str, Any]) -> Subject | None:
    """The `[FIRING:n] ...` subject of an Alertmanager message, if it has one."""
    return _subject(message)


def _subject(message: Mapping[str, Any]) -> Subject | None:
    for line in _subject_lines(message):
        if (found := amtext.subject(line)) is not None:
            return found
    return None


def _subject_lines(message: Mapping[str, Any]) -> Iterator[str]:
    for attachment in attachments(message):
        yield text(attachment.get("title"))
        yield from text(attachment.get("pretext")).splitlines()[:1]
    yield from text(message.get("text")).splitlines()[:2]
    for attachment in attachments(message):
        yield from text(attachment.get("text")).splitlines()[:1]


def _chunks(message: Mapping[str, Any]) -> list[str]:
    chunks = [text(message.get("text"))]
    for attachment in attachments(message):
        chunks += [text(attachment.get("pretext")), text(attachment.get("text"))]
    return [c for c in chunks if c]


def _fields(message: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for attachment in attachments(message):
        items = attachment.get("fields")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                yield text(item.get("title")), text(item.get("value"))


def _field_details(message: Mapping[str, Any]) -> Details:
    """Fields titled with a label or annotation name (`instance`, `Runbook`)."""
    found = Details()
    for title, raw in _fields(message):
        name = plain(title).strip().strip("*:").strip().lower().replace(" ", "_")
        name = "runbook_url" if name == "runbook" else name
        if not name.isidentifier() or not raw:
            continue
        kind = found.annotations if name in amtext.ANNOTATIONS else found.labels
        kind[name] = amtext.value(name, raw)
    return found


def _runbook_link(message: Mapping[str, Any]) -> str | None:
    """A link or button that says it is the runbook, anywhere in the message."""
    markup = [*_chunks(message), *(v for _, v in _fields(message))]
    for chunk in markup:
        for url, shown in links(chunk):
            if "runbook" in f"{url} {shown}".lower():
                return url
    for attachment in attachments(message):
        actions = attachment.get("actions")
        for action in actions if isinstance(actions, list) else []:
            if isinstance(action, Mapping) and "runbook" in text(action.get("text")).lower():
                return text(action.get("url")) or None
    return None


def _merge(into: Details, other: Details) -> None:
    into.labels.update(other.labels)
    into.annotations.update(other.annotations)


def _merged(base: Details, other: Details) -> Details:
    out = Details(dict(base.labels), dict(base.annotations))
    _merge(out, other)
    return out


def _alert(
    found: Subject, details: Details, runbook: str | None, *, extra: tuple[str, ...]
) -> Alert:
    labels = details.labels
    name = labels.get("alertname") or found.text or "alert"
    notes = details.annotations
    return Alert(
        source="alertmanager",
        status=found.status,
        name=name,
        labels=labels,
        # Title-only alerts carry values whose names are unknown (job, ...):
        # they still tell two alerts apart.
        fingerprint=fingerprint_of("alertmanager", name, labels, *extra),
        summary=notes.get("summary") or found.text,
        runbook_url=notes.get("runbook_url") or runbook,
    )
