"""Moved to bot.templating.fields (below bot.runbooks and bot.actions);
this name stays for the modules and tests that import it from here."""

from bot.templating.fields import *  # noqa: F403
