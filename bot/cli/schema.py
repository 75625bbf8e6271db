"""`triage schema`: the runbook format as JSON Schema, for editors."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("schema", help="print the runbook JSON Schema")
    parser.set_defaults(handler=handle)


def runbook_schema() -> dict[str, Any]:
    from bot.runbooks.schema import Runbook

    schema = Runbook.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "triage runbook"
    return schema


def handle(args: argparse.Namespace) -> int:
    print(json.dumps(runbook_schema(), indent=2, sort_keys=True))
    return 0
