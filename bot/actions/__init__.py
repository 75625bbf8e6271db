"""Escalation actions: plan (what will change), policy (who may), run."""
