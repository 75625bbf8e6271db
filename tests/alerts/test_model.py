from __future__ import annotations

import pytest

from bot.alerts.model import Alert


def test_fingerprint_ignores_status_and_label_order() -> None:
    firing = Alert("kuma", "firing", "Admin app", {"a": "1", "b": "2"})
    resolved = Alert("kuma", "resolved", "Admin app", {"b": "2", "a": "1"})
    assert firing.fingerprint == resolved.fingerprint


def test_given_fingerprint_is_kept() -> None:
    assert Alert("alertmanager", "firing", "X", fingerprint="abc").fingerprint == "abc"


@pytest.mark.parametrize(
    "args",
    [("nagios", "firing", "X"), ("kuma", "pending", "X"), ("kuma", "firing", " ")],
)
def test_alert_refuses_what_no_source_sends(args: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError):
        Alert(*args)  # type: ignore[arg-type]
