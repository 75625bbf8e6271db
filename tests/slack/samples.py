"""A target and a step as the renderers see them, shared by the Block Kit and
terminal snapshot tests."""

from __future__ import annotations

from bot.engine.results import ManualView
from bot.incidents.views import StepView, TargetView

TARGET = TargetView(
    name="smtp-relay",
    title="SMTP relay (inbound mail, port 25)",
    impact="Mail sent to our domains bounces.",
    runbook_id="probe-failure",
    runbook_title="Probe failure",
    summary="A synthetic probe is failing.",
    source="https://example.test/runbook",
)
STEP = StepView(
    id="ecs-health",
    title="Is the ECS service running all its tasks?",
    why="Fewer running tasks than desired is the usual cause.",
    number=2,
    total=3,
    checks=["ECS service running vs desired"],
    manual=[
        ManualView(say="By hand:", command="aws ecs describe-services --cluster mail"),
        # Second among the questions as written (an `if:` hid the first).
        ManualView(
            say="",
            ask="Did it work?",
            answers=[("Yes", "good"), ("No", "bad")],
            position=1,
            digest="0a1b2c3d",
        ),
    ],
)
