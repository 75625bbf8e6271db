"""Healthchecks.io's Slack notification (templates/integrations/slack_message.json
in healthchecks/healthchecks): one attachment whose title reads
`“<check>” is DOWN.` (or `UP.`), with the same words in `fallback` as
`The check "<check>" is DOWN.`, and fields Project and Tags. The check's name
(its UUID when it has none) is the alert's name; the project and the tags
become labels. Healthchecks colours a down message "danger", an up one "good".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Status, fingerprint_of
from bot.alerts.slacktext import attachments, plain, text

# Greedy name: a check's name may itself hold quotes.
_TITLE = re.compile(r"“(.+)” is (DOWN|UP)\.")
_FALLBACK = re.compile(r'The check "(.+)" is (DOWN|UP)\.')
_STATUS: dict[str, Status] = {"DOWN": "firing", "UP": "resolved"}


def same_check(name: str) -> str:
    """One check's alerts share a fingerprint whichever way they came (Slack
    or the webhook) and whatever tags it has now."""
    return fingerprint_of("healthchecks", name, {"check": name})


def parse(message: Mapping[str, Any]) -> list[Alert]:
    """The alert a Healthchecks message carries, or [] if it is not one."""
    for attachment in attachments(message):
        found = _said(attachment)
        if found is not None:
            name, status = found
            labels = {"check": name, **_fields(attachment)}
            return [
                Alert(
                    source="healthchecks",
                    status=_STATUS[status],
                    name=name,
                    labels=labels,
                    summary=f"{name} is {status}",
                    fingerprint=same_check(name),
                )
            ]
    return []


def _said(attachment: Mapping[str, Any]) -> tuple[str, str] | None:
    title = plain(text(attachment.get("title"))).strip()
    if match := _TITLE.fullmatch(title):
        return match[1], match[2]
    fallback = plain(text(attachment.get("fallback"))).strip()
    if match := _FALLBACK.fullmatch(fallback):
        return match[1], match[2]
    return None


def _fields(attachment: Mapping[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for field in attachment.get("fields") or []:
        if not isinstance(field, Mapping):
            continue
        title, value = text(field.get("title")), plain(text(field.get("value"))).strip()
        if title == "Project" and value:
            labels["project"] = value
        elif title == "Tags" and value:
            labels["tags"] = " ".join(value.replace("`", " ").split())
    return labels
