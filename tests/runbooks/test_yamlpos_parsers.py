"""libyaml's parser and PyYAML's pure-Python one must be interchangeable:
the same values, the same `line:col` for every value and key, and the same
budgets against hostile text (the C parser only hands the Python composer
its events; the budgets live in that composer)."""

from __future__ import annotations

from pathlib import Path

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
