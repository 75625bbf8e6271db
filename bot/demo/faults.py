"""The scenarios `triage demo` can play: a healthy stack with one fault.

Each scenario says what the simulated stack looks like and what a correct
triage must show (the check that finds the fault, and the conclusion), so the
tests can hold every scenario to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.demo.web import ADMIN_PATH, API_PATH, NTFY_PATH

CLUSTER = "cabal-mail"


@dataclass(frozen=True, kw_only=True)
class Service:
    desired: int = 1
    running: int = 1
    events: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StackSpec:
    relay_listening: bool = True
    submission_cert_expired: bool = False
    imap_starttls: bool = True
    http: dict[str, int] = field(
        default_factory=lambda: {ADMIN_PATH: 200, API_PATH: 401, NTFY_PATH: 200}
    )
    services: dict[str, Service] = field(
        default_factory=lambda: {
            name: Service(events=(f"(service {name}) has reached a steady state.",))
            for name in ("cabal-imap", "cabal-smtp-in", "cabal-smtp-out", "cabal-ntfy")
        }
    )
    # Target group -> the states of its targets; empty: no target registered.
    target_groups: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: (
            dict.fromkeys(
                ("cabal-smtp-in-25", "cabal-smtp-out-587", "cabal-smtp-out-465"), ("healthy",)
            )
            | {"cabal-ntfy": ("healthy", "healthy")}
        )
    )


@dataclass(frozen=True, kw_only=True)
class Fault:
    name: str
    target: str
    summary: str
    spec: StackSpec
    # What a correct triage shows: the check (by title) that finds the fault,
    # a word of its summary, and the conclusion that names the cause.
    found_by: str
    evidence: str
    conclusion: str


def _crashing(service: str) -> Service:
    return Service(
        desired=1,
        running=0,
        events=(
            f"(service {service}) is unable to consistently start tasks successfully.",
            f"(service {service}) has stopped 1 running tasks: (task 7c1d2e3f): "
            "Essential container in task exited (exit code 1)",
            f"(service {service}) has started 1 tasks: (task 7c1d2e3f).",
        ),
    )


def _scenarios() -> dict[str, Fault]:
    ok = StackSpec()
    faults = [
        Fault(
            name="smtp-relay-down",
            target="smtp-relay",
            summary="the SMTP relay refuses connections; its ECS service runs 0 of 1 tasks "
            "after crashing, and its NLB targets are unhealthy",
            spec=replace(
                ok,
                relay_listening=False,
                services=ok.services | {"cabal-smtp-in": _crashing("cabal-smtp-in")},
                target_groups=ok.target_groups | {"cabal-smtp-in-25": ("unhealthy",)},
            ),
            found_by="Public STARTTLS handshake",
            evidence="refused",
            conclusion="cabal-smtp-in runs 0 of 1 tasks: this is the cause",
        ),
        Fault(
            name="submission-cert-expired",
            target="submission",
            summary="submission on 587 presents a certificate that expired two days ago",
            spec=replace(ok, submission_cert_expired=True),
            found_by="Public STARTTLS handshake",
            evidence="expired",
            conclusion="From outside, Submission (sending mail, port 587 STARTTLS) fails",
        ),
        Fault(
            name="ntfy-no-tasks",
            target="ntfy",
            summary="the ntfy service lost its only task: the ALB answers 503 and has no "
            "targets left",
            spec=replace(
                ok,
                http=ok.http | {NTFY_PATH: 503},
                services=ok.services | {"cabal-ntfy": _crashing("cabal-ntfy")},
                target_groups=ok.target_groups | {"cabal-ntfy": ()},
            ),
            found_by="Public HTTP request",
            evidence="503",
            conclusion="cabal-ntfy runs 0 of 1 tasks: this is the cause",
        ),
        Fault(
            name="api-list-500",
            target="api-list",
            summary="the /list API answers 500 instead of its authorizer's 401",
            spec=replace(ok, http=ok.http | {API_PATH: 500}),
            found_by="Public HTTP request",
            evidence="500",
            conclusion="From outside, Address API (/list) fails",
        ),
        Fault(
            name="imap-no-starttls",
            target="imap",
            summary="IMAP no longer offers STARTTLS (a TLS setting lost in a redeploy)",
            spec=replace(ok, imap_starttls=False),
            found_by="Public STARTTLS handshake",
            evidence="STARTTLS not offered",
            conclusion="From outside, IMAP (reading mail) fails",
        ),
    ]
    return {fault.name: fault for fault in faults}


FAULTS: dict[str, Fault] = _scenarios()
DEFAULT = "smtp-relay-down"
