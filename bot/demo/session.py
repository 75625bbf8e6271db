"""A chat in the terminal: shows the thread as it changes and sends the
user's choices to the app, typed or scripted."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TextIO

from bot.demo.chat import Chat
from bot.demo.slackapi import View
from bot.demo.terminal import (
    CONFIRM,
    WIDTH,
    Click,
    Screen,
    render_note,
    render_thread,
    render_view,
    view_buttons,
)

PROMPT = "> "
HINT = (
    "type /triage <target> (or help), a button's number or label, `as U0OTHER` to act as"
    " someone else, r to redraw, q to quit"
)
QUIT = frozenset({"q", "quit", "exit"})
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class Session:
    def __init__(self, chat: Chat, out: TextIO, *, width: int = WIDTH) -> None:
        self.chat = chat
        self.out = out
        self.width = width
        self.screen = Screen([], [])
        self._shown_dialog: str | None = None
        self._first_user = chat.user
        self.pressed: set[tuple[str, str]] = set()
        self._seen: dict[str, int] = {}  # ts -> edits already shown
        self.dialog: View | None = None  # open until confirmed or closed

    def show(self, *, everything: bool = False) -> Screen:
        """Print what is new or edited since last time (all with `everything`)."""
        self.screen = render_thread(self.chat.slack.messages(), width=self.width)
        for note in self.chat.slack.take_notes():
            self._print(render_note(note, width=self.width))
        for shown in self.screen.shown:
            message = shown.message
            if everything or self._seen.get(message.ts) != message.edits:
                self._print(shown.text)
            self._seen[message.ts] = message.edits
        for view in self.chat.slack.take_views():
            self.dialog = view
        if self.dialog is not None and (everything or self.dialog.id != self._shown_dialog):
            self._print(render_view(self.dialog, width=self.width))
            self._shown_dialog = self.dialog.id
        return self.screen

    async def answer_dialog(self, word: str) -> None:
        """`confirm` (or the submit label) submits the open dialog; anything
        else closes it, as its Cancel button does."""
        view, self.dialog = self.dialog, None
        if view is None:
            return
        submit, close = view_buttons(view)
        if submit and word.lower() in (CONFIRM, submit.lower()):
            self._print(f"▶ [{submit}] as @{self.chat.user}")
            await self.chat.submit(view)
            self.show()
        else:
            self._print(f"▶ [{close}]: dialog closed, nothing changed")

    def act_as(self, user: str) -> None:
        if not _USER_ID.match(user):
            self.say(f"? {user!r} is not a Slack user id (like U0OTHER)")
            return
        self.chat.user = user
        self._print(f"▶ you are now @{user}")

    async def command(self, text: str) -> None:
        self._print(f"▶ /triage {text}".rstrip())
        await self.chat.command(text)
        self.show()

    async def press(self, click: Click) -> None:
        number = self.screen.clicks.index(click) + 1 if click in self.screen.clicks else "?"
        who = f" (as @{self.chat.user})" if self.chat.user != self._first_user else ""
        self._print(f"▶ [{number}] {click.label}{who}")
        self.pressed.add((click.message_ts, click.action_id))
        await self.chat.click(click)
        self.show()

    def say(self, text: str) -> None:
        self._print(text)

    def _print(self, text: str) -> None:
        print(text + "\n", file=self.out, flush=True)


async def repl(session: Session, lines: TextIO, *, prompt: Callable[[], None]) -> None:
    """Read commands until q or the end of input."""
    while True:
        prompt()
        line = lines.readline()
        if not line:
            return
        word = line.strip()
        if word.lower() in QUIT:
            return
        await _one(session, word)


async def _one(session: Session, word: str) -> None:
    clicks = session.screen.clicks
    if session.dialog is not None and word.lower() != "r":
        await session.answer_dialog(word)
    elif word.lower().startswith("as "):
        session.act_as(word[3:].strip())
    elif word.isdigit() and 1 <= int(word) <= len(clicks):
        await session.press(clicks[int(word) - 1])
    elif word.startswith("/triage"):
        await session.command(word.removeprefix("/triage").strip())
    elif word.lower() in ("help", "?"):
        await session.command("help")
    elif word.lower() == "r":
        session.show(everything=True)
    elif labelled := [c for c in clicks if c.label.lower() == word.lower()]:
        # By label, the latest such button: the step most recently posted.
        await session.press(labelled[-1])
    elif word:
        session.say(f"? {word!r}: {HINT}")
