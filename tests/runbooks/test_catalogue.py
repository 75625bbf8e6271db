"""`Catalogue.choose`: chat words only ever select a catalogue entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbooks.catalogue import Catalogue, Help, Open, Unknown
from bot.runbooks.loader import load_site

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load([ROOT / "runbooks"], load_site(None))


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?", "\n\t help \n"])
def test_nothing_or_a_help_word_asks_for_help(catalogue: Catalogue, text: str) -> None:
    assert catalogue.choose(text) == Help()


@pytest.mark.parametrize(
    ("text", "target"),
    [("smtp-relay", "smtp-relay"), ("  SMTP-Relay ", "smtp-relay"), ("ntfy\n", "ntfy")],
)
def test_a_target_name_in_any_case_opens_it_with_its_runbook(
    catalogue: Catalogue, text: str, target: str
) -> None:
    assert catalogue.choose(text) == Open(target, "probe-failure")


def test_a_target_and_the_runbook_that_covers_it_opens_it(catalogue: Catalogue) -> None:
    assert catalogue.choose("imap probe-failure") == Open("imap", "probe-failure")


def test_a_near_miss_is_unknown_with_suggestions(catalogue: Catalogue) -> None:
    choice = catalogue.choose("smtp-rely")
    assert isinstance(choice, Unknown)
    assert (choice.word, choice.suggestions) == ("smtp-rely", ["smtp-relay"])


def test_a_runbook_that_does_not_cover_the_target_is_unknown_without_echoing_it(
    catalogue: Catalogue,
) -> None:
    choice = catalogue.choose("imap <!channel>")
    assert isinstance(choice, Unknown)
    assert choice.word == "<!channel>"
    assert "<" not in choice.reason  # only `word` carries chat text, and it is escaped


@pytest.mark.parametrize(
    "text",
    [
        "smtp-relay; rm -rf /",
        "a b c",
        "x" * 65,
        "smtp-relay probe-failure extra",
    ],
)
def test_more_than_two_words_or_an_overlong_word_is_unknown(
    catalogue: Catalogue, text: str
) -> None:
    choice = catalogue.choose(text)
    assert isinstance(choice, Unknown)
    assert choice.reason == "expected a target and, optionally, a runbook"
    assert len(choice.word) <= 64


@pytest.mark.parametrize(
    "text",
    [
        "$(id)",
        "`id`",
        "../../etc/passwd",
        "169.254.169.254",
        "http://169.254.169.254/",
        "smtp-relay;",
    ],
)
def test_hostile_single_words_are_unknown_targets(catalogue: Catalogue, text: str) -> None:
    choice = catalogue.choose(text)
    assert isinstance(choice, Unknown)
    assert choice.reason == "no such target"
