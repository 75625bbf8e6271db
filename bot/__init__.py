"""triage: runbooks as guided, executable incident triage."""

__version__ = "0.1.0"
