"""`triage schema [--site]`: the runbook format (or the site config's) as
JSON Schema, for editors and CI."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.runbooks.schema import Runbook
from bot.runbooks.site import SiteConfig

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser("schema", help="print the runbook (or site config) JSON Schema")
    parser.add_argument("--site", action="store_true", help="the site config's schema instead")
    parser.set_defaults(handler=handle)


def runbook_schema() -> dict[str, Any]:

    schema = Runbook.model_json_schema(by_alias=True)
    schema["$schema"] = DRAFT
    schema["title"] = "triage runbook"
    return schema


def site_schema() -> dict[str, Any]:
    schema = SiteConfig.model_json_schema(by_alias=True)
    schema["$schema"] = DRAFT
    schema["title"] = "triage site config"
    return schema


def handle(args: argparse.Namespace) -> int:
    schema = site_schema() if args.site else runbook_schema()
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0
