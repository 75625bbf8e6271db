"""Dialogs in the terminal: the confirmation modal the real renderer builds,
as the console shows it, and the stand-in's views.* answers."""

from __future__ import annotations

import httpx

from bot.actions.plan import Call, Plan
from bot.demo.slackapi import SlackRecorder, View
from bot.demo.terminal import render_view, view_buttons
from bot.slack.payloads import ButtonValue
from bot.slack.render_actions import confirm_view

PLAN = Plan(
    action_id="force-new-deployment",
    title="Replace the service's tasks",
    read=None,
    calls=[Call("ecs", "update_service", {"cluster": "mail", "forceNewDeployment": True})],
    sets="new tasks for mail",
    approval=True,
)


def test_the_confirmation_dialog_shows_state_calls_and_how_to_answer() -> None:
    modal = confirm_view(
        PLAN,
        {"running": 1, "desired": 2, "status": "ACTIVE"},
        None,
        ButtonValue(incident=1, step="x"),
    )
    text = render_view(View("V1", "t", modal, "h"))
    lines = text.splitlines()
    assert lines[0] == "╔═ dialog: Confirm the change"
    assert "║ Now: running 1 of desired 2 (ACTIVE)" in lines
    assert '║     $ ecs.update_service(cluster="mail", forceNewDeployment=true)' in lines
    assert (
        lines[-1] == "╚═ type confirm to press [Request approval]; anything else presses [Cancel]"
    )
    assert view_buttons(View("V1", "t", modal, "h")) == ("Request approval", "Cancel")


def test_views_open_and_update_answer_as_slack_does() -> None:
    recorder = SlackRecorder()
    try:
        # A view needs at least one block (the stand-in refuses an empty one, as Slack does).
        section = {"type": "section", "text": {"type": "mrkdwn", "text": "state"}}
        view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": [section]}
        opened = httpx.post(
            f"{recorder.url}views.open", json={"trigger_id": "tr1", "view": view}
        ).json()
        assert opened["ok"] and opened["view"]["id"].startswith("V") and opened["view"]["hash"]
        again = {
            "view_id": opened["view"]["id"],
            "view": view | {"blocks": [section, {"type": "divider"}]},
        }
        assert httpx.post(f"{recorder.url}views.update", json=again).json()["ok"]
        missing = httpx.post(f"{recorder.url}views.update", json={"view_id": "V404", "view": view})
        assert missing.json() == {"ok": False, "error": "not_found"}
        shown = recorder.take_views()
        assert [v.trigger_id for v in shown] == ["tr1", "tr1"] and shown[1].body["blocks"]
        assert recorder.take_views() == []
    finally:
        recorder.stop()


def test_usergroups_users_list_answers_known_groups_and_refuses_others() -> None:
    recorder = SlackRecorder()
    try:
        recorder.groups["S0ONCALL"] = ["U0YOU"]
        known = httpx.get(f"{recorder.url}usergroups.users.list", params={"usergroup": "S0ONCALL"})
        assert known.json() == {"ok": True, "users": ["U0YOU"]}
        other = httpx.get(f"{recorder.url}usergroups.users.list", params={"usergroup": "S0NONE"})
        assert other.json() == {"ok": False, "error": "no_such_subteam"}
    finally:
        recorder.stop()
