"""Check types from other packages, through the `triage.checks` entry points.

A package declares, in its own metadata,

    [project.entry-points."triage.checks"]
    disk = "triage_disk:CHECK"

and its `CheckType` joins the registry beside the built-in ones: the same
parameter model, executor, docs words and dry-run call, in `triage schema`,
`lint`, `run`, `docs`, rehearsals and Slack. A plugin that does not load is
an error when the bot starts, never a type that silently goes missing.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from bot.checks.params import Params
from bot.checks.spec import CheckType

GROUP = "triage.checks"


class PluginError(RuntimeError):
    pass


def discovered() -> list[CheckType]:
    """Every installed plugin's check type, in a stable order."""
    found = sorted(entry_points(group=GROUP), key=lambda ep: (ep.name, ep.value))
    return [_load(ep) for ep in found]


def _load(entry: EntryPoint) -> CheckType:
    where = f"check type plugin {entry.name!r} ({entry.value}, entry point group {GROUP})"
    try:
        loaded = entry.load()
    except Exception as exc:
        raise PluginError(f"{where} does not load: {type(exc).__name__}: {exc}") from exc
    if not isinstance(loaded, CheckType):
        raise PluginError(f"{where} is a {type(loaded).__name__}, not a CheckType")
    if loaded.name != entry.name:
        raise PluginError(f"{where} names its type {loaded.name!r}; use the same name for both")
    if not (isinstance(loaded.params, type) and issubclass(loaded.params, Params)):
        raise PluginError(f"{where}: params must derive from bot.checks.params.Params")
    return loaded
