"""How the stand-in answers each Web API method: one function per method and
one table. Shapes follow docs.slack.dev/reference/methods; a method missing
from the table answers {"ok": true}."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.peers.slack.workspace import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    Message,
    Upload,
    Workspace,
)

Args = dict[str, Any]
Body = dict[str, Any]
Answer = Callable[[Workspace, Args], Body]


def error(code: str) -> Body:
    return {"ok": False, "error": code}


def auth_test(ws: Workspace, args: Args) -> Body:
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": "Triage Test",
        "user": "triage",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def chat_post_message(ws: Workspace, args: Args) -> Body:
    channel = args.get("channel")
    if not channel:
        return error("channel_not_found")
    if not any(args.get(key) for key in ("text", "blocks", "attachments")):
        return error("no_text")
    message = ws.store(
        Message(channel, ws.next_ts(), args.get("text"), args.get("blocks"), args.get("thread_ts"))
    )
    return {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_slack()}


def chat_update(ws: Workspace, args: Args) -> Body:
    old = ws.find(args.get("channel", ""), args.get("ts", ""))
    if old is None:
        return error("message_not_found")
    # Slack keeps whatever the update leaves out; an empty `blocks` removes them.
    new = ws.store(
        replace(
            old,
            text=args.get("text", old.text),
            blocks=args.get("blocks", old.blocks),
            edits=old.edits + 1,
        )
    )
    return {
        "ok": True,
        "channel": new.channel,
        "ts": new.ts,
        "text": new.text or "",
        "message": new.as_slack(),
    }


def chat_delete(ws: Workspace, args: Args) -> Body:
    channel, ts = args.get("channel", ""), args.get("ts", "")
    if ws.channels.get(channel, {}).pop(ts, None) is None:
        return error("message_not_found")
    return {"ok": True, "channel": channel, "ts": ts}


def chat_post_ephemeral(ws: Workspace, args: Args) -> Body:
    if not args.get("channel"):
        return error("channel_not_found")
    if not args.get("user"):
        return error("user_not_in_channel")
    return {"ok": True, "message_ts": ws.next_ts()}


def chat_get_permalink(ws: Workspace, args: Args) -> Body:
    message = ws.find(args.get("channel", ""), args.get("message_ts", ""))
    if message is None:
        return error("message_not_found")
    return {"ok": True, "channel": message.channel, "permalink": ws.permalink(message)}


def conversations_info(ws: Workspace, args: Args) -> Body:
    channel = args.get("channel")
    if not channel:
        return error("channel_not_found")
    return {
        "ok": True,
        "channel": {
            "id": channel,
            "name": f"triage-{channel.lower()}",
            "is_channel": True,
            "is_im": channel.startswith("D"),
            "is_private": False,
            "is_archived": False,
            "is_member": True,
            "context_team_id": TEAM_ID,
        },
    }


def users_info(ws: Workspace, args: Args) -> Body:
    user = args.get("user")
    if not user:
        return error("user_not_found")
    name = user.lower()
    return {
        "ok": True,
        "user": {
            "id": user,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": f"User {user}",
            "tz": "Europe/Paris",
            "is_bot": user == BOT_USER_ID,
            "profile": {"real_name": f"User {user}", "display_name": name},
        },
    }


def views_open(ws: Workspace, args: Args) -> Body:
    return _view(args, ws.new_id("V"))


def views_update(ws: Workspace, args: Args) -> Body:
    return _view(args, args.get("view_id") or ws.new_id("V"))


def _view(args: Args, view_id: str) -> Body:
    view = args.get("view")
    if not isinstance(view, dict):
        return error("invalid_arguments")
    return {
        "ok": True,
        "view": {
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "external_id": args.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{view_id}.hash",
            "root_view_id": view_id,
        },
    }


def files_get_upload_url_external(ws: Workspace, args: Args) -> Body:
    filename, length = args.get("filename"), args.get("length")
    if not filename or length is None:
        return error("invalid_arguments")
    file_id = ws.new_id("F")
    ws.uploads[file_id] = Upload(file_id, filename, int(length))
    return {"ok": True, "upload_url": f"{ws.root_url}upload/v1/{file_id}", "file_id": file_id}


def files_complete_upload_external(ws: Workspace, args: Args) -> Body:
    wanted = args.get("files")
    if isinstance(wanted, str):
        wanted = json.loads(wanted)
    if not wanted or any(item.get("id") not in ws.uploads for item in wanted):
        return error("file_not_found")
    done = [_complete(ws, item, args) for item in wanted]
    return {"ok": True, "files": [_file_object(ws, upload) for upload in done]}


def _complete(ws: Workspace, item: dict[str, Any], args: Args) -> Upload:
    upload = replace(
        ws.uploads[item["id"]],
        title=item.get("title"),
        channel_id=args.get("channel_id"),
        thread_ts=args.get("thread_ts"),
        initial_comment=args.get("initial_comment"),
        completed=True,
    )
    ws.uploads[upload.file_id] = upload
    return upload


def _file_object(ws: Workspace, upload: Upload) -> Body:
    return {
        "id": upload.file_id,
        "name": upload.filename,
        "title": upload.title or upload.filename,
        "size": len(upload.content or b""),
        "user": BOT_USER_ID,
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{upload.file_id}",
    }


def apps_connections_open(ws: Workspace, args: Args) -> Body:
    if ws.connect_url is None:
        # Not a Slack error: says plainly that the test forgot `slack_socket_mode`.
        return error("socket_mode_stand_in_not_running")
    return {"ok": True, "url": ws.connect_url()}


ANSWERS: dict[str, Answer] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "conversations.info": conversations_info,
    "users.info": users_info,
    "views.open": views_open,
    "views.push": views_open,
    "views.update": views_update,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "apps.connections.open": apps_connections_open,
}
# Methods that take the app-level (xapp-) token instead of the bot token.
APP_LEVEL = frozenset({"apps.connections.open"})


def _ok(ws: Workspace, args: Args) -> Body:
    return {"ok": True}


def answer(ws: Workspace, method: str, args: Args) -> Body:
    return ANSWERS.get(method, _ok)(ws, args)
