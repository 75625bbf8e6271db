"""The Slack front end: a Bolt AsyncApp over the engine."""
