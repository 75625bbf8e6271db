"""Block Kit for every message the bot posts: pure functions from views and
the engine's results to blocks. Snapshot-tested; no I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

from bot.engine.results import CheckRun, ManualView, RunResult, StepResult
from bot.slack.payloads import Act, ButtonValue
from bot.slack.viewmodels import Progress, StepView, TargetView

# Block Kit limits: a section's text, a header's text, a button's label.
SECTION_MAX = 3000
HEADER_MAX = 150
BUTTON_MAX = 75
ICONS = {"pass": "✅", "fail": "❌", "error": "⚠️", "skipped": "⏭️", "manual": "📝"}

Blocks = list[dict[str, Any]]


def help_blocks(targets: dict[str, list[str]], titles: dict[str, str]) -> Blocks:
    lines = [f"• `{name}`: {titles[name]} ({', '.join(books)})" for name, books in targets.items()]
    return _dump(
        _section(
            "*`/triage <target> [runbook]`* opens an incident thread"
            " and walks you through the runbook."
        ),
        _section("*Targets*\n" + "\n".join(lines)),
    )


def unknown_blocks(word: str, suggestions: Sequence[str], reason: str) -> Blocks:
    hint = f" Did you mean {' or '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
    return _dump(
        _section(f"`{_escape(word)}`: {reason}.{hint}"),
        _context("`/triage help` lists every target."),
    )


def header_blocks(target: TargetView, progress: Progress) -> Blocks:
    blocks: list[Block] = [
        HeaderBlock(text=_cut(f"{target.runbook_title}: {target.title}", HEADER_MAX)),
        _section(f"*What it means*\n{target.summary}"),
        _section(f"*Who is hit*\n{target.impact}"),
    ]
    if progress.dry_run:
        blocks.append(
            _context(
                "🧪 Dry run: checks and actions show the calls they would make, and make none."
            )
        )
    if progress.running:
        blocks.append(_context("⏳ running every read-only check of the runbook…"))
    elif progress.findings:
        lines = [
            f"{icon} *{name}*: {_escape(text)}" if name else f"{icon} {_escape(text)}"
            for icon, name, text in progress.findings
        ]
        blocks.append(_section(_cut("*Findings*\n" + "\n".join(lines), SECTION_MAX)))
    if progress.alerts:
        blocks.append(_context(_cut("\n".join(progress.alerts), SECTION_MAX)))
    blocks.append(_context(_header_facts(target, progress)))
    if progress.status == "open" and not progress.running:
        blocks.append(_header_buttons(progress))
    return _dump(*blocks)


def _header_buttons(progress: Progress) -> ActionsBlock:
    value = ButtonValue(i=progress.incident_id)
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
    ]
    if progress.walk:
        rest.insert(0, _button("Re-run all", Act.RUN_ALL, value))
    return ActionsBlock(block_id="header:actions", elements=[first, *rest])


def header_text(target: TargetView) -> str:
    return f"{target.runbook_title}: {target.title}"


def _header_facts(target: TargetView, progress: Progress) -> str:
    done = f"{len(progress.runs)}/{progress.total_steps} steps run"
    failing = f", failing: {', '.join(progress.failing)}" if progress.failing else ""
    source = f" · <{target.source}|runbook>" if target.source else ""
    if progress.status == "resolved":
        state = f"✅ resolved by {_who(progress.resolved_by or '?')}"
    else:
        state = f"opened by {_who(progress.opened_by)}"
    return _cut(f"`{target.name}` · {state} · {done}{failing}{source}", SECTION_MAX)


def _who(actor: str) -> str:
    """A Slack user as a mention; an alert source (`alert:kuma`) in words."""
    source = actor.removeprefix("alert:")
    return f"an alert ({source})" if source != actor else f"<@{actor}>"


def step_blocks(
    view: StepView,
    incident_id: int,
    *,
    result: StepResult | None = None,
    running: bool = False,
    skipped_by: str | None = None,
) -> Blocks:
    blocks: list[Block] = [
        _section(f"*Step {view.number}/{view.total}: {view.title}*\n_{view.why}_")
    ]
    if running:
        blocks.append(_context("⏳ running " + ", ".join(view.checks)))
    elif result is not None:
        blocks += _results(result)
    elif view.checks:
        blocks.append(_context("Checks: " + ", ".join(view.checks)))
    blocks += _manual(view.manual, incident_id, view.id)
    if skipped_by:
        blocks.append(_context(f"⏭️ skipped by <@{skipped_by}>"))
    elif not running:
        blocks.append(_step_buttons(view, incident_id, ran=result is not None))
    return _dump(*blocks)


def _results(result: StepResult) -> list[Block]:
    lines = [_check_line(run) for run in result.checks if run.applicable]
    blocks: list[Block] = [_section("\n".join(lines))] if lines else []
    if result.conclusion:
        blocks.append(_section(f"➡️ {_escape(result.conclusion.say)}"))
    return blocks


def _check_line(run: CheckRun) -> str:
    r = run.result
    kind = f"{r.error_kind}, " if r.error_kind else ""
    name = run.title or run.id
    return _cut(
        f"{ICONS[r.status.value]} *{name}*: {_escape(r.summary)} _({kind}{r.duration_ms:.0f} ms)_",
        600,
    )


def _step_buttons(view: StepView, incident_id: int, *, ran: bool) -> ActionsBlock:
    value = ButtonValue(i=incident_id, s=view.id)
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


def _manual(items: Iterable[ManualView], incident_id: int, step_id: str) -> list[Block]:
    blocks: list[Block] = []
    for n, item in enumerate(items):
        if item.ask:
            blocks.append(_section(f"❓ {item.ask}"))
            # action_id must be unique within a block, hence the suffix.
            buttons = [
                _button(
                    label, Act.ANSWER, ButtonValue(i=incident_id, s=step_id, a=k), suffix=f":{k}"
                )
                for k, (label, _) in enumerate(item.answers)
            ]
            blocks.append(ActionsBlock(block_id=f"ask:{step_id}:{n}", elements=buttons))
        else:
            command = f"\n```{item.command}```" if item.command else ""
            blocks.append(_section(_cut(f"📝 {item.say}{command}", SECTION_MAX)))
    return blocks


def run_all_blocks(result: RunResult, *, by: str) -> Blocks:
    lines = [
        f"{ICONS[s.status]} *{s.title}*"
        + (f"\n      ➡️ {_escape(s.conclusion.say)}" if s.conclusion else "")
        for s in result.steps
        if s.applies
    ]
    failing = [
        f"❌ {_check_line(c)[2:]}" for c in result.checks if c.status.value in ("fail", "error")
    ]
    blocks: list[Block] = [
        _section(
            f"*Run all* by <@{by}>: {result.status.upper()} in {result.duration_ms / 1000:.1f} s"
        )
    ]
    blocks.append(_section(_cut("\n".join(lines), SECTION_MAX)))
    if failing:
        blocks.append(_section(_cut("*Failing checks*\n" + "\n".join(failing), SECTION_MAX)))
    return _dump(*blocks)


def escalation_blocks(
    why: str, manual: Sequence[ManualView], actions: Sequence[tuple[str, str]], incident_id: int
) -> Blocks:
    """`actions` are (id, title) of the actions that apply to this target."""
    blocks: list[Block] = [_section(f"*Escalation*\n_{why}_" if why else "*Escalation*")]
    blocks += _manual(manual, incident_id, "escalation")
    if actions:
        blocks.append(_context("Changes that need a confirmation and an allowed person:"))
        blocks.append(action_buttons(list(actions), incident_id))
    return _dump(*blocks)


def action_buttons(actions: list[tuple[str, str]], incident_id: int) -> ActionsBlock:
    """One button per escalation action; `:n` keeps action ids unique in the block."""
    return ActionsBlock(
        block_id="escalation:actions",
        elements=[
            _button(title, Act.ACTION, ButtonValue(i=incident_id, s=action_id), suffix=f":{n}")
            for n, (action_id, title) in enumerate(actions)
        ],
    )


def answer_blocks(user: str, label: str, say: str) -> Blocks:
    return _dump(_section(f"<@{user}> answered *{_escape(label)}*: {say}"))


def resolved_blocks(user: str) -> Blocks:
    return _dump(_section(f"✅ Resolved by <@{user}>."))


def _button(
    label: str, act: Act, value: ButtonValue, *, primary: bool = False, suffix: str = ""
) -> ButtonElement:
    return ButtonElement(
        text=_cut(label, BUTTON_MAX),
        action_id=act.value + suffix,
        value=value.encode(),
        style="primary" if primary else None,
    )


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_cut(text, SECTION_MAX)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=_cut(text, SECTION_MAX))])


def _dump(*blocks: Block) -> Blocks:
    return [b.to_dict() for b in blocks]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Peer-supplied text must not ping anyone or break the markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
