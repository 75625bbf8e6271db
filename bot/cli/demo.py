"""`triage demo`: a whole triage on a simulated mail stack, in seconds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="play an incident on a simulated mail stack and AWS, through the real Slack app",
    )
    parser.add_argument("--fault", type=_fault, default=None, help="scenario (see --list-faults)")
    parser.add_argument("--list-faults", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--files", type=Path, default=None, metavar="DIR",
        help="save the files the bot posts (charts, the postmortem draft) in DIR "
        "(default: a new temporary folder, named at the end)",
    )  # fmt: skip
    parser.add_argument(
        "--no-input",
        action="store_true",
        help="play to the end without asking (the default when stdin is not a terminal)",
    )
    parser.set_defaults(handler=handle)


def _fault(name: str) -> str:
    """A scenario's name, checked when given (the scenarios are not imported
    to build the parser: they pull in aiohttp, which other commands skip)."""
    from bot.demo.faults import FAULTS

    if name not in FAULTS:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {name!r} (choose from {', '.join(sorted(FAULTS))})"
        )
    return name


def handle(args: argparse.Namespace) -> int:
    from bot.demo.aws import MotoMissing
    from bot.demo.faults import DEFAULT, FAULTS
    from bot.demo.play import run_demo
    from bot.errors import INTERRUPTED, UsageError

    if args.list_faults:
        for name, fault in FAULTS.items():
            print(f"{name:<24} {fault.target:<15} {fault.summary}")
        return 0
    interactive = not args.no_input and sys.stdin.isatty()
    try:
        run_demo(
            FAULTS[args.fault or DEFAULT], out=sys.stdout,
            lines=sys.stdin if interactive else None, files=args.files,
        )  # fmt: skip
    except MotoMissing as exc:
        raise UsageError(str(exc)) from exc
    except KeyboardInterrupt:
        return INTERRUPTED
    return 0
