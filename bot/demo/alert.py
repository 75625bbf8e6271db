"""The alert that starts the demo's incident, as the monitoring posts it:
Alertmanager's Slack notifier for targets a blackbox probe watches, Uptime
Kuma's for the rest. Built from the runbook's own triggers, so the demo
exercises the same recognition and matching a real alert goes through."""

from __future__ import annotations

from bot.runbooks.binding import Binding
from bot.runbooks.templates import TemplateError, compile_template


def alert_text(binding: Binding, target: str) -> str:
    """The message text a firing alert for `target` arrives with."""
    for trigger in binding.runbook.triggers.alertmanager:
        for key, name in trigger.targets.items():
            if name == target:
                value = _filled(key, binding)
                if value is not None:
                    return f"[FIRING:1] {trigger.alertname} blackbox ({value} critical)"
    for monitor, name in binding.runbook.triggers.kuma.items():
        if name == target:
            return f"[{monitor}] [🔴 Down] probe failed"
    raise LookupError(f"no trigger in {binding.runbook.id} names {target}")


def _filled(key: str, binding: Binding) -> str | None:
    try:
        value = compile_template(key).render({"vars": binding.vars})
    except TemplateError:
        return None
    return str(value)
