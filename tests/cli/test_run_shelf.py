"""One site config for every runbook and every command (#15.1): `run`,
`--dry-run`, `docs`, `lint --config`, and the catalogue `serve` and
`console` load, all take the same file holding several runbooks' values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.schema import site_schema
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from tests.cli.test_run import run_smtp_relay, triage
from tests.peers.aws import MotoPeer, ecs_service, target_group
from tests.peers.mail import Peer

ROOT = Path(__file__).parents[2]
SHELF = ROOT / "tests" / "cli" / "shelf" / "site.yaml"
TARGETS = {"probe-failure": "smtp-relay", "web-errors": "web", "backup-missed": "db"}


@pytest.mark.parametrize(("runbook", "target"), sorted(TARGETS.items()))
def test_dry_run_takes_the_shelf_site_config(runbook: str, target: str) -> None:
    done = triage("run", runbook, "-t", target, "--dry-run", "--json", "--config", str(SHELF))
    assert "does not fit" not in done.stderr and "no runbook" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["target"] == target
    calls = json.dumps(report["steps"])
    # The site's values, not the runbook's defaults, are in the calls.
    assert "eu-west-1" in calls


@pytest.mark.parametrize("runbook", sorted(TARGETS))
def test_docs_take_the_shelf_site_config(runbook: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", runbook, "--config", str(SHELF)]) == 0
    page = capsys.readouterr().out
    assert {"probe-failure": "mail.example.net", "web-errors": "shop.example.net"}.get(
        runbook, "db.shop.internal"
    ) in page


def test_serve_and_console_catalogue_takes_the_shelf_site_config() -> None:
    catalogue = Catalogue.load([ROOT / "runbooks"], load_site(SHELF))
    assert catalogue.bindings["backup-missed"].targets["db"]["host"] == "db.shop.internal"
    assert catalogue.bindings["web-errors"].targets["web"]["service"] == "shop-web"
    assert catalogue.bindings["probe-failure"].targets["smtp-relay"]["port"] == 2525


def test_a_name_no_runbook_uses_is_still_refused_with_a_hint() -> None:
    done = triage("run", "web-errors", "-t", "web", "--dry-run", "--config", str(SHELF),
                  "--set", "vars.cache_hots=x")  # fmt: skip
    assert done.returncode == 2
    assert "no runbook declares variable 'cache_hots'" in done.stderr
    assert "did you mean cache_host" in done.stderr


def test_lint_config_reports_unused_names_at_their_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.yaml"
    text = SHELF.read_text().replace("targets:\n", "targets:\n  dbb: {port: 5432}\n")
    site.write_text(text)
    line = text.splitlines().index("  dbb: {port: 5432}") + 1
    assert main(["lint", str(ROOT / "runbooks"), "--config", str(site)]) == 1
    out = capsys.readouterr().out
    assert f"{site}:{line}:" in out and "no runbook has target 'dbb'; did you mean db?" in out
    assert main(["lint", str(ROOT / "runbooks"), "--config", str(SHELF)]) == 0


UNSET = """\
id: unset
title: A variable only the site sets
summary: s
vars:
  bucket: {description: set in the site config}
targets:
  t: {title: T, impact: i, protocol: tcp, host: 127.0.0.1, port: 9}
steps:
  - id: one
    title: One
    checks:
      - {id: c, title: C, type: tcp, host: "{{ target.host }}", port: "{{ target.port }}"}
    manual:
      - say: "look in {{ vars.bucket }}"
"""


def test_a_variable_without_default_lints_and_a_run_names_where_to_set_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "unset.yaml"
    path.write_text(UNSET)
    assert main(["lint", str(path)]) == 0
    capsys.readouterr()
    assert main(["run", str(path), "-t", "t", "--dry-run", "--config", str(SHELF)]) == 2
    err = capsys.readouterr().err
    assert "variable 'bucket' has no value: set `vars.bucket` in the site config" in err
    assert "--set vars.bucket=VALUE" in err
    assert main(["run", str(path), "-t", "t", "--dry-run", "--set", "vars.bucket=b1"]) == 0


def test_site_config_schema_is_printed_and_committed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--site"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "triage site config"
    assert {"vars", "targets", "vantage_points"} <= set(schema["properties"])
    committed = json.loads((ROOT / "docs" / "site-config.schema.json").read_text())
    assert committed == site_schema(), "run: triage schema --site > docs/site-config.schema.json"


def test_site_config_doc_exists_where_the_example_runbook_cites_it() -> None:
    assert "docs/site-config.md" in (ROOT / "runbooks" / "probe-failure.yaml").read_text()
    doc = (ROOT / "docs" / "site-config.md").read_text()
    assert "triage schema --site" in doc and "lint --config" in doc


def test_a_real_run_takes_the_shelf_site_config(
    aws_env: MotoPeer, smtp_starttls_peer: Peer, ca_file: str
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["steady state"])
    target_group("cabal-smtp-in-25", {"10.0.1.5": "healthy"})
    done = run_smtp_relay(smtp_starttls_peer, ca_file, "--config", str(SHELF))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "pass"
