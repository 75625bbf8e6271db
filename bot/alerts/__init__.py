"""Alerts from Alertmanager and Uptime Kuma, as Slack messages or webhook
bodies, turned into `Alert` values and matched to a runbook target.

Everything here is a pure function of its input: no I/O, no Slack calls.
"""
