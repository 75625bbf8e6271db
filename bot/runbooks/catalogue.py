"""Every runbook the bot carries, bound to the site, and the targets they
cover: what `/triage <target> [runbook]` chooses from.

Words from a chat message only ever *select* an entry here by exact name;
they never become a host, a URL or a command.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.runbooks.binding import BindError, Binding, bind, site_problems
from bot.runbooks.loader import load_runbook, runbook_files
from bot.runbooks.schema import Runbook
from bot.runbooks.site import SiteConfig

HELP_WORDS = frozenset({"", "help", "?"})
_MAX_WORD = 64
_HELP_WORDS_MAX = 6


@dataclass(frozen=True)
class Help:
    query: str = ""  # `/triage help smtp`: only what matches


@dataclass(frozen=True)
class HelpEntry:
    """One target of one runbook, as `/triage help` lists it."""

    runbook: str
    runbook_title: str
    target: str
    title: str

    @property
    def haystack(self) -> str:
        """What a help search looks in."""
        return f"{self.target} {self.title} {self.runbook} {self.runbook_title}".lower()


@dataclass(frozen=True)
class Open:
    target: str
    runbook: str


@dataclass(frozen=True)
class Unknown:
    word: str
    suggestions: list[str]
    reason: str


Choice = Help | Open | Unknown


class Catalogue:
    def __init__(self, runbooks: Iterable[Runbook], site: SiteConfig) -> None:
        self.site = site
        self.bindings: dict[str, Binding] = {}
        for runbook in runbooks:
            if runbook.id in self.bindings:
                raise ValueError(f"two runbooks have the id {runbook.id!r}")
            self.bindings[runbook.id] = bind(runbook, site)
        problems = site_problems((b.runbook for b in self.bindings.values()), site)
        if problems:
            raise BindError(problems)

    @classmethod
    def load(cls, paths: Iterable[Path], site: SiteConfig) -> Catalogue:
        return cls((load_runbook(p) for p in runbook_files(paths)), site)

    def targets(self) -> dict[str, list[str]]:
        """Target name -> ids of the runbooks that cover it, sorted."""
        covered: dict[str, list[str]] = {}
        for runbook_id, binding in sorted(self.bindings.items()):
            for name in binding.targets:
                covered.setdefault(name, []).append(runbook_id)
        return dict(sorted(covered.items()))

    def entries(self) -> list[HelpEntry]:
        """Every runbook's targets, runbooks by id, targets in catalogue order."""
        return [
            HelpEntry(runbook_id, b.runbook.title, name, str(view["title"]))
            for runbook_id, b in sorted(self.bindings.items())
            for name, view in b.targets.items()
        ]

    def title(self, target: str) -> str:
        runbook = self.targets()[target][0]
        return str(self.bindings[runbook].targets[target]["title"])

    def choose(self, text: str) -> Choice:
        """What a chat command's text asks for."""
        words = text.strip().lower().split()
        if not words or (words[0] in HELP_WORDS and len(words) <= _HELP_WORDS_MAX):
            # `help smtp`: the words after it search the catalogue.
            return Help(" ".join(w[:_MAX_WORD] for w in words[1:]))
        if len(words) > 2 or any(len(w) > _MAX_WORD for w in words):
            return Unknown(
                text.strip()[:_MAX_WORD], [], "expected a target and, optionally, a runbook"
            )
        targets = self.targets()
        target, runbook = words[0], (words[1] if len(words) == 2 else None)
        if target not in targets:
            close = difflib.get_close_matches(target, targets, n=3, cutoff=0.5)
            return Unknown(target, close, "no such target")
        if runbook is None:
            return Open(target, targets[target][0])
        if runbook not in targets[target]:
            # The reason is rendered as is; only `word` (escaped) carries chat text.
            return Unknown(runbook, targets[target], f"no runbook of that name covers {target}")
        return Open(target, runbook)
