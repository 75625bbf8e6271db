"""An incident's story, read back from the store: its timeline and, on
Resolve, a postmortem draft. Platform-neutral: Slack and the CLI present it."""
