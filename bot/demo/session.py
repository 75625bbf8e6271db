"""A chat in the terminal: shows the thread as it changes and sends the
user's choices to the app, typed or scripted."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.demo.chat import Chat
from bot.demo.terminal import WIDTH, Click, Screen, render_note, render_thread

PROMPT = "> "
HINT = "type /triage <target> (or help), a button's number or label, r to redraw, q to quit"
QUIT = frozenset({"q", "quit", "exit"})


class Session:
    def __init__(self, chat: Chat, out: TextIO, *, width: int = WIDTH) -> None:
        self.chat = chat
        self.out = out
        self.width = width
        self.screen = Screen([], [])
        self.pressed: set[tuple[str, str]] = set()
        self._seen: dict[str, int] = {}  # ts -> edits already shown

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
        return self.screen

    async def command(self, text: str) -> None:
        self._print(f"▶ /triage {text}".rstrip())
        await self.chat.command(text)
        self.show()

    async def press(self, click: Click) -> None:
        number = self.screen.clicks.index(click) + 1 if click in self.screen.clicks else "?"
        self._print(f"▶ [{number}] {click.label}")
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
    if word.isdigit() and 1 <= int(word) <= len(clicks):
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
