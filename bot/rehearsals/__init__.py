"""Runbook rehearsals: recorded check results replayed through the engine,
and what the runbook must conclude from them (`triage test`)."""
