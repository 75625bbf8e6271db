"""Lint says everything at once, and the small things authors hit (#15.6):
references and filled-in samples in one pass, a hint to quote hyphenated
ids, braces written literally, a YAML hint for `: `, `--label`, a dry run
that shows checks its `if:` leaves out and PromQL decoded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

HEAD = """\
id: t
title: T
summary: s
targets:
  web: {title: Web, impact: none, protocol: https, url: "https://127.0.0.1:9/x"}
  db: {title: DB, impact: none, protocol: tcp, host: 127.0.0.1}
steps:
  - id: one
    title: One
"""


def lint(tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + body)
    main(["lint", str(path)])
    return capsys.readouterr().out


def test_a_reference_and_a_sample_problem_are_reported_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = lint(tmp_path, """\
    checks:
      - {id: port, type: tcp, host: "{{ target.host }}", port: "{{ target.port }}"}
    conclusions:
      - {when: {nope: pass}, say: x}
""", capsys)  # fmt: skip
    assert "no check 'nope' in this step" in out
    assert "for target 'web': {{ target.host }} has no value here" in out


def test_a_hyphenated_id_gets_a_hint_to_quote_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = lint(tmp_path, """\
    checks:
      - {id: ecs-health, type: tcp, host: 127.0.0.1, port: 9}
    conclusions:
      - say: "{{ checks.ecs-health.summary }}"
""", capsys)  # fmt: skip
    assert """must be quoted: {{ checks."ecs-health".summary }}""" in out


def test_braces_are_written_literally_and_a_colon_in_say_gets_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        HEAD
        + """\
    manual:
      - say: List the containers.
        command: "docker ps --format '{{ '{{' }}.Names{{ '}}' }}' --filter name={{ target.name }}"
"""
    )
    assert main(["run", str(path), "-t", "db", "--json"]) == 0
    manual = json.loads(capsys.readouterr().out)["steps"][0]["manual"][0]
    assert manual["command"] == "docker ps --format '{{.Names}}' --filter name=db"
    out = lint(tmp_path, "    manual:\n      - say: Status: down\n", capsys)
    assert "hint: text holding ': ' must be quoted" in out


def test_label_passes_alert_labels_as_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + "    manual:\n      - say: 'pod {{ alert.labels.pod }}'\n")
    assert main(["run", str(path), "-t", "db", "--json", "--label", "pod=web-1"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"][0]["manual"][0]["say"] == "pod web-1"
    assert main(["run", str(path), "-t", "db", "--label", "pod"]) == 2
    # A label is still never an address: refused at load, as in serve.
    out = lint(tmp_path, """\
    checks:
      - {id: c, type: tcp, host: "{{ alert.labels.pod }}", port: 9}
""", capsys)  # fmt: skip
    assert "may not come from an alert label" in out


def test_dry_run_shows_checks_if_leaves_out_and_promql_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.yaml"
    site.write_text('vantage_points: {prom: {kind: prometheus, url: "http://127.0.0.1:9"}}\n')
    path = tmp_path / "t.yaml"
    path.write_text(
        HEAD
        + """\
    checks:
      - {id: up, type: prometheus, vantage: prom, query: 'probe_success{job="web"}'}
      - {id: only-web, type: tcp, if: "target.name == 'web'", host: 127.0.0.1, port: 9}
"""
    )
    assert main(["run", str(path), "-t", "db", "--dry-run", "--config", str(site)]) == 0
    out = capsys.readouterr().out
    assert 'query: probe_success{job="web"}' in out
    assert "only-web" in out and "if: target.name == 'web'" in out


def test_lint_config_finds_a_misspelled_blackbox_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bb.yml").write_text("modules:\n  tcp_connect: {prober: tcp}\n")
    site = tmp_path / "site.yaml"
    site.write_text("blackbox_config: bb.yml\n")
    path = tmp_path / "t.yaml"
    path.write_text(
        HEAD.replace("host: 127.0.0.1}", "host: 127.0.0.1, blackbox_module: tcp_conect}")
    )
    assert main(["lint", str(path), "--config", str(site)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:6:" in out
    assert "no blackbox module 'tcp_conect'" in out and "did you mean tcp_connect?" in out


def test_structure_references_and_aws_operations_in_one_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = lint(tmp_path, """\
    checks:
      - {id: bad-port, type: tcp, host: 127.0.0.1, port: 99999}
      - {id: ec2, type: aws, call: ec2.describe_instance}
      - {id: c, type: tcp, host: "{{ vars.nope }}", port: 9}
    conclusions:
      - {when: {zz: pass}, say: x}
      - {when: {bad-port: fail}, say: x}
""", capsys)  # fmt: skip
    assert "port: Input should be less than or equal to 65535" in out
    assert "no operation 'describe_instance'; did you mean describe_instances" in out
    assert "no variable 'nope'" in out
    assert "no check 'zz' in this step" in out
    # A part swapped out to check the rest is still a name others may use.
    assert "no check 'bad-port'" not in out


def test_dry_run_refuses_a_misspelled_blackbox_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bb.yml").write_text("modules:\n  tcp_connect: {prober: tcp}\n")
    site = tmp_path / "site.yaml"
    site.write_text(
        "blackbox_config: bb.yml\n"
        'vantage_points: {vpc: {kind: blackbox, url: "http://127.0.0.1:9"}}\n'
    )
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + """\
    checks:
      - {id: in, type: blackbox, vantage: vpc, module: tcp_conect, target: "127.0.0.1:9"}
""")  # fmt: skip
    assert main(["run", str(path), "-t", "db", "--dry-run", "--config", str(site)]) == 2
    assert "no blackbox module 'tcp_conect'" in capsys.readouterr().err
    assert main(["lint", str(path), "--config", str(site)]) == 1
    assert "did you mean tcp_connect?" in capsys.readouterr().out


def test_an_unknown_key_is_dropped_and_the_rest_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = lint(tmp_path, """\
    colour: red
    checks:
      - {id: a, type: tcp, host: 127.0.0.1, port: 9, extra: 1}
  - id: two
    title: Two
    checks:
      - {id: b, type: tcp, host: "{{ target.hots }}", port: "{{ checks.a.result.port }}"}
""", capsys)  # fmt: skip
    assert "unknown key 'colour'" in out and "unknown key 'extra'" in out
    assert "targets have no field 'hots'" in out
    assert "no check 'a'" not in out  # step one and its check are still there
