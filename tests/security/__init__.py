"""The threat model, one module per threat: each test is the attack, bounded
and on loopback, with what must (not) happen asserted."""
