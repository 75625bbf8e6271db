"""Which runbook and target an alert is about, from the runbooks' `triggers:`.

Words from an alert only ever select an entry the runbooks declare; they
never become a host or a URL themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from bot.alerts.model import Alert
from bot.runbooks.binding import Binding
from bot.runbooks.schema import AlertmanagerTrigger
from bot.runbooks.templates import TemplateError, compile_template

PATH_SEPARATOR = " / "


class Match(NamedTuple):
    runbook: str
    target: str


class Matched(NamedTuple):
    """A match and the trigger entry that made it: `label=value` for an
    Alertmanager trigger, the monitor or check name for Kuma/Healthchecks."""

    runbook: str
    target: str
    by: str


def match(alert: Alert, bindings: Mapping[str, Binding]) -> Match | None:
    """The first runbook (by id) whose triggers name this alert."""
    found = matched(alert, bindings)
    return None if found is None else Match(found.runbook, found.target)


def matched(alert: Alert, bindings: Mapping[str, Binding]) -> Matched | None:
    for runbook_id, binding in sorted(bindings.items()):
        hit = _target(alert, binding)
        if hit is not None:
            return Matched(runbook_id, hit[1], hit[0])
    return None


def missing_label(alert: Alert, bindings: Mapping[str, Binding]) -> str | None:
    """The label a trigger for this alertname needs and the alert lacks
    (a grouped `[FIRING:2] BlackboxProbeFailure critical` names no instance)."""
    if alert.source != "alertmanager":
        return None
    for _, binding in sorted(bindings.items()):
        for trigger in binding.runbook.triggers.alertmanager:
            if (
                trigger.alertname == alert.name
                and trigger.default is None  # a catch-all needs no label
                and trigger.label not in alert.labels
            ):
                return trigger.label
    return None


def _target(alert: Alert, binding: Binding) -> tuple[str, str] | None:
    """(the trigger entry, the target) of the first entry naming the alert."""
    triggers = binding.runbook.triggers
    if alert.source == "kuma":
        return _kuma_target(alert.name, triggers.kuma)
    if alert.source == "healthchecks":
        target = triggers.healthchecks.get(alert.name)
        return None if target is None else (alert.name, target)
    for trigger in triggers.alertmanager:
        if trigger.alertname != alert.name or not trigger.selects(alert.labels):
            continue
        hit = _by_label(trigger, alert.labels.get(trigger.label), binding)
        if hit is not None:
            return hit
        if trigger.default is not None:
            # The catch-all for this name: identified by the name alone.
            return f"alertname={alert.name}", trigger.default
    return None


def _by_label(
    trigger: AlertmanagerTrigger, value: str | None, binding: Binding
) -> tuple[str, str] | None:
    """The label's value selects a target: a `targets` entry, or (with
    `label_names_target`) a catalogue name. It only ever selects one."""
    if value is None:
        return None
    for key, target in _rendered(trigger, binding):
        if key == value:
            return f"{trigger.label}={key}", target
    if trigger.label_names_target and value in binding.targets:
        return f"{trigger.label}={value}", value
    return None


def _kuma_target(name: str, monitors: Mapping[str, str]) -> tuple[str, str] | None:
    """By the full `Group / Monitor` path first, then by the monitor's own name."""
    leaf = name.rsplit(PATH_SEPARATOR, 1)[-1]
    for key in (name, leaf):
        if key in monitors:
            return key, monitors[key]
    return None


def _rendered(trigger: AlertmanagerTrigger, binding: Binding) -> Iterator[tuple[str, str]]:
    scope = {"vars": binding.vars}
    for key, target in trigger.targets.items():
        try:
            value = compile_template(key).render(scope)
        except TemplateError:
            continue
        # A key naming an unset variable cannot match anything.
        if value is not None:
            yield str(value), target
