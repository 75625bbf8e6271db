"""A runbook bound to a site: the values its templates fill in."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.runbooks.issues import Problem
from bot.runbooks.schema import Runbook, Scalar, Step, Target
from bot.runbooks.site import SiteConfig, TargetOverride
from bot.runbooks.templates import Template, TemplateError

_OVERRIDABLE = tuple(TargetOverride.model_fields)
_TEMPLATED = ("host", "port", "url", "server_name", "service", "target_group", "attrs")


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


def bind(runbook: Runbook, site: SiteConfig, *, require_values: bool = False) -> Binding:
    """Fill the runbook's variables and targets in from the site. A site
    config serves every runbook: names this runbook does not have are left
    to the others (`site_problems` reports those no runbook uses).
    `require_values` (a run) refuses a variable that has no value at all,
    naming where to set it; lint and docs accept it, the site sets it later."""
    values = {name: site.vars.get(name, var.default) for name, var in runbook.vars.items()}
    if require_values:
        unset = [Problem(("vars", n), unset_message(n)) for n, v in values.items() if v is None]
        if unset:
            raise BindError(unset)
    binding = Binding(runbook, values, site={"vantage_points": sorted(site.vantage_points)})
    for name, target in runbook.targets.items():
        binding.targets[name] = bind_target(name, target, site.targets.get(name), values)
    return binding


def unset_message(name: str) -> str:
    return (
        f"variable {name!r} has no value: set `vars.{name}` in the site config"
        f" (--config or TRIAGE_CONFIG; docs/site-config.md) or pass --set vars.{name}=VALUE"
    )


def foreign_names(runbook: Runbook, site: SiteConfig) -> list[Problem]:
    """Site names this runbook does not have: another runbook's, or a typo
    (a rehearsal, which is about one runbook, refuses them)."""
    return [
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


def _names(items: Mapping[str, Any]) -> str:
    return ", ".join(items) or "none"


def site_problems(runbooks: Iterable[Runbook], site: SiteConfig) -> list[Problem]:
    """Site names no runbook uses: a typo, or a runbook that was removed."""
    shelf = list(runbooks)
    variables = {v for r in shelf for v in r.vars}
    targets = {t for r in shelf for t in r.targets}
    return [
        Problem(("vars", name), f"no runbook declares variable {name!r}{_close(name, variables)}")
        for name in site.vars
        if name not in variables
    ] + [
        Problem(("targets", name), f"no runbook has target {name!r}{_close(name, targets)}")
        for name in site.targets
        if name not in targets
    ]


def _close(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def bind_target(
    name: str, target: Target, override: TargetOverride | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The target's fields with the site's overrides applied and `{{ vars.x }}`
    filled in. A field whose value cannot be filled in is left out (None), so
    a check that needs it says so when it runs."""
    fields = target.model_dump(mode="python", exclude={"notes"})
    fields.update({k: getattr(target, k) for k in _TEMPLATED})
    if override is not None:
        given = {k: getattr(override, k) for k in _OVERRIDABLE if getattr(override, k) is not None}
        if "attrs" in given:  # free fields merge: the site adds and replaces, key by key
            given["attrs"] = {**target.attrs, **given["attrs"]}
        fields.update(given)
    scope = {"vars": dict(values)}
    view = {k: _fill(v, scope) for k, v in fields.items()}
    view["name"] = name
    return view


def _fill(value: Any, scope: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, scope) for k, v in value.items()}
    if not isinstance(value, Template):
        return value
    try:
        return value.render(scope)
    except TemplateError:
        return None


def step_applies(step: Step, target: str) -> bool:
    return step.targets is None or target in step.targets
