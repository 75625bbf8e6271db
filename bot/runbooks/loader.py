"""Load runbooks and site config from YAML, every problem located."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.checks.bbconfig import BlackboxConfig, Module
from bot.runbooks import files, prune, yamlpos
from bot.runbooks.fields import PLACEHOLDER_MEMBER
from bot.runbooks.issues import Loc, Located, Problem, RunbookError
from bot.runbooks.references import check_references, opt_ins
from bot.runbooks.samples import sample_problems
from bot.runbooks.schema import Runbook
from bot.runbooks.site import SetError, SiteConfig, apply_set

M = TypeVar("M", bound=BaseModel)


def load_runbook(path: Path) -> Runbook:
    return load_reviewed(path)[0]


def load_reviewed(path: Path, site: SiteConfig | None = None) -> tuple[Runbook, list[Located]]:
    """The runbook, and what a reviewer must look at: every exception to the
    safety rules it opts into (e.g. `allow_operation` on an `aws` check).
    With a site config, checks are filled in with its values too."""
    data, positions = _read(path)
    # Structure, references, filled-in samples and AWS operations in one
    # pass: every problem at once. Parts the schema refuses are swapped for
    # stand-ins (prune.py) so that the rest is still checked.
    runbook, problems, swapped, names = _decode(data)
    if runbook is not None:
        found = check_references(runbook)
        wrong = {p.loc for p in found}
        found += [p for p in sample_problems(runbook, site) if p.loc not in wrong]
        problems += prune.kept(found, swapped, names)
    if problems:
        raise RunbookError([_locate(p, positions, path) for p in problems])
    assert runbook is not None
    return runbook, [_locate(p, positions, path) for p in opt_ins(runbook)]


def _decode(data: Any) -> tuple[Runbook | None, list[Problem], list[Loc], set[str]]:
    """The runbook (over stand-ins where parts are refused, or None when
    that cannot be done), the schema's problems, the places swapped and
    the ids the swapped parts had."""
    problems: list[Problem] = []
    refused: list[tuple[Loc, str]] = []
    for _ in range(prune.ROUNDS):
        fixed = prune.stand_ins(data, refused) if refused else (data, [], set())
        if fixed is None:
            return None, problems, [], set()
        document, swapped, names = fixed
        try:
            return Runbook.model_validate(document), problems, swapped, names
        except ValidationError as exc:
            errors = _relevant(exc.errors())
        # What the stand-ins themselves caused is not the author's.
        new = [e for e in errors if not any(tuple(e["loc"][: len(s)]) == s for s in swapped)]
        if not new:
            return None, problems, [], set()
        problems += [_problem(e) for e in new]
        refused += [(tuple(e["loc"]), e["type"]) for e in new]
    return None, problems, [], set()


def load_site(path: Path | None, sets: Sequence[str] = ()) -> SiteConfig:
    data: Any = {}
    positions = yamlpos.Positions()
    if path is not None:
        data, positions = _read(path)
        data = {} if data is None else data
    if not isinstance(data, dict):
        raise RunbookError([Located(str(path), 1, 1, "site config must be a mapping")])
    origins: dict[tuple[str, ...], str] = {}
    for assignment in sets:
        try:
            origins[apply_set(data, assignment)] = assignment
        except SetError as exc:
            raise RunbookError([Located(f"--set {assignment}", 0, 0, str(exc))]) from exc
    site = _validate(SiteConfig, data, positions, path or Path("site config"), origins)
    return _with_blackbox_config(site, path)


def locate_in_site(path: Path | None, problems: Sequence[Problem]) -> list[Located]:
    """Problems found in a file after loading it (site names no runbook
    uses, a runbook's module the site lacks), at their place in the file."""
    if path is None:
        return [Located("site config", 0, 0, p.message) for p in problems]
    _, positions = _read(path)
    return [_locate(p, positions, path) for p in problems]


def _with_blackbox_config(site: SiteConfig, path: Path | None) -> SiteConfig:
    """The blackbox.yml path resolved against the site config's folder, and
    the file checked now, so that its mistakes are configuration errors."""
    if site.blackbox_config is None:
        return site
    blackbox = Path(site.blackbox_config)
    if path is not None and not blackbox.is_absolute():
        blackbox = path.parent / blackbox
    load_blackbox_modules(blackbox)
    return site.model_copy(update={"blackbox_config": str(blackbox)})


def load_blackbox_modules(path: Path) -> dict[str, Module]:
    """A blackbox_exporter config's modules, validated and located like a
    runbook (a field we cannot run is refused by name), relative CA files
    resolved against its folder as blackbox_exporter resolves them."""
    data, positions = _read(path)
    config = _validate(BlackboxConfig, data or {}, positions, path)
    return {name: module.relative_to(path.parent) for name, module in config.modules.items()}


def runbook_dirs() -> list[Path]:
    """Where runbook ids are looked up: TRIAGE_RUNBOOKS (os.pathsep-separated)
    or ./runbooks."""
    env = os.environ.get("TRIAGE_RUNBOOKS")
    return [Path(p) for p in env.split(os.pathsep) if p] if env else [Path("runbooks")]


def find_runbook(name: str, dirs: Iterable[Path] | None = None) -> Path:
    """A path as given, or a runbook id looked up as `<dir>/<id>.yaml`."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") or os.sep in name:
        return candidate
    for directory in dirs or runbook_dirs():
        for suffix in (".yaml", ".yml"):
            path = directory / f"{name}{suffix}"
            if path.is_file():
                return path
    raise FileNotFoundError(
        f"no runbook {name!r} under {', '.join(map(str, dirs or runbook_dirs()))}"
    )


def runbook_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the YAML files inside folders named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.iterdir()
                if p.suffix in (".yaml", ".yml") and not p.name.endswith(".test.yaml")
            )
        else:
            found.append(path)
    return found


def _read(path: Path) -> tuple[Any, yamlpos.Positions]:
    """The one way every YAML file (runbook, site and blackbox config,
    rehearsal) is read: a regular file under a size cap, parsed within
    yamlpos's budgets, every failure located."""
    try:
        text = files.read_text(path)
    except OSError as exc:
        raise RunbookError([Located(str(path), 1, 1, f"cannot read: {exc.strerror}")]) from exc
    except files.FileRefused as exc:
        raise RunbookError([Located(str(path), 1, 1, str(exc))]) from exc
    try:
        return yamlpos.load(text)
    except yamlpos.YamlError as exc:
        message = exc.message + _yaml_hint(exc.message)
        raise RunbookError([Located(str(path), exc.mark.line, exc.mark.col, message)]) from exc


def _yaml_hint(message: str) -> str:
    """The usual cause of YAML's terser complaints, in the author's terms."""
    if "mapping values are not allowed" in message:
        return (
            " (hint: text holding ': ' must be quoted, e.g. say: \"Status: down\","
            " or written as a block: `say: >-` and the text on the next lines)"
        )
    return ""


def _validate(
    model: type[M],
    data: Any,
    positions: yamlpos.Positions,
    path: Path,
    origins: dict[tuple[str, ...], str] | None = None,
) -> M:
    """Validate; problems are located in the file, or named by the `--set`
    that brought the value in (`origins`: key path -> assignment)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in _relevant(exc.errors())]
        raise RunbookError(
            [_origin(p, origins or {}) or _locate(p, positions, path) for p in problems]
        ) from exc


def _origin(problem: Problem, origins: dict[tuple[str, ...], str]) -> Located | None:
    for key, assignment in origins.items():
        if tuple(problem.loc[: len(key)]) == key:
            return Located(f"--set {assignment}", 0, 0, problem.message)
    return None


def _relevant(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """A parameter may be a value or a placeholder, so pydantic reports both
    ways a bad value failed. Keep the one that fits what was written: the
    placeholder's complaint for text with `{{`, the type's for anything else."""
    prefixes = [
        e["loc"][: e["loc"].index(PLACEHOLDER_MEMBER)]
        for e in errors
        if PLACEHOLDER_MEMBER in e["loc"]
    ]
    kept: list[ErrorDetails] = []
    for error in errors:
        templated = isinstance(error["input"], str) and "{{" in error["input"]
        if PLACEHOLDER_MEMBER in error["loc"]:
            if templated:
                kept.append(error)
        elif not (templated and any(error["loc"][: len(p)] == p for p in prefixes)):
            kept.append(error)
    # Never filter a broken runbook down to no message at all.
    return kept or errors


def _problem(error: ErrorDetails) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return Problem(loc, f"unknown key {loc[-1]!r}", at_key=True)
    if kind == "union_tag_invalid":
        return Problem(
            (*loc, "type"),
            f"unknown check type {ctx.get('tag')!r} (known: {ctx.get('expected_tags')})",
        )
    if kind == "union_tag_not_found":
        return Problem(loc, f"needs a `type` (one of: {ctx.get('expected_tags', '?')})")
    if kind == "missing":
        return Problem(loc[:-1], f"missing required key {loc[-1]!r}")
    return Problem(loc, error["msg"].removeprefix("Value error, "), named=True)


def _locate(problem: Problem, positions: yamlpos.Positions, path: Path) -> Located:
    mark = positions.locate_key(problem.loc) if problem.at_key else positions.locate(problem.loc)
    message = problem.message
    if problem.named:
        # Name the key the file has (pydantic's loc also holds union members).
        keys = [p for p in positions.resolve(problem.loc) if isinstance(p, str)]
        message = f"{keys[-1]}: {message}" if keys else message
    return Located(str(path), mark.line, mark.col, message)


# Other YAML formats that sit next to runbooks (rehearsals) read, validate
# and locate their problems the same way.
read_yaml = _read
validate_located = _validate
locate = _locate
