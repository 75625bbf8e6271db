from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbooks.binding import bind, site_problems
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import find_runbook, load_runbook, load_site

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def probe_failure():  # type: ignore[no-untyped-def]
    return load_runbook(ROOT / "runbooks" / "probe-failure.yaml")


def test_set_overrides_values_with_yaml_scalar_types(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("vars: {cluster: prod}\ntargets:\n  smtp-relay: {host: mx.example.test}\n")
    site = load_site(path, ["vars.cluster=mail", "targets.smtp-relay.port=2525"])
    assert site.vars["cluster"] == "mail"
    assert site.targets["smtp-relay"].port == 2525
    assert str(site.targets["smtp-relay"].host) == "mx.example.test"


def test_unknown_site_config_key_is_located(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("vars: {}\ntargets:\n  imap:\n    hots: x\n")
    with pytest.raises(RunbookError) as caught:
        load_site(path)
    assert str(caught.value) == f"{path}:4:5: unknown key 'hots'"


def test_bad_set_value_names_the_key() -> None:
    with pytest.raises(RunbookError, match="port"):
        load_site(None, ["targets.smtp-relay.port=twenty-five"])


def test_set_without_equals_is_refused() -> None:
    with pytest.raises(RunbookError, match=r"expected dotted\.key=value"):
        load_site(None, ["vars.cluster"])


def test_site_values_fill_in_the_catalogue(probe_failure) -> None:  # type: ignore[no-untyped-def]
    site = load_site(None, ["vars.control_domain=mail.test", "targets.imap.port=993"])
    binding = bind(probe_failure, site)
    assert binding.targets["smtp-relay"]["host"] == "smtp-in.mail.test"
    assert binding.targets["admin-app"]["url"] == "https://admin.mail.test/"
    assert binding.targets["imap"]["port"] == 993
    assert binding.targets["imap"]["server_name"] == "imap.mail.test"


def test_names_another_runbook_has_are_left_to_it(probe_failure) -> None:  # type: ignore[no-untyped-def]
    site = load_site(None, ["vars.clustre=mail", "targets.smtp.port=25"])
    binding = bind(probe_failure, site)
    assert "clustre" not in binding.vars and "smtp" not in binding.targets
    text = " ".join(p.message for p in site_problems([probe_failure], site))
    assert "no runbook declares variable 'clustre'; did you mean cluster?" in text
    assert "no runbook has target 'smtp'" in text


def test_runbook_ids_are_looked_up_in_triage_runbooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_RUNBOOKS", str(ROOT / "runbooks"))
    assert find_runbook("probe-failure") == ROOT / "runbooks" / "probe-failure.yaml"
    with pytest.raises(FileNotFoundError, match="no runbook 'nope'"):
        find_runbook("nope")
