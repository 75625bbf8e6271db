"""The composition root: the bot's settings, read once, and `build_bot`, the
one place its parts are wired together (serve, console, demo and tests)."""
