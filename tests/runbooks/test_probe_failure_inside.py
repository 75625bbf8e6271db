"""Probe-failure step 1 with its inside half: the same target probed by the
bot and by a real blackbox_exporter vantage point, and what the pair means."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.run import settings
from bot.engine.results import StepResult
from bot.engine.runner import Engine
from bot.runbooks.binding import bind
from bot.runbooks.loader import load_runbook, load_site
from tests.peers.blackbox import Exporter
from tests.peers.mail import Peer
from tests.peers.prometheus import PromPeer

RUNBOOK = load_runbook(Path(__file__).parents[2] / "runbooks" / "probe-failure.yaml")


async def outside_in(target: str, peer: Peer, *sets: str) -> StepResult:
    site = load_site(
        None,
        [
            f"targets.{target}.host={peer.host}",
            f"targets.{target}.port={peer.port}",
            *sets,
        ],
    )
    engine = Engine(bind(RUNBOOK, site), settings=settings(site))
    return await engine.run_step("outside-in", target)


def vpc(exporter: Exporter) -> list[str]:
    return [
        "vantage_points.vpc.kind=blackbox",
        f"vantage_points.vpc.url={exporter.url}",
        f"ca_file={exporter.ca_bundle}",
    ]


def statuses(step: StepResult) -> dict[str, str]:
    return {c.id: c.status.value for c in step.checks if c.applicable}


async def test_outside_fails_inside_passes_points_at_the_way_in(
    blackbox_exporter: Exporter, smtp_plain_peer: Peer
) -> None:
    # No STARTTLS from outside, but the port answers the in-VPC tcp_connect.
    step = await outside_in("smtp-relay", smtp_plain_peer, *vpc(blackbox_exporter))

    assert statuses(step)["public-starttls"] == "fail"
    assert statuses(step)["inside-tcp"] == "pass"
    assert step.conclusion is not None
    assert "the way in is broken" in step.conclusion.say
    assert step.conclusion.next == "lb-health"
    assert not any("by hand" in m.say for m in step.manual)  # a machine looked inside


async def test_both_failing_points_at_the_service(
    blackbox_exporter: Exporter, closed_port: Peer
) -> None:
    step = await outside_in("smtp-relay", closed_port, *vpc(blackbox_exporter))

    assert statuses(step)["inside-tcp"] == "fail"
    assert step.conclusion is not None
    assert "the service itself is down" in step.conclusion.say
    assert "connection refused" in step.conclusion.say
    assert step.conclusion.next == "ecs-health"


async def test_outside_passes_inside_fails_points_at_the_in_vpc_path(
    blackbox_exporter: Exporter, smtp_starttls_peer: Peer
) -> None:
    # From inside, implicit TLS against a STARTTLS port: the probe is wrong.
    step = await outside_in(
        "smtp-relay",
        smtp_starttls_peer,
        *vpc(blackbox_exporter),
        "targets.smtp-relay.blackbox_module=tcp_tls",
    )

    assert statuses(step)["public-starttls"] == "pass"
    assert statuses(step)["inside-tcp"] == "fail"
    assert step.conclusion is not None
    assert "in-VPC path" in step.conclusion.say


async def test_imap_is_probed_from_inside_only(
    blackbox_exporter: Exporter, imap_starttls_peer: Peer
) -> None:
    step = await outside_in("imap", imap_starttls_peer, *vpc(blackbox_exporter))

    assert statuses(step) == {"inside-tcp": "pass", "history": "skipped"}
    assert step.conclusion is not None
    assert "answers from inside the VPC" in step.conclusion.say


async def test_without_a_vantage_point_a_human_tests_from_inside(closed_port: Peer) -> None:
    step = await outside_in("smtp-relay", closed_port)

    inside = next(c for c in step.checks if c.id == "inside-tcp")
    assert inside.status.value == "skipped"
    assert "no vantage point 'vpc'" in inside.result.summary
    assert any("by hand" in m.say for m in step.manual)
    assert any(m.ask == "Did the connection from inside the VPC succeed?" for m in step.manual)
    assert step.conclusion is not None
    assert "If the in-VPC test passes" in step.conclusion.say


@pytest.mark.parametrize(
    ("target", "module"),
    [
        ("imap", "imap_starttls"),
        ("smtp-relay", "tcp_connect"),
        ("submission", "tcp_connect"),
        ("submission-tls", "tcp_tls"),
        ("admin-app", "http_2xx"),
        ("api-list", "http_2xx"),
        ("ntfy", "http_2xx"),
    ],
)
def test_every_target_names_the_users_module_that_probes_it(target: str, module: str) -> None:
    assert RUNBOOK.targets[target].blackbox_module == module


async def test_prometheus_says_how_long_the_in_vpc_probe_has_been_failing(
    prometheus_peer: PromPeer, closed_port: Peer
) -> None:
    query = f'probe_success{{instance="{closed_port.host}:{closed_port.port}"}}'
    labels = {"instance": f"{closed_port.host}:{closed_port.port}"}
    prometheus_peer.vector(query, ({"__name__": "probe_success", **labels}, "0"))
    prometheus_peer.vector(
        f"time() - max_over_time(timestamp(({query}) == 1)[1h:])", (labels, "300")
    )
    step = await outside_in(
        "smtp-relay",
        closed_port,
        "vantage_points.prometheus.kind=prometheus",
        f"vantage_points.prometheus.url={prometheus_peer.url}",
    )

    history = next(c for c in step.checks if c.id == "history")
    assert history.status.value == "fail"
    assert "= 0 for 5 min" in history.result.summary
