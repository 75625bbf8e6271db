"""Who may run an action: the users and user groups the runbook and the
site config name, together. Nobody when neither names anyone. The same
model says who may press a walkthrough button a runbook restricts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.actions.types import ActionBase, Allow


@dataclass(frozen=True)
class Policy:
    users: frozenset[str]
    groups: frozenset[str]

    def allows(self, user: str, groups_of_user: Iterable[str]) -> bool:
        return user in self.users or bool(self.groups & set(groups_of_user))

    @property
    def nobody(self) -> bool:
        return not self.users and not self.groups


def policy_for(action: ActionBase, site: Allow | None) -> Policy:
    return policy_of(action.allow, *([site] if site else []))


def policy_of(*sources: Allow) -> Policy:
    """The users and groups of all `sources`, together."""
    return Policy(
        users=frozenset(u for a in sources for u in a.users),
        groups=frozenset(g for a in sources for g in a.groups),
    )
