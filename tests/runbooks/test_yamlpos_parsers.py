"""libyaml's parser and PyYAML's pure-Python one must be interchangeable:
the same values, the same `line:col` for every value and key, and the same
budgets against hostile text (the C parser only hands the Python composer
its events; the budgets live in that composer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.runbooks import yamlpos
from bot.runbooks.yamlpos import MAX_DEPTH, PARSERS, YamlError, load
from tests.security.test_hostile_files import BILLION_LAUGHS, DEEP, DEEP_BLOCK, RECURSIVE

ROOT = Path(__file__).parents[2]
SHIPPED = sorted((ROOT / "runbooks").glob("*.yaml"))
# An alias whose node, put where it stands, nests past MAX_DEPTH.
DEEP_ALIAS = "a: &a [[[1]]]\nb: " + "[" * (MAX_DEPTH - 2) + "*a" + "]" * (MAX_DEPTH - 2)


def test_libyaml_is_used_where_pyyaml_has_it() -> None:
    # The project's own venv has libyaml (the manylinux wheels bundle it);
    # without it `load` still works, on the pure-Python parser.
    assert "c" in PARSERS
    assert yamlpos.PARSER == "c"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_both_parsers_give_the_same_values_and_positions(path: Path) -> None:
    text = path.read_text()
    c_value, c_positions = load(text, parser="c")
    py_value, py_positions = load(text, parser="python")
    assert c_value == py_value
    assert c_positions.marks == py_positions.marks
    assert c_positions.key_marks == py_positions.key_marks


def test_columns_count_characters_not_bytes_with_libyaml() -> None:
    text = 'a: "héllo 😀"\nb: {x: "é😀", y: [1, ü]}\n'
    _, positions = load(text, parser="c")
    assert positions.locate(("b", "y", 1)) == yamlpos.Mark(2, 21)


@pytest.mark.parametrize("parser", sorted(PARSERS))
@pytest.mark.parametrize(
    ("text", "says", "where"),
    [
        (BILLION_LAUGHS, "aliases expand", None),
        (RECURSIVE, "refers to itself", (2, 17)),
        (DEEP, "nested deeper than|maximum nesting depth", None),  # libyaml: 1000
        (DEEP_BLOCK, "nested deeper than", None),
        ("x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "nested deeper than", None),
        (
            "a: &a [[[1]]]\n" + "b: " + "[" * (MAX_DEPTH - 2) + "*a" + "]" * (MAX_DEPTH - 2),
            r"alias \*a nests",
            None,
        ),
        ("a: 1\na: 2\n", "duplicate key 'a'", (2, 1)),
        ("a: [1, 2\n", r"invalid YAML: expected ',' or '\]'", (2, 1)),
        ("x: !!python/object/apply:os.system ['true']\n", "not allowed", (1, 4)),
        ("port: " + "9" * 5000 + "\n", "not allowed", (1, 7)),
    ],
    ids=[
        "laughs",
        "recursive",
        "deep-flow",
        "deep-block",
        "deep",
        "deep-alias",
        "dup",
        "broken",
        "tag",
        "huge-int",
    ],
)
def test_both_parsers_keep_the_budgets_and_locate_the_refusal(
    parser: str, text: str, says: str, where: tuple[int, int] | None
) -> None:
    with pytest.raises(YamlError, match=says) as caught:
        load(text, parser=parser)
    mark = caught.value.mark
    assert mark.line >= 1 and mark.col >= 1
    if where is not None:
        assert (mark.line, mark.col) == where


# Plain YAML the one-pass builder takes, and YAML it hands to the composer:
# either way `load` must give what the budgeted composer gives.
SHAPES = [
    "a: 1\nb: -2.5\nc: true\nd: null\ne: ~\nf:\ng: 2026-11-30\nh: 2026-11-30T08:15:00Z\n",
    "1: one\ntrue: yes\nnull: none\n0x1f: hex\n1_000: under\n'1': quoted\n",
    "a: [1, '2', \"3\", [4, {b: 5}]]\nc: {d: [], e: {}}\n",
    "- 1\n- - 2\n  - 3\n- k: v\n  l: |\n    text\n    more\n",
    "s: >-\n  folded\n  text\nt: 'it''s'\nu: \"\\u00e9\\t\"\n",
    "a: 1:30\nb: .inf\nc: -.nan\nd: 0o17\ne: +12\nf: Yes\ng: off\n",
    "x: 'héllo 😀'\ny: {z: [1, ü]}\n",
    "just a scalar\n",
    "",
    "# only a comment\n",
    "---\na: 1\n...\n",
    "a: &x [1, 2]\nb: *x\n",
    "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",
    "a: !!str 12\nb: !!int '7'\n",
    "? [complex, key]\n: value\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\na: 2\n",
    "=: value\n",
]


@pytest.mark.parametrize("text", SHAPES)
def test_the_one_pass_builder_agrees_with_the_composer(text: str) -> None:
    def run(parser: str) -> tuple[Any, Any, Any] | str:
        try:
            value, positions = load(text, parser=parser)
        except YamlError as exc:
            return f"{exc.mark.line}:{exc.mark.col}: {exc.message}"
        return value, positions.marks, positions.key_marks

    composed = run("python")
    assert run("c") == composed
    if isinstance(composed, str):
        return
    loader = PARSERS["c"](text)  # libyaml's events, the composer, no shortcut
    try:
        value, positions = yamlpos._load(loader)
    finally:
        loader.dispose()
    assert (value, positions.marks, positions.key_marks) == composed


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_runbooks_take_the_one_pass_builder(path: Path) -> None:
    assert yamlpos._direct(path.read_text()) is not None


@pytest.mark.parametrize(
    "text",
    ["a: &x 1\nb: *x\n", "a: !!str 1\n", "<<: {a: 1}\n", "a: 1\na: 2\n", "a: [1\n", "a: 1\n---\n"],
    ids=["anchor", "tag", "merge", "duplicate", "broken", "two-documents"],
)
def test_anything_but_plain_data_goes_to_the_budgeted_composer(text: str) -> None:
    assert yamlpos._direct(text) is None
