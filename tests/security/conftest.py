"""Fixtures of the threat model: a DNS stand-in and a connection tripwire."""

from tests.peers.resolver import fake_dns, tripwire

__all__ = ["fake_dns", "tripwire"]
