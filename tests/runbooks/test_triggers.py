"""Triggers on any labels (#15.5): equality and regex, the label value as a
target name, a catch-all per alertname; the alert flow's `matched()` and
identity keep their shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.alerts.identity import identity
from bot.alerts.match import matched, missing_label
from bot.alerts.model import Alert
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture(scope="module")
def bindings() -> dict[str, Binding]:
    return Catalogue.load([EXAMPLES], load_site(None)).bindings


def restarting(**labels: str) -> Alert:
    every = {"alertname": "ContainerRestarting", "env": "production", "cluster": "ecs-main"}
    return Alert("alertmanager", "firing", "ContainerRestarting", every | labels)


@pytest.mark.parametrize(
    ("labels", "target", "by"),
    [
        ({"service": "web"}, "web", "service=web"),
        ({"service": "worker"}, "worker", "service=worker"),
        ({"service": "cron"}, "other", "alertname=ContainerRestarting"),
        ({}, "other", "alertname=ContainerRestarting"),
    ],
)
def test_label_value_names_the_target_else_the_default(
    bindings: dict[str, Binding], labels: dict[str, str], target: str, by: str
) -> None:
    found = matched(restarting(**labels), bindings)
    assert found is not None and (found.runbook, found.target, found.by) == ("routing", target, by)


@pytest.mark.parametrize(
    "labels", [{"env": "staging"}, {"cluster": "k8s-main"}, {"cluster": "x-ecs-1"}]
)
def test_match_and_match_re_narrow_the_alerts(
    bindings: dict[str, Binding], labels: dict[str, str]
) -> None:
    assert matched(restarting(service="web", **labels), bindings) is None


def test_a_catch_all_needs_no_label_and_identity_keeps_its_matchers(
    bindings: dict[str, Binding],
) -> None:
    assert missing_label(restarting(), bindings) is None
    assert identity(restarting(service="web"), bindings).matchers == {
        "alertname": "ContainerRestarting", "service": "web"
    }  # fmt: skip
    assert identity(restarting(), bindings).matchers == {"alertname": "ContainerRestarting"}
