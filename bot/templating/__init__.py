"""`{{ placeholder }}` templates and the model field types built on them.

Below both the runbook schema (bot.runbooks) and the action types
(bot.actions), which each build models of these: neither owns them, so
that the runbook schema can list the action types without a cycle.
"""
