"""`triage docs RUNBOOK`: the runbook as a Markdown page, on stdout."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.run import add_site_options, prepare


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "docs", help="render a runbook as Markdown (values from the site config or defaults)"
    )
    parser.add_argument("runbook", help="runbook id (looked up under runbooks/) or path")
    add_site_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from bot.docs.markdown import render_markdown

    binding, _ = prepare(args, require_values=False)
    sys.stdout.write(render_markdown(binding))
    return 0
