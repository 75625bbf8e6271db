"""`triage demo`: the simulated stack up, one incident played through the
real Slack app, everything down again."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TextIO

from bot.demo import stack
from bot.demo.alert import alert_text
from bot.demo.chat import Chat
from bot.demo.faults import Fault
from bot.demo.local import files_folder, local_slack
from bot.demo.session import Session, repl
from bot.demo.slackapi import SharedFile
from bot.demo.terminal import Click
from bot.errors import TriageError
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import find_runbook, load_runbook, load_site
from bot.slack.payloads import Act

RUNBOOK = "probe-failure"
# Three steps, each run and then left by Next: a dozen clicks is plenty; the
# cap only guards against a runbook whose steps point at each other.
MAX_CLICKS = 12
MONITORING_USER = "U0ALERTMANAGER"
MONITORING_BOT = "B0ALERTMANAGER"
# Resolve posts the postmortem draft after the resolve is shown; the demo is
# not over until it is in the thread. A deadline, not a pause: it is usually
# there already when the click has been handled.
POSTMORTEM_WAIT_S = 30.0


async def open_incident(session: Session, fault: Fault, binding: Binding) -> None:
    """How the demo's incident starts: the monitoring posts an alert in the
    channel the bot watches, and the bot triages it in the alert's thread."""
    chat = session.chat
    text = alert_text(binding, fault.target)
    message = chat.slack.post_as(MONITORING_USER, chat.channel, text)
    await chat.event({
        "type": "message", "subtype": "bot_message", "bot_id": MONITORING_BOT,
        "username": "Alertmanager", "channel": chat.channel, "ts": message.ts, "text": text,
    })  # fmt: skip
    session.show()


def run_demo(fault: Fault, *, out: TextIO, lines: TextIO | None, files: Path | None = None) -> None:
    """Play `fault` to the end (or, given `lines`, let the user click). The
    files the bot posts are saved in `files` (default: a new temporary folder)."""
    started = time.monotonic()
    _intro(fault, out)
    with (
        files_folder(files, "triage-demo-files-") as folder,
        stack.running(fault.spec, fault.target) as sim,
    ):
        # The chat's channel is also the alert channel the bot watches.
        site = load_site(None, [*sim.site_sets(), f"alerts.channels=[{Chat.CHANNEL}]"])
        catalogue = Catalogue([load_runbook(find_runbook(RUNBOOK))], site)
        with local_slack(catalogue, site, sim.folder / "triage.db", files=folder) as chat:
            session = Session(chat, out)
            asyncio.run(_play(session, fault, lines, catalogue.bindings[RUNBOOK]))
    elapsed = time.monotonic() - started
    saved = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    if saved:
        print(f"The files the bot posted are in {folder}: {', '.join(saved)}", file=out)
    print(f"Demo finished in {elapsed:.1f} s; simulated servers stopped.", file=out, flush=True)


async def _play(session: Session, fault: Fault, lines: TextIO | None, binding: Binding) -> None:
    await open_incident(session, fault, binding)
    if lines is not None:
        await repl(session, lines, prompt=lambda: print("> ", end="", file=session.out, flush=True))
        return
    await play_to_the_end(session)
    await wait_for_postmortem(session)


async def wait_for_postmortem(session: Session) -> SharedFile:
    """The postmortem draft Resolve posts, once it is in the thread."""
    wait = session.chat.slack.wait_for_file
    draft = await asyncio.to_thread(wait, _is_postmortem, POSTMORTEM_WAIT_S)
    if draft is None:
        raise TriageError(
            f"no postmortem draft in the thread {POSTMORTEM_WAIT_S:g} s after Resolve"
        )
    session.show()
    return draft


def _is_postmortem(file: SharedFile) -> bool:
    return file.filename.endswith("-postmortem.md")


async def play_to_the_end(session: Session) -> None:
    """Walk through each step in turn (Run step, Next step), then Resolve."""
    await _press(session, Act.WALK)
    for _ in range(MAX_CLICKS):
        click = _next_click(session)
        if click is None:
            break
        await session.press(click)
    await _press(session, Act.RESOLVE)


def _next_click(session: Session) -> Click | None:
    clicks = session.screen.clicks
    run = [c for c in clicks if c.action_id == Act.RUN_STEP]
    if run:
        return run[0]
    ahead = [
        c
        for c in clicks
        if c.action_id == Act.NEXT and (c.message_ts, c.action_id) not in session.pressed
    ]
    return ahead[-1] if ahead else None


async def _press(session: Session, act: Act) -> None:
    click = next((c for c in session.screen.clicks if c.action_id == act), None)
    if click is None:
        raise RuntimeError(f"no {act.value} button in the thread")
    await session.press(click)


def _intro(fault: Fault, out: TextIO) -> None:
    print(
        f"triage demo: a simulated mail stack and AWS on 127.0.0.1, one fault injected.\n"
        f"Fault {fault.name!r}: {fault.summary}.\n"
        f"The bot is the real Slack app; this terminal plays Slack.\n",
        file=out,
        flush=True,
    )
