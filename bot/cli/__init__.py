"""`triage` command line: one module per subcommand, each with `add(subparsers)`.

A subcommand module imports only argparse-level things at its top; what its
handler needs (the engine, Slack, boto3...) it imports in the handler, then
calls `bot.cli.startup.imports_done()`. Building the parser thus stays cheap for every
command (`triage lint` of 200 runbooks: bench/lint_shelf.py), and
tests/cli/test_lazy_imports.py keeps it so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import __version__, logs, redact
from bot.cli import audit, console, demo, docs, lint, rehearse, run, schema, serve
from bot.cli import timeline as timeline_cli
from bot.errors import USAGE, TriageError

# The registration table: add a subcommand module here (and keep its top light).
COMMANDS = (run, lint, schema, rehearse, serve, docs, demo, console, audit, timeline_cli)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # A long-running command (serve) says more by default than a one-shot one.
    logs.configure(level=getattr(args, "log_level", None))
    # Secrets from the environment are masked in every log record; commands
    # that load a site config add the names it marks secret.
    redact.install(redact.Redactor.from_env())
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return USAGE
    try:
        code: int = args.handler(args)
    except TriageError as exc:
        # The one place a failure becomes a line on stderr and an exit code.
        print(f"triage {args.command}: {exc.message}", file=sys.stderr)
        return exc.code
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triage", description="Runbooks as guided, executable incident triage."
    )
    parser.add_argument("--version", action="version", version=f"triage {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for command in COMMANDS:
        command.add(subparsers)
    return parser
