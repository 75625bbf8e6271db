"""Without prometheus / alertmanager the tests needing them skip locally and
fail in CI (`.ci/run` installs both)."""

from __future__ import annotations

import shutil

import pytest

from tests.peers import godaemon


@pytest.fixture
def no_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kw: None)


@pytest.mark.usefixtures("no_binary")
@pytest.mark.parametrize("name", ["prometheus", "prometheus-alertmanager"])
def test_missing_binary_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        godaemon.binary(name, name)


@pytest.mark.usefixtures("no_binary")
@pytest.mark.parametrize("name", ["prometheus", "prometheus-alertmanager"])
def test_missing_binary_fails_in_ci(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        godaemon.binary(name, name)
