"""Moved to bot.templating.templates (below bot.runbooks and bot.actions);
this name stays for the modules and tests that import it from here."""

from bot.templating.templates import *  # noqa: F403
