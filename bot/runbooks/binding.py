"""A runbook bound to a site: the values its templates fill in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.runbooks.issues import Problem
from bot.runbooks.schema import Runbook, Scalar, Step, Target
from bot.runbooks.site import SiteConfig, TargetOverride
from bot.runbooks.templates import Template, TemplateError

_OVERRIDABLE = tuple(TargetOverride.model_fields)
_TEMPLATED = ("host", "url", "server_name", "service", "target_group")


class BindError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.message for p in problems))


@dataclass(frozen=True)
class Binding:
    runbook: Runbook
    vars: dict[str, Scalar | None]
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Facts about the site that `if:` may test: {"vantage_points": [names]}.
    site: dict[str, Any] = field(default_factory=dict)

    def scope(
        self,
        target: str,
        *,
        alert: Mapping[str, Any] | None = None,
        checks: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """What `{{ ... }}` and `if:` expressions see."""
        return {
            "vars": self.vars,
            "target": self.targets[target],
            "alert": dict(alert or {}),
            "checks": dict(checks or {}),
            "site": self.site,
        }


def bind(runbook: Runbook, site: SiteConfig, *, strict: bool = True) -> Binding:
    """Fill the runbook's variables and targets in from the site. `strict`
    refuses site names the runbook does not have (one runbook, `triage run`);
    a catalogue of several checks them against all its runbooks instead."""
    problems = [
        Problem(
            ("vars", name),
            f"unknown variable {name!r} (this runbook declares: {_names(runbook.vars)})",
        )
        for name in site.vars
        if name not in runbook.vars
    ] + [
        Problem(
            ("targets", name), f"unknown target {name!r} (catalogue: {_names(runbook.targets)})"
        )
        for name in site.targets
        if name not in runbook.targets
    ]
    if problems and strict:
        raise BindError(problems)
    values = {name: site.vars.get(name, var.default) for name, var in runbook.vars.items()}
    binding = Binding(runbook, values, site={"vantage_points": sorted(site.vantage_points)})
    for name, target in runbook.targets.items():
        binding.targets[name] = target_view(name, target, site.targets.get(name), values)
    return binding


def target_view(
    name: str, target: Target, override: TargetOverride | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The target's fields with the site's overrides applied and `{{ vars.x }}`
    filled in. A field whose value cannot be filled in is left out (None), so
    a check that needs it says so when it runs."""
    fields = target.model_dump(mode="python", exclude={"notes"})
    fields.update({k: getattr(target, k) for k in _TEMPLATED})
    if override is not None:
        fields.update(
            {k: getattr(override, k) for k in _OVERRIDABLE if getattr(override, k) is not None}
        )
    scope = {"vars": dict(values)}
    view = {k: _fill(v, scope) for k, v in fields.items()}
    view["name"] = name
    return view


def _fill(value: Any, scope: Mapping[str, Any]) -> Any:
    if not isinstance(value, Template):
        return value
    try:
        return value.render(scope)
    except TemplateError:
        return None


def step_applies(step: Step, target: str) -> bool:
    return step.targets is None or target in step.targets


def _names(items: Mapping[str, Any]) -> str:
    return ", ".join(items) or "none"
