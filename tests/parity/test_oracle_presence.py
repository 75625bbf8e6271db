"""Without the exporter binary the parity tests skip locally and fail in CI."""

from __future__ import annotations

import shutil

import pytest

from tests.peers import blackbox


@pytest.fixture
def no_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kw: None)


@pytest.mark.usefixtures("no_binary")
def test_missing_exporter_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        blackbox.binary()


@pytest.mark.usefixtures("no_binary")
def test_missing_exporter_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        blackbox.binary()
