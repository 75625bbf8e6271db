"""Open targets (#15.2): no protocol for what is not an endpoint, free
fields under `attrs`, a templated port, any vantage point name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbooks.binding import bind
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_runbook, load_site

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "open-targets.yaml"


def test_attrs_and_a_templated_port_are_filled_in_from_vars_and_site() -> None:
    site = load_site(None, ["vars.broker_port=5672", "targets.export.attrs.table=exports2"])
    binding = bind(load_runbook(EXAMPLE), site)
    export, broker = binding.targets["export"], binding.targets["broker"]
    assert export["protocol"] is None
    assert export["attrs"] == {"function": "export-5672", "table": "exports2"}
    assert broker["port"] == 5672
    assert broker["probe_from"] == ["public", "office"]


def test_a_port_that_is_neither_a_number_nor_a_placeholder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(EXAMPLE.read_text().replace('port: "{{ vars.broker_port }}"', "port: five"))
    with pytest.raises(RunbookError, match="a port number or a"):
        load_runbook(path)
