"""Executors: one module per check type, one registry (`bot.checks.registry`)."""
