"""docs/deploy-ecs.md shows the files under deploy/ as they are: every whole
JSON document in it (a policy, a task definition) is one of them, verbatim."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "deploy-ecs.md"


def documents_in_the_doc() -> list[Any]:
    found = []
    for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), re.DOTALL):
        try:
            found.append(json.loads(block))
        except ValueError:
            continue  # an excerpt ("the same, with these changes"), not a whole document
    return found


def test_every_whole_document_in_the_doc_is_a_file_under_deploy() -> None:
    files = [json.loads(p.read_text()) for p in sorted((ROOT / "deploy").rglob("*.json"))]
    shown = documents_in_the_doc()
    assert len(shown) >= 4
    for document in shown:
        assert document in files, json.dumps(document)[:200]


def test_the_doc_links_every_file_under_deploy() -> None:
    text = DOC.read_text()
    for path in (ROOT / "deploy").rglob("*.json"):
        assert str(path.relative_to(ROOT)) in text, path
