from __future__ import annotations

import pytest

from bot.runbooks.yamlpos import Mark, YamlError, load


def test_values_and_keys_are_located() -> None:
    data, positions = load("a: 1\nb:\n  - x: 2\n    y: [1, 2]\n")
    assert data == {"a": 1, "b": [{"x": 2, "y": [1, 2]}]}
    assert positions.locate(("b", 0, "y", 1)) == Mark(4, 12)
    assert positions.locate_key(("b", 0, "x")) == Mark(3, 5)


def test_locations_step_over_parts_the_file_does_not_have() -> None:
    _, positions = load("steps:\n  - checks:\n      - port: 1\n")
    assert positions.locate(("steps", 0, "checks", 0, "tcp", "port", "int")) == Mark(3, 15)


def test_duplicate_keys_are_errors_not_silently_last_wins() -> None:
    with pytest.raises(YamlError, match="duplicate key 'a'") as caught:
        load("a: 1\nb: 2\na: 3\n")
    assert caught.value.mark == Mark(3, 1)


def test_yaml_is_loaded_safely() -> None:
    with pytest.raises(YamlError):
        load("x: !!python/object/apply:os.system ['true']\n")
