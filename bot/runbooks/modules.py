"""Blackbox modules a runbook names that the site's blackbox.yml lacks:
found before anything runs (lint, run, dry run), not when a probe from
inside is needed during an incident."""

from __future__ import annotations

import difflib
from pathlib import Path

from bot.runbooks.binding import bind
from bot.runbooks.issues import Loc, Problem
from bot.runbooks.loader import load_blackbox_modules
from bot.runbooks.schema import Runbook
from bot.runbooks.site import SiteConfig


def module_problems(runbook: Runbook, site: SiteConfig | None) -> list[Problem]:
    """Targets' `blackbox_module` and modules written out in `blackbox`
    checks, against the site's blackbox.yml (when it names one)."""
    if site is None or site.blackbox_config is None:
        return []
    known = sorted(load_blackbox_modules(Path(site.blackbox_config)))
    named: list[tuple[Loc, object]] = [
        (("targets", name, "blackbox_module"), view.get("blackbox_module"))
        for name, view in bind(runbook, site).targets.items()
    ]
    named += [
        (("steps", i, "checks", j, param), check.param_templates.get(param))
        for i, step in enumerate(runbook.steps)
        for j, check in enumerate(step.check_defs)
        if (param := check.check_type.names_module) is not None
    ]
    return [
        Problem(loc, _unknown(module, known, site.blackbox_config))
        for loc, module in named
        if isinstance(module, str) and module and module not in known
    ]


def _unknown(module: str, known: list[str], where: str) -> str:
    close = difflib.get_close_matches(module, known, n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"no blackbox module {module!r} in {where}{hint}"
