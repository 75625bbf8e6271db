"""The runbook document: what a YAML file under runbooks/ may say.

Structure and types are checked here while decoding; references between
parts (steps, targets, checks, variables) are checked in `references.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from bot.checks.params import JMESPath, Regex, truthy
from bot.checks.result import CheckStatus
from bot.runbooks.actions import Action, Buttons
from bot.runbooks.checkdefs import CheckDef, Outcomes, allowed, check_union
from bot.runbooks.templates import Template
from bot.templating.fields import Model, Slug, TemplateText, _to_template

Protocol = Literal["smtp", "imap", "http", "https", "tcp"]
TlsMode = Literal["none", "implicit", "starttls"]
# `public` (the bot's own network) or the name of a site vantage point.
Vantage = Slug
Scalar = str | int | float | bool

# An incident's thread keeps its messages by role: these names are the
# header's and the escalation's, so a step may not take them.
RESERVED_STEP_IDS = frozenset({"header", "escalation"})
# One Slack message shows a step, or the escalation: at most 50 blocks and
# about 12,000 characters (bot/slack/limits.py). Two blocks a question and
# 25 buttons an actions block keep every step within that; a longer list
# is a sign the step should be two steps.
MAX_MANUAL_ITEMS = 10
MAX_ESCALATION_ACTIONS = 50


def _not_reserved(step_id: str) -> str:
    if step_id in RESERVED_STEP_IDS:
        raise ValueError(
            f"step id {step_id!r} is reserved for the incident's {step_id} message; rename the step"
        )
    return step_id


ManualList = Annotated[
    list["ManualItem"],
    Field(
        default_factory=list,
        max_length=MAX_MANUAL_ITEMS,
        description=f"at most {MAX_MANUAL_ITEMS} (one Slack message): split a longer list",
    ),
]


def _shorthand_variable(value: Any) -> Any:
    return value if isinstance(value, dict) else {"default": value}


def _port(value: Any) -> Any:
    """A port number, or a placeholder filled in from the variables."""
    if isinstance(value, int) and not isinstance(value, bool):
        # pydantic's own wording, as `int` with ge/le would say it
        if value < 1:
            raise PydanticCustomError(
                "greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": 1}
            )
        if value > 65535:
            raise PydanticCustomError(
                "less_than_equal", "Input should be less than or equal to {le}", {"le": 65535}
            )
        return value
    if isinstance(value, str) and "{{" in value:
        return _to_template(value)
    raise PydanticCustomError(
        "int_type", "Input should be a valid integer (a port number or a {{ placeholder }})"
    )


Port = Annotated[
    int | Template,
    PlainValidator(_port),
    PlainSerializer(lambda v: v if isinstance(v, int) else str(v)),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": 65535},
                {"type": "string", "pattern": r"\{\{.*\}\}"},
            ]
        }
    ),
]


class Variable(Model):
    default: Scalar | None = None
    description: str = ""


class Target(Model):
    """One entry of the catalogue: something a responder can name in `/triage`."""

    title: str
    impact: str = Field(description="who or what is hurt when this target fails")
    protocol: Protocol | None = Field(
        None, description="how it is reached, when it is an endpoint (not a function or table)"
    )
    host: TemplateText | None = None
    port: Port | None = None
    url: TemplateText | None = None
    tls: TlsMode = "none"
    server_name: TemplateText | None = Field(
        None, description="name the certificate must carry, when it differs from host"
    )
    expect_status: list[int | str] = Field(
        default_factory=lambda: list[int | str](["200-299"]),
        description="HTTP statuses that mean healthy",
    )
    service: TemplateText | None = Field(None, description="ECS service name")
    target_group: TemplateText | None = Field(None, description="load-balancer target group name")
    load_balancer: Literal["nlb", "alb"] | None = None
    probe_from: list[Vantage] = Field(default_factory=lambda: list[Vantage](["public"]))
    blackbox_module: str | None = Field(
        None, description="the blackbox_exporter module that probes this target (e.g. tcp_tls)"
    )
    attrs: dict[str, TemplateText] = Field(
        default_factory=dict,
        description="free fields, read as {{ target.attrs.<name> }}: a function name, a table,"
        " a cluster (may hold {{ vars.x }})",
    )
    notes: str = ""


class AlertmanagerTrigger(Model):
    """Alerts of one name; labels narrow them (`match`, `match_re`), then the
    target is the `targets` entry for the `label`'s value, the value itself
    when it names a catalogue target (`label_names_target`), or `default`."""

    alertname: str
    label: str = Field("instance", description="the alert label that names the target")
    targets: dict[str, str] = Field(
        default_factory=dict,
        description="label value (may hold {{ vars.x }}) -> catalogue target name",
    )
    match: dict[str, str] = Field(
        default_factory=dict, description="labels the alert must have with exactly these values"
    )
    match_re: dict[str, Regex] = Field(
        default_factory=dict, description="labels whose whole value must match these regexes"
    )
    label_names_target: bool = Field(
        False, description="the label's value is itself a catalogue target name"
    )
    default: Slug | None = Field(
        None, description="the target when no entry names the alert: a catch-all for the name"
    )

    def selects(self, labels: Mapping[str, str]) -> bool:
        """The alert's labels fit `match` and `match_re`."""
        if any(labels.get(k) != v for k, v in self.match.items()):
            return False
        return all(
            k in labels and pattern.fullmatch(labels[k]) for k, pattern in self.match_re.items()
        )


class Triggers(Model):
    alertmanager: list[AlertmanagerTrigger] = Field(default_factory=list)
    kuma: dict[str, str] = Field(
        default_factory=dict, description="Uptime Kuma monitor name -> catalogue target name"
    )
    healthchecks: dict[str, str] = Field(
        default_factory=dict, description="Healthchecks.io check name -> catalogue target name"
    )


class Conditional(Model):
    if_: JMESPath | None = Field(
        None, alias="if", description="JMESPath over vars/target/alert: show only when truthy"
    )


class Instruction(Conditional):
    """Something the responder does by hand; the command is shown, never run."""

    say: TemplateText
    command: TemplateText | None = None


class Answer(Model):
    label: str = Field(max_length=75)
    say: TemplateText


class Question(Conditional):
    ask: TemplateText
    answers: list[Answer] = Field(min_length=1, max_length=5)


ManualItem = Instruction | Question


class ConclusionRule(Model):
    when: dict[str, Outcomes] = Field(
        default_factory=dict, description="check id (or `as` name) -> outcome; empty = otherwise"
    )
    if_: JMESPath | None = Field(
        None,
        alias="if",
        description="JMESPath over vars/target/alert/site/checks: and this holds, e.g."
        ' "checks.cert.details.days_left < `14`"',
    )
    say: TemplateText
    next: Slug | None = Field(None, description="the step to go to next")

    def matches(self, outcomes: dict[str, CheckStatus], scope: dict[str, Any]) -> bool:
        for name, wanted in self.when.items():
            if outcomes.get(name, CheckStatus.SKIPPED).value not in allowed(wanted):
                return False
        return self.if_ is None or truthy(self.if_.search(scope))


class Chart(Model):
    """A Prometheus series drawn in the thread after the step's findings (bot.charts)."""

    query: TemplateText = Field(description="PromQL; {{ expr }} fills in a value")
    vantage: TemplateText = Field(description="the prometheus vantage point to ask")
    window: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,3}[mh]$")] = Field(
        "1h", description="how far back, e.g. 30m or 6h (at most 9999m/h, capped at 6h)"
    )
    threshold: float | None = Field(None, description="a horizontal line at this value")
    title: str | None = Field(None, description="what the chart shows (default: the query)")


class Step(Model):
    id: Annotated[Slug, AfterValidator(_not_reserved)]
    title: str
    why: str = ""
    targets: list[str] | None = Field(None, description="only for these targets (default: all)")
    checks: list[check_union()] = Field(default_factory=list)  # type: ignore[valid-type]
    manual: ManualList
    conclusions: list[ConclusionRule] = Field(default_factory=list)
    chart: Chart | None = Field(None, description="a Prometheus series to draw after the findings")

    @property
    def check_defs(self) -> list[CheckDef]:
        return list(self.checks)


class EscalationSpec(Model):
    why: str = ""
    manual: ManualList
    actions: list[Action] = Field(
        default_factory=list,
        max_length=MAX_ESCALATION_ACTIONS,
        description=f"at most {MAX_ESCALATION_ACTIONS} (one Slack message)",
    )


class Runbook(Model):
    id: Slug
    title: str
    summary: str = Field(description="what it means when this runbook fires")
    source: str | None = Field(None, description="link to the runbook's human page")
    vars: dict[str, Annotated[Variable, BeforeValidator(_shorthand_variable)]] = Field(
        default_factory=dict
    )
    targets: dict[Slug, Target] = Field(description="the target catalogue")
    triggers: Triggers = Field(default_factory=Triggers)
    steps: list[Step] = Field(min_length=1)
    escalation: EscalationSpec | None = None
    buttons: Buttons = Field(default_factory=Buttons, description="who may press what")

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
