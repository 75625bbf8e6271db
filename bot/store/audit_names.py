"""One spelling per click in the audit log.

A button's Slack action id is `triage.<verb>`; the incident workflow records
what it did under the bare verb. Until every writer passes the verb, a
refused click was recorded under the action id (`triage.run_step`) and the
same click, done, under the verb (`run_step`). The store writes the verb
whatever it is given, and reads rows written before under the verb too, so
`triage audit`, the timeline and the postmortem see one name per click.
"""

from __future__ import annotations

PREFIX = "triage."
# Buttons whose verb in the log is not their action id's: Re-run runs the
# step again; an action's button runs it; Approve and Reject are both
# answers to one approval request.
_VERB = {"triage.rerun": "run_step", "triage.action": "run_action", "triage.reject": "approve"}


def audit_action(name: str) -> str:
    """The audit log's verb for `name`, a verb or a button's action id."""
    return _VERB.get(name) or name.removeprefix(PREFIX)
