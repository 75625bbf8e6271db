"""A small Slack Web API stand-in on loopback: it answers what the bot calls
(chat.postMessage, chat.update, the files_upload_v2 trio, auth.test, response
URLs) as Slack does, and keeps the channel as it stands, for the terminal to
show. The bot talks to it through its real AsyncWebClient, over HTTP.

(tests/peers/slack holds the full stand-in the tests program and inspect;
this one records, and is product code so the demo needs no tests/.) Like
the tests' stand-in it refuses what Slack refuses (`bot.slack.limits`), with
Slack's error, and shows each refusal as a note in the terminal.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.demo.loop import LoopThread
from bot.demo.web import serve_app
from bot.slack import limits

log = logging.getLogger(__name__)

BOT_USER = "U0TRIAGE"
TEAM = "T0DEMO"
Blocks = list[dict[str, Any]]
_JSON_ARGS = frozenset({"blocks", "files", "view"})


@dataclass(frozen=True)
class SharedFile:
    """A file the bot uploaded (files_upload_v2), as the thread shows it."""

    filename: str
    title: str
    size: int
    path: Path | None = None  # where it was saved, when the recorder keeps files
    alt: str | None = None  # an image's alt text (a chart's series as sparklines)
    text: str | None = None  # the content of a text file (a timeline, a postmortem)


@dataclass(frozen=True)
class Message:
    channel: str
    ts: str
    text: str
    blocks: Blocks
    thread_ts: str | None = None
    edits: int = 0
    user: str = BOT_USER
    file: SharedFile | None = None


@dataclass(frozen=True)
class Note:
    """Something only the clicking user sees: an ephemeral reply."""

    text: str
    blocks: Blocks = field(default_factory=list)


@dataclass(frozen=True)
class View:
    """A dialog (modal) the bot opened, as Slack holds it: shown to the user
    whose click carried `trigger_id`, until submitted or closed."""

    id: str
    trigger_id: str
    body: dict[str, Any]
    hash: str


@dataclass
class _Upload:
    filename: str
    alt: str | None = None  # files_upload_v2 sends alt_txt with getUploadURLExternal
    content: bytes = b""


# What a saved file may be called: the bot's own names, made safe whatever they hold.
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class SlackRecorder:
    """Served from its own loop thread until `stop()`. Given `files`, every
    upload is also saved in that folder (created when the first arrives), so
    the terminal can say where to open it."""

    def __init__(self, files: Path | None = None) -> None:
        self.files = files
        # Held while changing what is recorded; notified on every upload, for wait_for_file.
        self._lock = threading.Condition()
        self._messages: dict[str, Message] = {}
        self._notes: list[Note] = []
        self._uploads: dict[str, _Upload] = {}
        self._views: dict[str, View] = {}
        self._opened: list[View] = []
        # User group id -> member ids, for usergroups.users.list (the console
        # fills it from --group; an unknown group is Slack's no_such_subteam).
        self.groups: dict[str, list[str]] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self.refusals: list[str] = []  # "method: error" of every payload refused
        self._thread = LoopThread("demo-slack")
        self._runner, port = self._thread.run(serve_app(self._app()))
        self.root = f"http://127.0.0.1:{port}/"
        self.url = f"{self.root}api/"

    def stop(self) -> None:
        self._thread.run(self._runner.cleanup())
        self._thread.stop()

    # Looking at it

    def messages(self) -> list[Message]:
        """Every message as it stands now, in posting order."""
        with self._lock:
            return list(self._messages.values())

    def take_notes(self) -> list[Note]:
        with self._lock:
            notes, self._notes = self._notes, []
            return notes

    def take_views(self) -> list[View]:
        """Dialogs opened or updated since last asked, oldest first."""
        with self._lock:
            opened, self._opened = self._opened, []
            return opened

    def shared_files(self) -> list[SharedFile]:
        """Every file uploaded to a channel so far, oldest first."""
        with self._lock:
            return [m.file for m in self._messages.values() if m.file is not None]

    def wait_for_file(
        self, wanted: Callable[[SharedFile], bool], timeout: float
    ) -> SharedFile | None:
        """The first uploaded file `wanted` accepts, once there is one; None
        if none arrives within `timeout` seconds. Blocks: from a coroutine,
        call it through asyncio.to_thread."""

        def found() -> SharedFile | None:
            return next((f for f in self.shared_files() if wanted(f)), None)

        with self._lock:
            return self._lock.wait_for(found, timeout)

    def note(self, note: Note) -> None:
        """An ack's reply (help, "did you mean"): a message, checked as one."""
        with self._lock:
            refusal = limits.check_message({"text": note.text, "blocks": note.blocks})
            if refusal is not None:
                self._refuse("ack", refusal)
                return
            self._notes.append(note)

    def response_url(self) -> str:
        return f"{self.root}response/{next(self._ids)}"

    def post_as(self, user: str, channel: str, text: str, blocks: Blocks | None = None) -> Message:
        """A message someone else posts (an alert from Alertmanager's Slack
        integration, say), for the bot to be told about by an event."""
        with self._lock:
            return self._store(Message(channel, self._ts(), text, blocks or [], user=user))

    # Serving it

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        # slack_sdk sends a few read methods (usergroups.users.list) as GET.
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{id}", self._response)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        args = await _arguments(request)
        method = request.match_info["method"]
        with self._lock:
            refusal = limits.check_call(method, args)
            body = self._refuse(method, refusal) if refusal else self._answer(method, args)
            self._lock.notify_all()
        return web.json_response(body)

    async def _upload(self, request: web.Request) -> web.Response:
        content = await request.read()
        with self._lock:
            upload = self._uploads.get(request.match_info["file_id"])
            if upload is not None:
                upload.content = content
        return web.Response(text=f"OK - {len(content)}")

    async def _response(self, request: web.Request) -> web.Response:
        args = await _arguments(request)
        with self._lock:
            refusal = limits.check_message(args)
            if refusal is not None:
                return web.json_response(self._refuse("response_url", refusal))
            self._notes.append(Note(str(args.get("text", "")), args.get("blocks") or []))
        return web.json_response({"ok": True})

    def _refuse(self, method: str, refusal: limits.Refusal) -> dict[str, Any]:
        """Slack's answer; and the demo says so, since the bot's users would
        see nothing at all."""
        said = f"{method}: {refusal.error} {'; '.join(refusal.messages[:2])}"
        self.refusals.append(said)
        log.warning("Slack would refuse %s", said)
        self._notes.append(Note(f"⚠️ Slack would refuse {said}"))
        return refusal.body()

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0TRIAGE"}
        if method == "chat.postMessage":
            message = Message(
                args["channel"], self._ts(), str(args.get("text", "")),
                args.get("blocks") or [], args.get("thread_ts"),
            )  # fmt: skip
            return {"ok": True, "channel": message.channel, "ts": self._store(message).ts}
        if method == "chat.update":
            old = self._messages.get(args.get("ts", ""))
            if old is None:
                return {"ok": False, "error": "message_not_found"}
            new = replace(old, text=str(args.get("text", old.text)), edits=old.edits + 1)
            self._store(replace(new, blocks=args.get("blocks", old.blocks)))
            return {"ok": True, "channel": old.channel, "ts": old.ts}
        if method == "chat.postEphemeral":
            self._notes.append(Note(str(args.get("text", "")), args.get("blocks") or []))
            return {"ok": True, "message_ts": self._ts()}
        return self._more(method, args)

    def _more(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method in ("views.open", "views.update"):
            return self._view(method, args)
        if method == "usergroups.users.list":
            return self._members(args)
        return self._files(method, args)

    def _members(self, args: dict[str, Any]) -> dict[str, Any]:
        users = self.groups.get(str(args.get("usergroup", "")))
        # https://api.slack.com/methods/usergroups.users.list#errors
        return {"ok": True, "users": users} if users is not None else _error("no_such_subteam")

    def _view(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """views.open / views.update as Slack answers them: the view back
        with its id, hash and empty state. https://api.slack.com/methods/views.open"""
        body = args.get("view")
        if isinstance(body, str):
            body = json.loads(body)
        if not isinstance(body, dict):
            return _error("invalid_arguments")
        if method == "views.open":
            view_id, trigger = f"V{next(self._ids):08d}", str(args.get("trigger_id", ""))
        elif (old := self._views.get(str(args.get("view_id", "")))) is not None:
            view_id, trigger = old.id, old.trigger_id
        else:
            return _error("not_found")  # https://api.slack.com/methods/views.update#errors
        view = View(view_id, trigger, body, f"{view_id}.{next(self._ids)}")
        self._views[view_id] = view
        self._opened.append(view)
        answer = {**body, "id": view_id, "team_id": TEAM, "hash": view.hash}
        return {"ok": True, "view": answer | {"state": {"values": {}}}}

    def _files(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            alt = args.get("alt_txt")
            self._uploads[file_id] = _Upload(str(args.get("filename", "file")), alt and str(alt))
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.root}upload/{file_id}"}
        if method == "files.completeUploadExternal":
            items = args.get("files") or []
            if any(item.get("id") not in self._uploads for item in items):
                # https://api.slack.com/methods/files.completeUploadExternal#errors
                return _error("file_not_found")
            for item in items:
                self._attach(item, args)
            return {"ok": True, "files": []}
        return {"ok": True}

    def _attach(self, item: dict[str, Any], args: dict[str, Any]) -> None:
        upload = self._uploads.pop(item["id"])
        title = str(item.get("title") or upload.filename)
        shared = SharedFile(
            upload.filename, title, len(upload.content), self._save(upload),
            alt=upload.alt, text=_text_of(upload.content),
        )  # fmt: skip
        text = f"📎 {title} ({upload.filename}, {shared.size} bytes)"
        block = {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
        channel = str(args.get("channel_id", ""))
        message = Message(channel, self._ts(), text, [block], args.get("thread_ts"), file=shared)
        self._store(message)

    def _save(self, upload: _Upload) -> Path | None:
        """The upload in the files folder, under its own name (numbered if taken)."""
        if self.files is None:
            return None
        self.files.mkdir(parents=True, exist_ok=True)
        name = _UNSAFE_NAME.sub("_", Path(upload.filename).name).lstrip(".") or "file"
        path, stem, suffix = self.files / name, Path(name).stem, Path(name).suffix
        for n in itertools.count(2):
            if not path.exists():
                break
            path = self.files / f"{stem}-{n}{suffix}"
        path.write_bytes(upload.content)
        return path

    def _store(self, message: Message) -> Message:
        self._messages[message.ts] = message
        return message

    def _ts(self) -> str:
        # Increasing and unique, as Slack's are; the demo needs no wall clock.
        return f"1700000000.{next(self._clock):06d}"


def _error(error: str) -> dict[str, Any]:
    return {"ok": False, "error": error}


def _text_of(content: bytes) -> str | None:
    """A text file's content, or None for an image (or anything not UTF-8)."""
    if b"\0" in content:
        return None
    try:
        return content.decode()
    except UnicodeDecodeError:
        return None


async def _arguments(request: web.Request) -> dict[str, Any]:
    """The call's arguments from its query string and its body: slack_sdk
    sends some methods' arguments (files.completeUploadExternal's) in the
    query string of a POST."""
    raw: dict[str, Any] = dict(request.query)
    if request.method == "GET":
        return raw
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        raw |= {k: v for k, v in form.items() if isinstance(v, str)}
    elif request.content_type == "application/json":
        raw |= dict(await request.json())
    else:
        raw |= dict(parse_qsl(await request.text(), keep_blank_values=True))
    return {
        k: json.loads(v) if k in _JSON_ARGS and isinstance(v, str) else v for k, v in raw.items()
    }
