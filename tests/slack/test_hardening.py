"""Hostile `/triage` arguments through the real Bolt endpoint: each one gets
a catalogue target, the help or the "unknown" answer, and none makes the bot
contact anything but Slack.

The arguments include the address of a listening sentinel (as host:port, a
URL and a bare address): if any word ever became a host, the sentinel would
see a connection.
"""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

from bot.runbooks.catalogue import HELP_WORDS, Catalogue
from bot.runbooks.loader import load_site
from tests.peers.sentinel import accepted
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import ROOT, SECRET, running_bot

FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
FIXED = [
    "smtp-relay; rm -rf /",
    "smtp-relay && curl http://169.254.169.254/",
    "$(id)",
    "`id`",
    "${IFS}cat${IFS}/etc/passwd",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "169.254.169.254",
    "http://169.254.169.254/latest/meta-data/iam/",
    "2852039166",
    "0xa9fea9fe",
    "[::ffff:a9fe:a9fe]",
    "fd00:ec2::254",
    "metadata.google.internal",
    "127.0.0.1",
    "localhost:25",
    "file:///etc/passwd",
    "gopher://127.0.0.1:25/_HELO",
    "<!channel>",
    "<@U0ADMIN>",
    "<https://evil.example|smtp-relay>",
    "*bold* _it_ ~s~",
    "smtp-relay\nrm -rf /",
    "smtp-relay\r\nX-Injected: 1",
    "\x00smtp-relay",
    "smtp-relay\x1b[31m",
    "smtp-relay".translate(FULL_WIDTH),
    "smtp\u2010relay",  # a Unicode hyphen
    "smtp-relay\u200b",
    "имап",
    "🔥🔥🔥",
    "a" * 5000,
    "smtp-relay " + "x" * 3000,
    "imap probe-failure; id",
    "imap ../probe-failure",
    "imap /etc/passwd",
    "help me",
    "HELP",
    "?",
    "",
    "   ",
    "SMTP-RELAY",
    "Smtp-Relay",
    "ntfy",
    "imap probe-failure",
]
FRAGMENTS = [
    ";", "&&", "||", "|", "$(", ")", "`", ">", "<", "'", '"', "\\", "\n", "\t", "%00",
    "../", "~", "*", "?", "{{ vars.x }}", "{{", "}}", "http://", "https://user:pw@",
    "169.254.169.254", "0251.0376.0251.0376", "169.254.43518", "[::1]", ":80", "@",
    "smtp-relay", "imap", "ntfy", "api-list", "probe-failure", "Ä", "日本", "\u202e",
    "%2e%2e%2f", "0x7f.1", "-rf", "--config=/etc/shadow",
]  # fmt: skip


def generated(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = rng.choices(FRAGMENTS, k=rng.randint(1, 6))
        joiner = rng.choice(["", " ", "  ", "\n"])
        text = joiner.join(parts)
        texts.append(text.upper() if rng.random() < 0.2 else text)
    return texts


def expected_target(text: str, targets: dict[str, list[str]]) -> str | None:
    """The target a text names, by the rule the catalogue documents."""
    words = text.strip().lower().split()
    if not 1 <= len(words) <= 2 or (words[0] in HELP_WORDS and len(words) == 1):
        return None
    if words[0] not in targets or (len(words) == 2 and words[1] not in targets[words[0]]):
        return None
    return words[0]


async def test_hostile_arguments_answer_from_the_catalogue_and_contact_nothing(
    slack_api: SlackStandIn, tmp_path: Path, sentinel: socket.socket
) -> None:
    port = sentinel.getsockname()[1]
    aimed = [f"127.0.0.1:{port}", f"http://127.0.0.1:{port}/", f"smtp-relay 127.0.0.1:{port}"]
    texts = FIXED + aimed + generated(200)
    targets = Catalogue.load([ROOT / "runbooks"], load_site(None)).targets()
    channels = {f"C{n:04d}": text for n, text in enumerate(texts)}
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            replies = {ch: await slack.command(text, channel=ch) for ch, text in channels.items()}
            opened = {ch for ch, text in channels.items() if expected_target(text, targets)}
            # Each opened incident posts its header and step 1; wait for them all.
            await slack_api.wait_for_async(
                lambda: len(slack_api.calls("chat.postMessage")) >= 2 * len(opened) or None
            )
        incidents = [bot.store.incident(i + 1) for i in range(len(opened))]

    assert len(texts) >= 200
    for channel, reply in replies.items():
        assert reply.status_code == 200, channels[channel]
        body = reply.text
        if channel in opened:
            assert body == "", channels[channel]
            continue
        answer = json.loads(body)["blocks"]
        assert any(
            needle in json.dumps(answer)
            for needle in ("triage targets", "/triage help", "smtp-relay")
        ), channels[channel]
        assert "<!channel>" not in body and "<@U0ADMIN>" not in body
    posted = {c.args["channel"] for c in slack_api.calls("chat.postMessage")}
    assert posted == opened
    assert {i.target for i in incidents} <= set(targets)
    assert {(i.channel, i.target) for i in incidents} == {
        (ch, expected_target(channels[ch], targets)) for ch in opened
    }
    assert accepted(sentinel) == 0
