"""Threat: an alert's labels choose what the bot dials.

Alert labels are text from outside (anyone who can post to Alertmanager's
webhook, or whose metrics carry a label). They may pick a catalogue target
through `triggers`, never an address: a runbook whose address-like parameter
(host, url, target, port, server name, vantage point, blackbox module,
query, endpoint, region) reads `alert` in any spelling JMESPath accepts is
refused at load, located. The rule reads the parsed expression, not its text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_runbook
from bot.runbooks.templates import TemplateError, compile_template

RUNBOOK = """\
id: labels
title: Labels
summary: s
vars:
  fallback: {{default: mail.example.test}}
targets:
  mail: {{title: Mail, impact: none, protocol: smtp, host: mail.example.test, port: 25,
          url: "http://mail.example.test/"}}
steps:
  - id: one
    title: One
    checks:
      - id: c
{check}
"""

# Spellings of "the alert's instance label" that hide or reach the chain.
SPELLINGS = [
    "alert.labels.instance",
    "@.alert.labels.instance",
    "(@).alert.labels.instance",
    "@.alert.labels.instance || vars.fallback",
    "vars.fallback || @.alert.labels.instance",
    "target.host && @.alert.labels.instance",
    "[alert.labels.instance][0]",
    "{h: alert.labels.instance}.h",
    "join('', [@.alert.labels.instance])",
    "not_null(alert.labels.instance, vars.fallback)",
    "@.alert.labels.* | [0]",
    '"alert".labels.instance',
    "alert.labels | instance",
    "alert.labels[?true] | [0]",
]
# Spellings that read the whole scope, so could reach `alert` without naming it.
WHOLE_SCOPE = [
    "@",
    "*.labels.instance | [0]",
    "values(@)[0].labels.instance",
    "[@][0].alert.labels.instance",
    "merge(@).alert.labels.instance",
    "to_array(@)[0].alert.labels.instance",
    "@ | alert.labels.instance",
    "vars.fallback || values(@)[1].labels.instance",
    "@.*[0]",
    "@[*].alert",
]


def check_with(param: str, value: str, check_type: str) -> str:
    bodies = {
        "tcp": {"host": "mail.example.test", "port": 25},
        "tls": {"host": "mail.example.test", "port": 465},
        "http": {"url": "http://mail.example.test/"},
        "blackbox": {"vantage": "vpc", "module": "tcp_connect", "target": "mail:25"},
        "prometheus": {"vantage": "prom", "query": "up"},
        "module": {"module": "tcp_connect", "target": "mail:25"},
        "aws": {"call": "ecs.describe_services", "params": {"cluster": "c", "services": "[s]"}},
    }
    body = {**bodies[check_type], param: value}
    lines = [f"        type: {check_type}"]
    lines += [f"        {key}: {_yaml(v)}" for key, v in body.items()]
    return "\n".join(lines)


def _yaml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def load(tmp_path: Path, check: str) -> None:
    path = tmp_path / "labels.yaml"
    path.write_text(RUNBOOK.format(check=check))
    load_runbook(path)


def refused(tmp_path: Path, check: str) -> str:
    with pytest.raises(RunbookError) as caught:
        load(tmp_path, check)
    problems = caught.value.problems
    assert len(problems) == 1, str(caught.value)
    assert problems[0].line > 1
    return problems[0].message


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_alert_label_as_host_is_refused(tmp_path: Path, spelling: str) -> None:
    message = refused(tmp_path, check_with("host", f"{{{{ {spelling} }}}}", "tcp"))
    assert "may not come from an alert label" in message


@pytest.mark.parametrize("spelling", WHOLE_SCOPE)
def test_expressions_over_the_whole_scope_are_refused_everywhere(spelling: str) -> None:
    with pytest.raises(TemplateError, match="whole scope"):
        compile_template(f"{{{{ {spelling} }}}}")


ADDRESS_LIKE = [
    ("tcp", "host"),
    ("tcp", "port"),
    ("tls", "server_name"),
    ("http", "url"),
    ("blackbox", "vantage"),
    ("blackbox", "module"),
    ("blackbox", "target"),
    ("prometheus", "vantage"),
    ("prometheus", "query"),
    ("module", "module"),
    ("module", "target"),
    ("aws", "region"),
]


@pytest.mark.parametrize(("check_type", "param"), ADDRESS_LIKE)
def test_every_address_like_parameter_refuses_alert_labels(
    tmp_path: Path, check_type: str, param: str
) -> None:
    check = check_with(param, "{{ @.alert.labels.instance }}", check_type)
    assert "may not come from an alert label" in refused(tmp_path, check)


def test_labels_may_still_fill_text_that_is_not_an_address(tmp_path: Path) -> None:
    check = (
        "        type: aws\n        call: ecs.describe_services\n"
        '        params: {cluster: c, services: ["{{ alert.labels.service }}"]}'
    )
    load(tmp_path, check)


def test_ordinary_references_still_compile() -> None:
    for source in ("target.host", "vars.a || target.host", "checks.x.result[0].arn"):
        template = compile_template(f"{{{{ {source} }}}}")
        assert all(chain[0] != "@" for e in template.exprs for chain in e.chains())
