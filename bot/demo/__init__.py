"""`triage demo` and `triage console`: the real Bolt app driven from a
terminal, against a simulated mail stack and AWS (demo) or the site's own
systems (console)."""
