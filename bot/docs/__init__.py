"""Runbooks rendered for people: `triage docs` turns one into a Markdown page."""
