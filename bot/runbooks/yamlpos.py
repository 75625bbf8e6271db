"""YAML with positions: `yaml.safe_load` semantics plus a map from each
value's path to where it stands in the file, so that every error can read
`path:line:col: message`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based, as editors count
    col: int


class YamlError(ValueError):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class Positions:
    """Where each mapping key and each value stands."""

    marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)

    def resolve(self, loc: Sequence[str | int]) -> Path:
        """The deepest path along `loc` that the file has. Components it does
        not have (pydantic's union tags, a missing key) are stepped over."""
        path: Path = ()
        for part in loc:
            if (*path, part) in self.marks:
                path = (*path, part)
        return path

    def locate(self, loc: Sequence[str | int]) -> Mark:
        return self.marks.get(self.resolve(loc), Mark(1, 1))

    def locate_key(self, loc: Sequence[str | int]) -> Mark:
        """Where the key at the end of `loc` stands (for "unknown key" errors)."""
        if not loc:
            return self.locate(loc)
        key = (*self.resolve(loc[:-1]), loc[-1])
        return self.key_marks.get(key) or self.locate(loc)


def load(text: str) -> tuple[Any, Positions]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlError(f"invalid YAML: {exc.problem or exc}", where) from exc
    if node is None:
        return None, Positions()
    positions = Positions()
    _walk(node, (), positions)
    # Construct from the same node tree, so the values and the marks agree.
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node), positions
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        raise YamlError(f"not allowed in a runbook: {exc.problem}", where) from exc
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path, positions: Positions) -> None:
    positions.marks[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, Mark] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or key == "<<":
                continue
            if key in seen:
                first = seen[key]
                raise YamlError(
                    f"duplicate key {key!r} (first at line {first.line})", _mark(key_node)
                )
            seen[key] = positions.key_marks[(*path, key)] = _mark(key_node)
            _walk(value_node, (*path, key), positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)
