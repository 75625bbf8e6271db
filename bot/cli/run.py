"""`triage run RUNBOOK --target NAME`: run a runbook's checks from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot import redact
from bot.cli.report import check_line, render_plan
from bot.cli.startup import imports_done
from bot.cli.stored import bot_settings
from bot.engine.dryrun import dry_run, plan
from bot.engine.results import CheckRun, RunResult
from bot.engine.runner import Engine
from bot.engine.site_settings import settings
from bot.errors import UsageError
from bot.runbooks.binding import BindError, Binding, bind, foreign_names, site_problems
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import (
    find_runbook,
    load_runbook,
    load_site,
    locate_in_site,
    runbook_files,
)
from bot.runbooks.modules import module_problems
from bot.runbooks.schema import Runbook
from bot.runbooks.site import SiteConfig

__all__ = ["UsageError", "add", "add_site_options", "alert_scope", "handle", "prepare"]


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run a runbook's checks for one target")
    parser.add_argument("runbook", help="runbook id (looked up under runbooks/) or path")
    parser.add_argument("--target", "-t", required=True, help="catalogue target name")
    parser.add_argument("--step", help="run only this step")
    parser.add_argument(
        "--label",
        dest="labels",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an alert label, as `alert.labels.KEY` (data only: never a host, port or query)",
    )
    add_site_options(parser)
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="show the exact call each check would make, with its parameters, and make none",
    )
    parser.set_defaults(handler=handle)


def add_site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=_env_path("TRIAGE_CONFIG"), help="site config YAML"
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one site-config value, e.g. vars.cluster=mail",
    )


def handle(args: argparse.Namespace) -> int:
    from bot import redact
    from bot.runbooks import loader  # noqa: F401  (prepare's, before the freeze)

    imports_done()
    binding, site = prepare(args)
    target = _target(binding, args.target)
    steps = _steps(binding, args.step)
    alert = alert_scope(args.labels)
    redactor = redact.Redactor.from_env(site.secrets)
    redact.install(redactor)
    progress = None if args.json or args.dry_run else _progress(redactor)
    engine = Engine(
        binding,
        settings=settings(site),
        on_check=progress,
        execute=dry_run if args.dry_run else None,
    )
    result = asyncio.run(_closing(engine.run_all(target, alert=alert, steps=steps)))
    if args.dry_run:
        return _show_plan(result, binding, redactor, as_json=args.json)
    if args.json:
        print(json.dumps(redactor.redact_tree(result.to_json()), indent=2, default=str))
    else:
        from bot.cli.report import render

        view = binding.targets[target]
        print(redactor.redact(render(result, target_title=view["title"], impact=view["impact"])))
    return 0 if result.status in ("pass", "skipped") else 1


async def _closing(work: Coroutine[Any, Any, RunResult]) -> RunResult:
    """`work`, then the checks' shared HTTP clients closed on the same loop."""
    from bot.checks import vantage

    try:
        return await work
    finally:
        await vantage.aclose_clients()


def _show_plan(
    result: RunResult, binding: Binding, redactor: redact.Redactor, *, as_json: bool
) -> int:
    """A dry run's report; 1 when a check's parameters are invalid."""

    steps = redactor.redact_tree(plan(result, binding))
    if as_json:
        report = {"runbook": result.runbook, "target": result.target, "dry_run": True}
        print(json.dumps(report | {"steps": steps}, indent=2, default=str))
    else:
        print(render_plan(result.title, result.target, steps))
    return 1 if any(c.status == "error" for c in result.checks) else 0


def prepare(args: argparse.Namespace, *, require_values: bool = True) -> tuple[Binding, SiteConfig]:
    """Runbook, site config and their binding, or a UsageError saying what is
    wrong. The site config may serve several runbooks: names this one does
    not have are refused only when no runbook on the shelf has them."""
    dirs = bot_settings(args).runbook_dirs  # TRIAGE_RUNBOOKS, as serve reads it
    try:
        path = find_runbook(args.runbook, dirs)
        runbook = load_runbook(path)
        site = load_site(args.config, args.sets)
        binding = bind(runbook, site, require_values=require_values)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    except RunbookError as exc:
        raise UsageError(f"invalid input:\n{exc}") from exc
    except BindError as exc:
        raise UsageError(f"site config does not fit runbook {runbook.id!r}:\n{exc}") from exc
    modules = module_problems(runbook, site)
    if modules:
        lines = "\n".join(str(p) for p in locate_in_site(path, modules))
        raise UsageError(f"the site's blackbox_exporter has no such module:\n{lines}")
    if foreign_names(runbook, site):
        problems = site_problems([runbook, *_shelf(path, runbook.id, dirs)], site)
        if problems:
            lines = "\n".join(p.message for p in problems)
            raise UsageError(f"site config names what no runbook uses:\n{lines}")
    return binding, site


def _shelf(path: Path, runbook_id: str, dirs: list[Path]) -> list[Runbook]:
    """The other runbooks the site config may be meant for: those under
    `dirs` (TRIAGE_RUNBOOKS, or ./runbooks) and next to this one. A broken
    one is skipped here (`triage lint` reports it)."""
    folders = list(dict.fromkeys([*dirs, path.parent]))
    shelf: list[Runbook] = []
    for other in runbook_files(d for d in folders if d.is_dir()):
        try:
            runbook = load_runbook(other)
        except (RunbookError, OSError):
            continue
        if runbook.id != runbook_id:
            shelf.append(runbook)
    return shelf


def alert_scope(labels: list[str]) -> dict[str, Any] | None:
    """`--label k=v` as the alert a runbook reads, shaped as auto-triage
    shapes it. Templates may read it only where an alert label may go
    (references.py refuses it in any address-like parameter at load)."""
    if not labels:
        return None
    parsed: dict[str, str] = {}
    for item in labels:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--label {item!r}: expected KEY=VALUE")
        parsed[key.strip()] = value
    name = parsed.get("alertname", "")
    return {"source": "cli", "name": name, "labels": parsed, "summary": "", "runbook_url": None}


def _target(binding: Binding, name: str) -> str:
    if name in binding.targets:
        return name
    close = difflib.get_close_matches(name, binding.targets, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    known = ", ".join(binding.targets)
    raise UsageError(f"no target {name!r} in {binding.runbook.id}{hint} (catalogue: {known})")


def _steps(binding: Binding, step: str | None) -> list[str] | None:
    if step is None:
        return None
    ids = [s.id for s in binding.runbook.steps]
    if step not in ids:
        raise UsageError(f"no step {step!r} in {binding.runbook.id} (steps: {', '.join(ids)})")
    return [step]


def _progress(redactor: redact.Redactor) -> Callable[[str, CheckRun], None]:

    def show(step: str, run: CheckRun) -> None:
        if run.applicable:
            line = redactor.redact(check_line(run, step=step))
            print(f"  {line}", file=sys.stderr, flush=True)

    return show


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def __getattr__(name: str) -> Any:
    # `from bot.cli.run import settings` (older tests and tools) still works
    # without every command importing the engine to build its parser.
    if name == "settings":
        from bot.engine.site_settings import settings

        return settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
