"""YAML with positions: `yaml.safe_load` semantics plus a map from each
value's path to where it stands in the file, so that every error can read
`path:line:col: message`.

Parsing is budgeted, since the text may be hostile: nesting deeper than
MAX_DEPTH, aliases that refer to themselves, and aliases that would expand
the document past MAX_NODES (the "billion laughs": 600 bytes that expand to
10**9 strings) are refused where they stand, before anything is expanded.

Speed: where PyYAML was built with libyaml, libyaml's C parser turns the text
into events (the scanner and parser are most of pure-Python PyYAML's time).
A runbook is almost always plain data (no anchor, alias, tag or merge key):
for those, `_direct` builds the values and positions straight from the
events in one pass, with no nodes in between. Anything else (and any error)
goes to PyYAML's Python composer with the budgets below, fed by the same
events, which also words every refusal. libyaml's own composer cannot be
used: it is C, so the budgets could not watch it compose. All paths give the
same values with the same marks (tests/runbooks/test_yamlpos_parsers.py).
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
    chosen = parser or PARSER
    if chosen == "c":
        direct = _direct(text)
        if direct is not None:
            return direct
    loader = PARSERS[chosen](text)
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


class _Unusual(Exception):
    """Something the one-pass builder leaves to the budgeted composer."""


_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
# Deep enough for any runbook; deeper documents take the composer, which
# enforces MAX_DEPTH and says where.
_DIRECT_DEPTH = MAX_DEPTH - 2


def _direct(text: str) -> tuple[Any, Positions] | None:
    """Values and positions of plain YAML from libyaml's events in one pass,
    or None when the text has anything but plain mappings, sequences and
    untagged scalars, or any error: the caller then runs the composer, which
    gives the same result or the worded error. Same semantics as the
    composer + SafeConstructor + `_walk` for what it accepts."""
    assert _CParser is not None
    parser = _CParser(text)
    try:
        return _build(parser.get_event)
    except (_Unusual, yaml.YAMLError, ValueError, OverflowError, TypeError):
        return None
    finally:
        parser.dispose()


def _build(get: Any) -> tuple[Any, Positions]:  # noqa: PLR0912, PLR0915 - one hot loop
    """The loop runs once per event (~100k for 200 runbooks), so it is one
    flat function: a method call per event cost a third of its time.

    One frame per open collection: [container, path, key, raw key, raw keys
    seen] for a mapping, whose key is _KEY while it waits for the next one;
    [container, path, _ITEM] for a sequence."""
    _expect(get(), yaml.StreamStartEvent)  # an empty stream: the composer says None
    _expect(get(), yaml.DocumentStartEvent)
    positions = Positions()
    marks, key_marks = positions.marks, positions.key_marks
    plain = _plain_values()
    stack: list[list[Any]] = []
    frame: list[Any] | None = None
    root: Any = None
    count = 0
    while True:
        event = get()
        kind = type(event)
        if kind is _MAP_END or kind is _SEQ_END:
            stack.pop()
            frame = stack[-1] if stack else None
            continue
        if kind is _DOC_END:
            break
        if event.anchor is not None or event.tag is not None:  # aliases have an anchor
            raise _Unusual
        count += 1
        if count > MAX_NODES:
            raise _Unusual
        mark = event.start_mark
        at = Mark(mark.line + 1, mark.column + 1)
        if kind is _SCALAR:
            raw = event.value
            value = _scalar(raw, plain) if event.implicit[0] else raw
            if frame is not None and frame[2] is _KEY:
                if raw == "<<" or raw in frame[4]:
                    raise _Unusual  # a merge key, or a duplicate the composer words
                frame[4].add(raw)
                key_marks[(*frame[1], raw)] = at
                frame[2], frame[3] = value, raw
                continue
        elif kind is _MAP_START or kind is _SEQ_START:
            if frame is not None and frame[2] is _KEY:
                raise _Unusual  # a complex key
            if len(stack) >= _DIRECT_DEPTH:
                raise _Unusual
            value = {} if kind is _MAP_START else []
        else:
            raise _Unusual
        if frame is None:
            root, path = value, ()
        elif frame[2] is _ITEM:
            path = (*frame[1], len(frame[0]))
            frame[0].append(value)
        else:
            path = (*frame[1], frame[3])
            frame[0][frame[2]] = value
            frame[2] = _KEY
        marks[path] = at
        if kind is not _SCALAR:
            frame = [value, path, _KEY, None, set()] if kind is _MAP_START else [value, path, _ITEM]
            stack.append(frame)
    _expect(get(), yaml.StreamEndEvent)  # more than one document: the composer refuses
    return root, positions


_SCALAR, _MAP_START, _SEQ_START = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_MAP_END, _SEQ_END, _DOC_END = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.DocumentEndEvent


def _expect(event: Any, kind: type) -> None:
    if type(event) is not kind:
        raise _Unusual


_KEY = object()  # a mapping frame waiting for its next key
_ITEM = object()  # a sequence frame (never waits for a key)


# Plain scalar text -> its value, shared by every document: a shelf repeats
# the same words (`true`, `5`, `tcp`) thousands of times. Bounded: cleared
# when full.
_PLAIN: dict[str, Any] = {}
_PLAIN_MAX = 20_000


def _plain_values() -> dict[str, Any]:
    if len(_PLAIN) > _PLAIN_MAX:
        _PLAIN.clear()
    return _PLAIN


def _scalar(raw: str, plain: dict[str, Any]) -> Any:
    """A plain scalar's value as SafeLoader gives it (int, bool, null,
    timestamp...). The values are immutable, so one per text is shared."""
    value = plain.get(raw, _KEY)
    if value is _KEY:
        tag = _RESOLVER.resolve(yaml.ScalarNode, raw, (True, False))  # type: ignore[no-untyped-call]
        if tag == _STR_TAG:
            value = raw
        else:
            construct = SafeConstructor.yaml_constructors.get(tag)
            if construct is None:
                raise _Unusual
            value = construct(_CONSTRUCTOR, yaml.ScalarNode(tag, raw))
        plain[raw] = value
    return value
