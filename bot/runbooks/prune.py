"""Every problem at once: a runbook whose structure is wrong in places is
still checked for references, filled-in samples and AWS operations.

Each part pydantic refuses (a check, a conclusion, a manual item, a target,
a step...) is swapped for a stand-in that validates, keeping its id, so the
rest of the runbook decodes and the later checks run over it. Problems the
stand-ins cause (at their place, or naming a part swapped out) are dropped:
only the author's own mistakes are reported.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from bot.runbooks.issues import Loc, Problem

# At most this many rounds of swapping: a refusal can hide another behind it.
ROUNDS = 5
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _id(found: Any, fallback: str) -> str:
    value = found.get("id") if isinstance(found, dict) else None
    return value if isinstance(value, str) and _SLUG.match(value) else fallback


def _check(found: Any, j: int) -> dict[str, Any]:
    return {"id": _id(found, f"stand-in-{j}"), "type": "tcp", "host": "localhost", "port": 1}


def _step(found: Any, i: int) -> dict[str, Any]:
    return {"id": _id(found, f"stand-in-{i}"), "title": "stand-in"}


def _text(found: Any, k: int) -> dict[str, Any]:
    return {"say": "stand-in"}


def _target(found: Any, name: str | int) -> dict[str, Any]:
    return {"title": "stand-in", "impact": "stand-in"}


# (path pattern, stand-in): `*` is any index or key. The longest pattern
# that a problem's location starts with decides what is swapped.
_UNITS: list[tuple[tuple[str, ...], Callable[[Any, Any], Any]]] = [
    (("steps", "*", "checks", "*"), _check),
    (("steps", "*", "conclusions", "*"), _text),
    (("steps", "*", "manual", "*"), _text),
    (("escalation", "manual", "*"), _text),
    (("targets", "*"), _target),
    (("vars", "*"), lambda found, key: {}),
    (("steps", "*"), _step),
    (("triggers",), lambda found, key: {}),
    (("escalation",), lambda found, key: None),
    (("buttons",), lambda found, key: {}),
]
_REQUIRED_TEXT = ("id", "title", "summary")


def stand_ins(data: Any, refused: list[tuple[Loc, str]]) -> tuple[Any, list[Loc], set[str]] | None:
    """The document with the refused parts (pydantic's error locations and
    kinds) swapped, the places swapped and the ids they had; None when a
    refusal cannot be worked around. An unknown key is only dropped: the
    part around it is still the author's."""
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    swapped: list[Loc] = []
    names: set[str] = set()
    for loc, kind in refused:
        if kind == "extra_forbidden" and _drop(data, loc):
            swapped.append(loc)
            continue
        unit = _unit(loc)
        if unit is None:
            return None
        if any(unit[: len(s)] == s for s in swapped):
            continue
        old = _get(data, unit)
        if isinstance(old, dict) and isinstance(old.get("id"), str):
            names.add(old["id"])
        elif unit[:1] == ("targets",) and len(unit) == 2:
            names.add(str(unit[1]))
        if not _swap(data, unit, old):
            return None
        swapped.append(unit)
    return data, swapped, names


def kept(problems: list[Problem], swapped: list[Loc], names: set[str]) -> list[Problem]:
    """Problems found over the stand-ins that are the author's: not inside a
    stand-in, not about a name it took over."""
    quoted = [f"'{n}'" for n in names]
    return [
        p
        for p in problems
        if not any(p.loc[: len(s)] == s for s in swapped)
        and not any(q in p.message for q in quoted)
        and "stand-in" not in p.message
    ]


def _unit(loc: Loc) -> Loc | None:
    # Patterns match a prefix: pydantic's locations go on with union
    # members (`tcp`, a function name) the document does not have.
    if len(loc) == 1 and loc[0] in _REQUIRED_TEXT:
        return loc
    best: Loc | None = None
    for pattern, _ in _UNITS:
        fits = len(loc) >= len(pattern) and _fits(pattern, loc[: len(pattern)])
        if fits and (best is None or len(pattern) > len(best)):
            best = loc[: len(pattern)]
    return best


def _fits(pattern: tuple[str, ...], loc: Loc) -> bool:
    return all(p in ("*", part) for p, part in zip(pattern, loc, strict=True))


def _swap(data: dict[str, Any], unit: Loc, old: Any) -> bool:
    if len(unit) == 1 and unit[0] in _REQUIRED_TEXT:
        data[str(unit[0])] = "stand-in"
        return True
    for pattern, make in _UNITS:
        if len(pattern) == len(unit) and _fits(pattern, unit):
            parent = _get(data, unit[:-1])
            key = unit[-1]
            value = make(old, key)
            if isinstance(parent, list) and isinstance(key, int) and key < len(parent):
                parent[key] = value
            elif isinstance(parent, dict):
                if value is None:
                    parent.pop(key, None)
                else:
                    parent[key] = value
            else:
                return False
            return True
    return False


def _drop(data: dict[str, Any], loc: Loc) -> bool:
    """Remove an unknown key. pydantic's location may hold a union member
    (`tcp`) the document does not: then the key sits in the unit."""
    unit = _unit(loc)
    for parent in (_get(data, loc[:-1]), _get(data, unit) if unit else None):
        if isinstance(parent, dict) and loc[-1] in parent:
            del parent[loc[-1]]
            return True
    return False


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data
