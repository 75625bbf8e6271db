"""`triage docs`: a runbook as a Markdown page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.docs.markdown import render_markdown
from bot.runbooks.binding import bind
from bot.runbooks.loader import load_runbook, load_site

HERE = Path(__file__).parent
PROBE_FAILURE = HERE.parents[1] / "runbooks" / "probe-failure.yaml"


def page(path: Path, *sets: str) -> str:
    return render_markdown(bind(load_runbook(path), load_site(None, sets)))


def test_small_runbook_renders_as_its_snapshot() -> None:
    expected = (HERE / "small.md").read_text()
    assert page(HERE / "small.yaml") == expected, (
        "if the change is intended: triage docs tests/docs/small.yaml > tests/docs/small.md"
    )


def test_probe_failure_page_has_every_step_target_trigger_and_action() -> None:
    runbook = load_runbook(PROBE_FAILURE)
    text = page(PROBE_FAILURE)
    for number, step in enumerate(runbook.steps, start=1):
        assert f"### {number}. {step.title}" in text
        assert f"Step `{step.id}`." in text
        for check in step.check_defs:
            assert f"(`{check.id}`, type `{check.type}`" in text
    for name, target in runbook.targets.items():
        assert f"| `{name}` | {target.title} |" in text
    for monitor in runbook.triggers.kuma:
        assert f"| {monitor} |" in text.replace("\\|", "|")
    assert runbook.escalation is not None
    for action in runbook.escalation.actions:
        assert f"| `{action.id}` | {action.title} |" in text


def test_catalogue_values_are_filled_in_per_target() -> None:
    text = page(PROBE_FAILURE)
    assert "- for `smtp-relay`: `smtp` STARTTLS upgrade on `smtp-in.example.com:25`" in text
    assert "services `cabal-ntfy`" in text
    assert "with Names `cabal-smtp-out-465`" in text
    # A value known only at run time stays a readable placeholder.
    assert "TargetGroupArn `<checks.group.result.arn>`" in text
    assert (
        "| `BlackboxProbeFailure` | `instance` = `smtp-in.example.com:25` | `smtp-relay` |" in text
    )


def test_site_values_replace_the_defaults() -> None:
    text = page(PROBE_FAILURE, "vars.control_domain=mail.example.org", "targets.imap.port=993")
    assert "`smtp-in.mail.example.org:25`" in text
    assert "imap with STARTTLS at `imap.cabal.internal:993`" in text
    assert "example.com" not in text


def test_commands_are_code_blocks_and_placeholders_never_bare_html() -> None:
    text = page(PROBE_FAILURE)
    assert (
        "  ```sh\n  aws ecs list-container-instances --region us-west-1 --cluster cabal-mail\n"
        in text
    )
    outside_code = re.sub(r"```.*?```|``.*?``|`[^`]*`", "", text, flags=re.DOTALL)
    assert not re.search(r"<(target|checks|alert|vars)\.", outside_code)


def test_cli_prints_the_page_and_exits_2_for_an_unknown_runbook(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["docs", str(PROBE_FAILURE), "--set", "vars.cluster=mail"]) == 0
    assert "--cluster mail " in capsys.readouterr().out
    assert main(["docs", "no-such-runbook"]) == 2
    assert "no runbook 'no-such-runbook'" in capsys.readouterr().err


def test_drill_downs_say_when_they_run() -> None:
    text = page(HERE.parents[1] / "docs" / "examples" / "ecs-tiers.yaml")
    assert "once for each of `split(target.attrs.services)`" in text
    assert "only after `tier` ends fail" in text
