"""What Slack refuses, checked the way Slack checks it: one set of rules for
the tests' Web API stand-in, the demo's recorder and the renderers' own tests.

Each limit names the page of Slack's documentation it comes from. `check_call`
answers what Slack would: None (accepted), or the error code Slack answers
(`invalid_blocks`, `msg_too_long`, `no_text`, `invalid_arguments`...) with
messages shaped like Slack's `response_metadata.messages`.

One rule is ours, not Slack's (Slack would accept and ping everyone): markup
in mrkdwn must be markup the bot built. See `unsafe_markup`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# https://docs.slack.dev/reference/block-kit/blocks: "up to 50 blocks in each
# message, and 100 blocks in modals or Home tabs".
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
# https://docs.slack.dev/reference/methods/chat.postMessage: text beyond
# 40,000 characters is refused with `msg_too_long`.
TEXT_MAX = 40_000
# Not documented; reported by users (github.com/slackapi/bolt-js/issues/2509)
# as `msg_blocks_too_long` from about 13,000 characters of block text.
BLOCKS_TEXT_MAX = 12_000
# https://docs.slack.dev/reference/block-kit/blocks/section-block: text 1-3,000,
# fields at most 10 of at most 2,000 each.
SECTION_TEXT_MAX = 3000
SECTION_FIELDS = 10
FIELD_TEXT_MAX = 2000
# https://docs.slack.dev/reference/block-kit/blocks/header-block: plain_text, at most 150.
HEADER_MAX = 150
# https://docs.slack.dev/reference/block-kit/blocks/context-block: at most 10 elements.
CONTEXT_ELEMENTS = 10
# https://docs.slack.dev/reference/block-kit/blocks/actions-block: at most 25 elements.
ACTIONS_ELEMENTS = 25
# https://docs.slack.dev/reference/block-kit/block-elements/button-element:
# text at most 75, value at most 2,000, action_id at most 255, url at most 3,000.
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTION_ID_MAX = 255
URL_MAX = 3000
# https://docs.slack.dev/reference/block-kit/blocks (every block): block_id at
# most 255, unique within a message; action_id unique within its block.
BLOCK_ID_MAX = 255
# https://docs.slack.dev/reference/views/modal-views: title, submit and close at
# most 24; private_metadata and callback_id at most 3,000 and 255.
MODAL_LABEL_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255

# Methods whose arguments are a message (blocks and/or text).
MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}
)
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})

# https://docs.slack.dev/messaging/formatting-message-text: `<...>` is markup
# (mentions, links, `<!here>`). The bot writes only these forms: a user mention
# from the mention helper, and a link to an http(s) URL with a label.
MENTION = re.compile(r"<@[UW][A-Z0-9]{1,20}>")
LINK = re.compile(r"<https?://[^\s<>|]{1,3000}(?:\|[^<>|]{1,300})?>")
# The error of the one rule that is ours: Slack itself would accept and ping.
UNSAFE_MARKUP = "triage_unsafe_markup"


@dataclass(frozen=True)
class Refusal:
    error: str
    messages: list[str] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, "response_metadata": {"messages": self.messages}}


@dataclass(frozen=True)
class Measure:
    """How big an accepted payload was: for the suite's tally."""

    blocks: int
    chars: int  # fallback text plus every text in the blocks


def check_call(method: str, args: Mapping[str, Any]) -> Refusal | None:
    if method in MESSAGE_METHODS:
        return check_message(args, update=method == "chat.update")
    if method in VIEW_METHODS:
        return check_view(args.get("view"))
    return None


def check_message(args: Mapping[str, Any], *, update: bool = False) -> Refusal | None:
    """chat.postMessage / chat.update / chat.postEphemeral / a response_url post."""
    text, blocks = args.get("text"), args.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        return Refusal("invalid_blocks_format", ["[ERROR] blocks must be an array"])
    # Stricter than Slack, which only needs one of them: without `text` the
    # notification and screen readers get nothing (chat.postMessage docs,
    # "text ... used as fallback"). Hence the error Slack gives for none.
    # (An update that leaves both out changes neither.)
    edits_nothing = update and "text" not in args and blocks is None
    if not edits_nothing and (not isinstance(text, str) or not text.strip()):
        return Refusal("no_text", ["[ERROR] a fallback `text` is required"])
    if isinstance(text, str) and len(text) > TEXT_MAX:
        return Refusal("msg_too_long", [f"[ERROR] text is {len(text)} > {TEXT_MAX} characters"])
    problems = list(_block_list(blocks or [], MESSAGE_BLOCKS, "/blocks"))
    if problems:
        return Refusal("invalid_blocks", problems)
    if sum(len(t) for t in _texts(blocks or [])) > BLOCKS_TEXT_MAX:
        return Refusal("msg_blocks_too_long", [f"[ERROR] blocks hold > {BLOCKS_TEXT_MAX} chars"])
    unsafe = unsafe_markup(mrkdwn_texts(args))
    return Refusal(UNSAFE_MARKUP, unsafe) if unsafe else None


def check_view(view: Any) -> Refusal | None:
    """views.open / views.push / views.update: a modal."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return Refusal("invalid_arguments", ["[ERROR] view must be a modal object [/view]"])
    problems: list[str] = []
    for name in ("title", "submit", "close"):
        label = view.get(name)
        if label is None:
            if name == "title":
                problems.append("[ERROR] a title is required [/view/title]")
            continue
        problems += _plain(label, MODAL_LABEL_MAX, f"/view/{name}")
    problems += _max(view.get("private_metadata"), PRIVATE_METADATA_MAX, "/view/private_metadata")
    problems += _max(view.get("callback_id"), CALLBACK_ID_MAX, "/view/callback_id")
    problems += _block_list(view.get("blocks") or [], MODAL_BLOCKS, "/view/blocks")
    if not problems:
        try:
            View(**view).validate_json()
        except (SlackObjectFormationError, TypeError) as exc:
            problems.append(f"[ERROR] {exc} [/view]")
    problems += unsafe_markup(_texts(view.get("blocks") or [], mrkdwn_only=True))
    return Refusal("invalid_arguments", problems) if problems else None


def measure(args: Mapping[str, Any]) -> Measure:
    blocks = args.get("blocks") or (args.get("view") or {}).get("blocks") or []
    text = args.get("text") if isinstance(args.get("text"), str) else ""
    return Measure(len(blocks), len(text or "") + sum(len(t) for t in _texts(blocks)))


def mrkdwn_texts(args: Mapping[str, Any]) -> list[str]:
    """Every text Slack reads as mrkdwn: the fallback `text` and mrkdwn objects."""
    text = args.get("text")
    found = [text] if isinstance(text, str) else []
    return found + list(_texts(args.get("blocks") or [], mrkdwn_only=True))


def unsafe_markup(texts: Iterator[str] | list[str]) -> list[str]:
    """Every `<...>` that is not a mention or link the bot builds (a stray
    `<!channel>`, `<@alert:kuma>`, a runbook's `<target>`): each one pings
    people or breaks the markup, and means text from outside went unescaped."""
    found: list[str] = []
    for text in texts:
        rest = LINK.sub("", MENTION.sub("", text))
        if "<" in rest or ">" in rest:
            at = rest.find("<") if "<" in rest else rest.find(">")
            found.append(f"[ERROR] unescaped markup {rest[at : at + 40]!r}")
    return found


# Blocks


def _block_list(blocks: list[Any], most: int, where: str) -> list[str]:
    if len(blocks) > most:
        return [f"[ERROR] {len(blocks)} blocks; no more than {most} items allowed [{where}]"]
    problems: list[str] = []
    seen: set[str] = set()
    for n, block in enumerate(blocks):
        at = f"{where}/{n}"
        if not isinstance(block, dict):
            problems.append(f"[ERROR] a block must be an object [{at}]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen:
                problems.append(f"[ERROR] duplicate block_id {block_id!r} [{at}/block_id]")
            seen.add(block_id)
        problems += _max(block_id, BLOCK_ID_MAX, f"{at}/block_id")
        problems += _block(block, at)
    return problems


def _block(block: dict[str, Any], at: str) -> list[str]:
    kind = block.get("type")
    rules = {
        "section": _section,
        "header": _header,
        "context": _context,
        "actions": _actions,
        "divider": _divider,
    }
    rule = rules.get(str(kind))
    if rule is None:
        return [f"[ERROR] unsupported block type {kind!r} [{at}/type]"]
    problems = rule(block, at)
    if not problems:
        # slack_sdk's own model checks, as the Python SDK's users get them.
        try:
            parsed = Block.parse(block)
            if parsed is None:
                return [f"[ERROR] slack_sdk cannot parse the block [{at}]"]
            parsed.validate_json()
        except SlackObjectFormationError as exc:
            problems.append(f"[ERROR] {exc} [{at}]")
    return problems


def _section(block: dict[str, Any], at: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        return [f"[ERROR] a section needs text or fields [{at}]"]
    problems = _text(text, SECTION_TEXT_MAX, f"{at}/text") if text is not None else []
    if fields:
        if len(fields) > SECTION_FIELDS:
            problems.append(f"[ERROR] more than {SECTION_FIELDS} fields [{at}/fields]")
        for n, item in enumerate(fields):
            problems += _text(item, FIELD_TEXT_MAX, f"{at}/fields/{n}")
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        problems += _element(accessory, f"{at}/accessory")
    return problems


def _divider(block: dict[str, Any], at: str) -> list[str]:
    return []


def _header(block: dict[str, Any], at: str) -> list[str]:
    return _plain(block.get("text"), HEADER_MAX, f"{at}/text")


def _context(block: dict[str, Any], at: str) -> list[str]:
    elements = block.get("elements") or []
    if not elements or len(elements) > CONTEXT_ELEMENTS:
        return [f"[ERROR] a context holds 1 to {CONTEXT_ELEMENTS} elements [{at}/elements]"]
    problems: list[str] = []
    for n, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
            problems += _text(element, SECTION_TEXT_MAX, f"{at}/elements/{n}")
    return problems


def _actions(block: dict[str, Any], at: str) -> list[str]:
    elements = block.get("elements") or []
    if not elements or len(elements) > ACTIONS_ELEMENTS:
        return [f"[ERROR] actions hold 1 to {ACTIONS_ELEMENTS} elements [{at}/elements]"]
    problems: list[str] = []
    seen: set[str] = set()
    for n, element in enumerate(elements):
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str):
            if action_id in seen:
                problems.append(f"[ERROR] duplicate action_id {action_id!r} [{at}/elements/{n}]")
            seen.add(action_id)
        problems += _element(element, f"{at}/elements/{n}")
    return problems


def _element(element: Any, at: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"[ERROR] an element must be an object [{at}]"]
    problems = _max(element.get("action_id"), ACTION_ID_MAX, f"{at}/action_id")
    if element.get("type") == "button":
        problems += _plain(element.get("text"), BUTTON_TEXT_MAX, f"{at}/text")
        problems += _max(element.get("value"), BUTTON_VALUE_MAX, f"{at}/value")
        problems += _max(element.get("url"), URL_MAX, f"{at}/url")
    return problems


# Text objects: https://docs.slack.dev/reference/block-kit/composition-objects/text-object


def _text(obj: Any, most: int, at: str) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("mrkdwn", "plain_text"):
        return [f"[ERROR] a text object needs type mrkdwn or plain_text [{at}]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"[ERROR] must be more than 0 characters [{at}/text]"]
    return _max(text, most, f"{at}/text")


def _plain(obj: Any, most: int, at: str) -> list[str]:
    if isinstance(obj, dict) and obj.get("type") != "plain_text":
        return [f"[ERROR] must be a plain_text object [{at}]"]
    return _text(obj, most, at)


def _max(value: Any, most: int, at: str) -> list[str]:
    if isinstance(value, str) and len(value) > most:
        return [f"[ERROR] must be less than {most + 1} characters [{at}]"]
    return []


def _texts(node: Any, *, mrkdwn_only: bool = False) -> Iterator[str]:
    """Every text object's text under `node`, depth first."""
    if isinstance(node, list):
        for item in node:
            yield from _texts(item, mrkdwn_only=mrkdwn_only)
    elif isinstance(node, dict):
        kind, text = node.get("type"), node.get("text")
        if kind in ("mrkdwn", "plain_text") and isinstance(text, str):
            if kind == "mrkdwn" or not mrkdwn_only:
                yield text
            return
        for value in node.values():
            if isinstance(value, (list, dict)):
                yield from _texts(value, mrkdwn_only=mrkdwn_only)
