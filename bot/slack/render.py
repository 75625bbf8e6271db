"""Block Kit for every message the bot posts: pure functions from views and
the engine's results to blocks. Snapshot-tested; no I/O here.

Every message stays within what Slack accepts (`bot.slack.limits`) for any
runbook the schema accepts: text from outside (runbook text, alert text,
check output) is escaped here, once (`bot.slack.mrkdwn`); each part has a
budget of characters, and lists say how many lines they left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.engine.conclude import answer_check
from bot.engine.records import CheckRecord, StepRecord
from bot.engine.results import ManualView, RunResult
from bot.incidents.streaming import RUNNING
from bot.incidents.views import ESCALATION_ID, Progress, StepView, TargetView
from bot.slack import limits
from bot.slack.mrkdwn import cut, cut_plain, escape, lines, link, mention
from bot.slack.payloads import Act, ButtonValue

Blocks = list[dict[str, Any]]

SECTION_MAX = limits.SECTION_TEXT_MAX
HEADER_MAX = limits.HEADER_MAX
BUTTON_MAX = limits.BUTTON_TEXT_MAX
# Budgets that keep a message's block text under limits.BLOCKS_TEXT_MAX.
INTRO_MAX = 1000  # a step's title and why, its conclusion; the escalation's why
LIST_MAX = 1000  # the names of a step's checks
RESULTS_MAX = 2500  # a step's check lines (the rest: Details)
MANUAL_MAX = 3000  # a step's manual items together
CHECK_LINE_MAX = 600
ICONS = {"pass": "✅", "fail": "❌", "error": "⚠️", "skipped": "⏭️", "manual": "📝"}


def unknown_blocks(word: str, suggestions: Sequence[str], reason: str) -> Blocks:
    hint = (
        f" Did you mean {' or '.join(f'`{escape(s)}`' for s in suggestions)}?"
        if suggestions
        else ""
    )
    return _dump(
        _section(f"`{cut(escape(word), 200)}`: {escape(reason)}.{hint}"),
        _context("`/triage help` lists every target."),
    )


def header_blocks(target: TargetView, progress: Progress) -> Blocks:
    blocks: list[Block] = [
        HeaderBlock(text=cut_plain(_title(target), HEADER_MAX)),
        _section(f"*What it means*\n{escape(target.summary)}", 2000),
        _section(f"*Who is hit*\n{escape(target.impact)}", 1000),
    ]
    if progress.dry_run:
        blocks.append(
            _context(
                "🧪 Dry run: checks and actions show the calls they would make, and make none."
            )
        )
    if progress.running:
        blocks.append(_context("⏳ running every read-only check of the runbook…"))
    if progress.findings:  # while running: those known so far (streamed)
        found = [
            f"{icon} *{escape(name)}*: {escape(text)}" if name else f"{icon} {escape(text)}"
            for icon, name, text in progress.findings
        ]
        head = "*Found so far*" if progress.running else "*Findings*"
        blocks.append(_section(lines(found, SECTION_MAX, head=head)))
    alerts = [escape(a) for a in progress.alerts if a.strip()]
    if alerts:
        blocks.append(_context(lines(alerts, 2000)))
    blocks.append(_context(_header_facts(target, progress)))
    if progress.status == "open" and not progress.running:
        blocks.append(_header_buttons(progress))
    return _dump(*blocks)


def _header_buttons(progress: Progress) -> ActionsBlock:
    value = ButtonValue(incident=progress.incident_id)
    first = (
        _button("Walk through", Act.WALK, value, primary=True)
        if progress.walk
        else _button("Run all", Act.RUN_ALL, value, primary=True)
    )
    dry = "Dry run: on" if progress.dry_run else "Dry run: off"
    rest = [
        _button("Escalate", Act.ESCALATE, value),
        _button("Resolve", Act.RESOLVE, value),
        _button(dry, Act.DRY_RUN, value),
        _button("Timeline", Act.TIMELINE, value),
    ]
    if progress.walk:
        rest.insert(0, _button("Re-run all", Act.RUN_ALL, value))
    return ActionsBlock(block_id="header:actions", elements=[first, *rest])


def header_text(target: TargetView) -> str:
    """The header's fallback `text` (notifications): mrkdwn, so escaped."""
    return cut(escape(_title(target)), 1000)


def _title(target: TargetView) -> str:
    """Plain text, as a header block shows it (not mrkdwn: nothing to escape)."""
    return f"{target.runbook_title}: {target.title}"


def _header_facts(target: TargetView, progress: Progress) -> str:
    ran = [r for r in progress.runs.values() if r.status != RUNNING]  # not partial records
    done = f"{len(ran)}/{progress.total_steps} steps run"
    failing = ""
    if progress.failing:
        shown = ", ".join(escape(f) for f in progress.failing[:10])
        more = f" … and {len(progress.failing) - 10} more" if len(progress.failing) > 10 else ""
        failing = f", failing: {shown}{more}"
    source = f" · {link(target.source, 'runbook')}" if target.source else ""
    if progress.status == "resolved":
        state = f"✅ resolved by {mention(progress.resolved_by or '?')}"
    else:
        state = f"opened by {mention(progress.opened_by)}"
    return cut(f"`{escape(target.name)}` · {state} · {done}{failing}{source}", 1000)


def step_blocks(
    view: StepView,
    incident_id: int,
    *,
    result: StepRecord | None = None,
    running: bool = False,
    skipped_by: str | None = None,
) -> Blocks:
    blocks: list[Block] = [
        _section(
            f"*Step {view.number}/{view.total}: {escape(view.title)}*\n_{escape(view.why)}_",
            INTRO_MAX,
        )
    ]
    names = [escape(c) for c in view.checks]
    if running:
        finished = {c.name for c in result.checks} if result is not None else set()
        blocks += _results(result) if result is not None else []  # finished so far
        left = [escape(c) for c in view.checks if c not in finished] or names
        blocks.append(_context(cut("⏳ running " + ", ".join(left), LIST_MAX)))
    elif result is not None:
        blocks += _results(result)
    elif view.checks:
        blocks.append(_context(cut("Checks: " + ", ".join(names), LIST_MAX)))
    # After a run, its manual items as filled from its results.
    manual = result.manual if result is not None else view.manual
    blocks += _manual(manual, incident_id, view.id, MANUAL_MAX)
    if skipped_by:
        blocks.append(_context(f"⏭️ skipped by {mention(skipped_by)}"))
    elif not running:
        blocks.append(_step_buttons(view, incident_id, ran=result is not None))
    return _dump(*blocks)


def step_text(title: str, result: StepRecord | None = None, *, skipped: bool = False) -> str:
    """A step message's fallback text (notifications, screen readers)."""
    if skipped:
        return cut(f"Skipped: {escape(title)}", 1000)
    if result is None:
        return cut(escape(title), 1000)
    said = f": {escape(result.conclusion)}" if result.conclusion else ""
    return cut(f"{escape(title)} [{result.status}]{said}", 2000)


def _results(result: StepRecord) -> list[Block]:
    found = [_check_line(check) for check in result.checks if check.applicable]
    blocks: list[Block] = [_section(lines(found, RESULTS_MAX))] if found else []
    if result.conclusion:
        blocks.append(_section(f"➡️ {escape(result.conclusion)}", INTRO_MAX))
    return blocks


def _check_line(c: CheckRecord) -> str:
    took = (f"{c.error_kind}, " if c.error_kind else "") + f"{c.duration_ms:.0f} ms"
    line = f"{ICONS[c.status]} *{escape(c.name)}*: {escape(c.summary)} _({took})_"
    return cut(line, CHECK_LINE_MAX)


def _step_buttons(view: StepView, incident_id: int, *, ran: bool) -> ActionsBlock:
    value = ButtonValue(incident=incident_id, step=view.id)
    if ran:
        elements = [
            _button("Re-run", Act.RERUN, value),
            _button("Next step", Act.NEXT, value, primary=True),
            _button("Details", Act.DETAILS, value),
        ]
    elif view.checks:
        elements = [
            _button("Run step", Act.RUN_STEP, value, primary=True),
            _button("Skip", Act.SKIP, value),
        ]
    else:
        elements = [
            _button("Next step", Act.NEXT, value, primary=True),
            _button("Skip", Act.SKIP, value),
        ]
    return ActionsBlock(block_id=f"step:{view.id}", elements=elements)


def _manual(
    items: Sequence[ManualView], incident_id: int, step_id: str, budget: int
) -> list[Block]:
    """Instructions and questions. The schema caps how many a step has; the
    budget is shared between them. A button names its question by its
    position as written (not among those shown: a later run may show others)
    and carries a check of the question and answer (bot.incidents.answers)."""
    each = min(SECTION_MAX, max(200, budget // max(1, len(items))))
    blocks: list[Block] = []
    asked = 0
    for item in items:
        if item.ask:
            blocks.append(_section(f"❓ {escape(item.ask)}", each))
            # A view built by hand (no position) counts the questions shown.
            position = asked if item.position is None else item.position
            # action_id must be unique within a block, hence the suffix.
            buttons = [
                _button(label, Act.ANSWER, _answer_value(incident_id, step_id, item, position, k),
                        suffix=f":{k}")
                for k, (label, _) in enumerate(item.answers)
            ]  # fmt: skip
            blocks.append(ActionsBlock(block_id=f"ask:{step_id}:{position}", elements=buttons))
            asked += 1
        else:
            command = f"\n```{escape(item.command)}```" if item.command else ""
            blocks.append(_section(f"📝 {escape(item.say)}{command}", each))
    return blocks


def _answer_value(
    incident_id: int, step_id: str, item: ManualView, position: int, k: int
) -> ButtonValue:
    label = item.answers[k][0]
    check = answer_check(item.digest, label) if item.digest is not None else None
    return ButtonValue(incident=incident_id, step=step_id, question=position, answer=k, check=check)


def run_all_blocks(result: RunResult, *, by: str) -> Blocks:
    steps = [
        f"{ICONS[s.status]} *{escape(s.title)}*"
        + (f"\n      ➡️ {cut(escape(s.conclusion.say), 500)}" if s.conclusion else "")
        for s in result.steps
        if s.applies
    ]
    failing = [f"❌ {_check_line(c)[2:]}" for c in map(CheckRecord.of, result.checks) if c.failing]
    blocks: list[Block] = [
        _section(
            f"*Run all* by {mention(by)}: {result.status.upper()}"
            f" in {result.duration_ms / 1000:.1f} s"
        )
    ]
    # No step left to run is news too; an empty section is one Slack refuses.
    blocks.append(_section(lines(steps, SECTION_MAX) or "_No step was left to run._"))
    if failing:
        blocks.append(_section(lines(failing, SECTION_MAX, head="*Failing checks*")))
    return _dump(*blocks)


def run_all_text(result: RunResult) -> str:
    return f"Run all: {result.status}"


def escalation_blocks(
    why: str, manual: Sequence[ManualView], actions: Sequence[tuple[str, str]], incident_id: int
) -> Blocks:
    """`actions` are (id, title) of the actions that apply to this target."""
    blocks: list[Block] = [
        _section(f"*Escalation*\n_{escape(why)}_" if why else "*Escalation*", INTRO_MAX)
    ]
    blocks += _manual(manual, incident_id, ESCALATION_ID, 2000)
    if actions:
        blocks.append(_context("Changes that need a confirmation and an allowed person:"))
        blocks += action_blocks(list(actions), incident_id)
    return _dump(*blocks)


def action_blocks(actions: list[tuple[str, str]], incident_id: int) -> list[ActionsBlock]:
    """One button per escalation action, 25 to an actions block (Slack's most);
    `:n` keeps action ids unique in each block."""
    per = limits.ACTIONS_ELEMENTS
    return [
        ActionsBlock(
            block_id="escalation:actions" + (f":{start // per}" if start else ""),
            elements=[
                _button(
                    title,
                    Act.ACTION,
                    ButtonValue(incident=incident_id, step=action_id),
                    suffix=f":{n}",
                )
                for n, (action_id, title) in enumerate(actions[start : start + per], start)
            ],
        )
        for start in range(0, len(actions), per)
    ]


def answer_blocks(user: str, label: str, say: str) -> Blocks:
    return _dump(_section(f"{mention(user)} answered *{escape(label)}*: {escape(say)}"))


def answer_text(label: str, say: str) -> str:
    return cut(f"{escape(label)}: {escape(say)}", 2000)


def resolved_blocks(user: str) -> Blocks:
    return _dump(_section(f"✅ Resolved by {mention(user)}."))


def _button(
    label: str, act: Act, value: ButtonValue, *, primary: bool = False, suffix: str = ""
) -> ButtonElement:
    return ButtonElement(
        text=cut_plain(label, BUTTON_MAX),
        action_id=act.value + suffix,
        value=value.encode(),
        style="primary" if primary else None,
    )


def _section(text: str, limit: int = SECTION_MAX) -> SectionBlock:
    """`text` is mrkdwn the caller escaped."""
    return SectionBlock(text=MarkdownTextObject(text=cut(_shown(text), min(limit, SECTION_MAX))))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=cut(_shown(text), SECTION_MAX))])


def _shown(text: str) -> str:
    # Slack refuses an empty text object (a runbook's blank `say`, an empty summary).
    return text if text.strip() else "_(empty)_"


def _dump(*blocks: Block) -> Blocks:
    return [b.to_dict() for b in blocks]
