"""YAML with positions: `yaml.safe_load` semantics plus a map from each
value's path to where it stands in the file, so that every error can read
`path:line:col: message`.

Parsing is budgeted, since the text may be hostile: nesting deeper than
MAX_DEPTH, aliases that refer to themselves, and aliases that would expand
the document past MAX_NODES (the "billion laughs": 600 bytes that expand to
10**9 strings) are refused where they stand, before anything is expanded.

Speed: where PyYAML was built with libyaml, libyaml's C parser turns the text
into events (the scanner and parser are most of pure-Python PyYAML's time),
and PyYAML's Python composer, with the budgets below, builds the nodes from
them. libyaml's own composer cannot be used: it is C, so the budgets could
not watch it compose. Both parsers give the same nodes with the same marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

Path = tuple[str | int, ...]

# Runbooks nest about ten deep; 64 leaves room and stays far below Python's
# recursion limit, which PyYAML's composer and constructor recurse into.
MAX_DEPTH = 64
# Nodes after expanding aliases: the example runbook has about 1,500.
MAX_NODES = 100_000


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


def load(text: str, *, parser: str | None = None) -> tuple[Any, Positions]:
    """The value and its positions; `parser` ("c" or "python") picks one of
    PARSERS, by default the fastest there is."""
    loader = PARSERS[parser or PARSER](text)
    try:
        return _load(loader)
    finally:
        loader.dispose()


def _load(loader: _Budget) -> tuple[Any, Positions]:
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise YamlError(f"invalid YAML: {_worded(exc)}", _error_mark(exc)) from exc
    if node is None:
        return None, Positions()
    positions = Positions()
    _walk(node, (), positions)
    # Construct from the same node tree, so the values and the marks agree.
    try:
        return loader.construct_document(node), positions
    except yaml.MarkedYAMLError as exc:
        raise YamlError(f"not allowed in a runbook: {exc.problem}", _error_mark(exc)) from exc


def _worded(exc: yaml.MarkedYAMLError) -> str:
    # libyaml says "did not find expected ',' or '}'" where PyYAML says
    # "expected ',' or '}'": one wording, whichever parser ran.
    problem = str(exc.problem or exc)
    return problem.replace("did not find expected", "expected", 1)


def _error_mark(exc: yaml.MarkedYAMLError) -> Mark:
    mark = exc.problem_mark or exc.context_mark
    return Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)


class _Budget(Composer, SafeConstructor):
    """A composer that counts as it composes: depth, and the size and height
    each node would have once its aliases are expanded. Mixed into a loader
    whose parser hands it events (pure-Python PyYAML's, or libyaml's)."""

    def _start_budget(self) -> None:
        self._open: set[str] = set()  # anchors whose node is still being composed
        # id(node) of anchored nodes -> expanded nodes and depth, for aliases
        self._size: dict[int, int] = {}
        self._height: dict[int, int] = {}
        self._heights: list[int] = [0]  # tallest child so far, one entry per open node
        self._total = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # the parser's
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, parent, index)
        if len(self._heights) > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels", _event_mark(event))
        anchor = event.anchor
        if anchor is None and isinstance(event, yaml.ScalarEvent):
            # Most nodes: one value, one level, nothing an alias can refer to
            # (only anchored nodes are), so nothing to remember.
            self._count(1, event)
            if not self._heights[-1]:
                self._heights[-1] = 1
            return super().compose_node(parent, index)
        if anchor is not None:
            self._open.add(anchor)
        before = self._total
        self._count(1, event)
        self._heights.append(0)
        try:
            node = super().compose_node(parent, index)
        finally:
            height = self._heights.pop() + 1
            self._open.discard(anchor or "")
        if anchor is not None:  # what an alias to it will add
            self._size[id(node)] = self._total - before
            self._height[id(node)] = height
        self._heights[-1] = max(self._heights[-1], height)
        return node

    def _alias(
        self, event: yaml.AliasEvent, parent: yaml.Node | None, index: Any
    ) -> yaml.Node | None:
        if event.anchor in self._open:
            raise YamlError(f"alias *{event.anchor} refers to itself", _event_mark(event))
        node = super().compose_node(parent, index)  # the anchored node, or "undefined alias"
        height = self._height.get(id(node), 1)
        if len(self._heights) - 1 + height > MAX_DEPTH:
            raise YamlError(
                f"alias *{event.anchor} nests the document deeper than {MAX_DEPTH} levels",
                _event_mark(event),
            )
        self._count(self._size.get(id(node), 1), event)
        self._heights[-1] = max(self._heights[-1], height)
        return node

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self._total += nodes
        if self._total > MAX_NODES:
            raise YamlError(
                f"aliases expand this document past {MAX_NODES:,} values; refusing to expand it",
                _event_mark(event),
            )

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A value PyYAML's constructors choke on (a 5,000-digit integer, a
        # 13th month) raises a bare ValueError: give it the node's place.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"bad value: {exc}", node.start_mark
            ) from exc


class _PythonLoader(_Budget, yaml.SafeLoader):
    def __init__(self, text: str) -> None:
        yaml.SafeLoader.__init__(self, text)
        self._start_budget()


_CParser: type | None = getattr(getattr(yaml, "_yaml", None), "CParser", None)
PARSERS: dict[str, Any] = {"python": _PythonLoader}
if _CParser is not None:

    class _CLoader(_Budget, _CParser, Resolver):  # type: ignore[misc, valid-type]
        """libyaml's events (CParser's check/peek/get_event) under the Python
        composer (first in the MRO, so CParser's C get_single_node is not used)."""

        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)  # type: ignore[misc]
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._start_budget()

    PARSERS["c"] = _CLoader
# The parser `load` uses unless told: libyaml's when PyYAML has it.
PARSER = "c" if "c" in PARSERS else "python"


def _event_mark(event: yaml.Event) -> Mark:
    mark = event.start_mark
    return Mark(mark.line + 1, mark.column + 1) if mark is not None else Mark(1, 1)


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
