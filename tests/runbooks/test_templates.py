from __future__ import annotations

import pytest

from bot.runbooks.templates import TemplateError, compile_template, compile_tree, render_tree

SCOPE = {
    "vars": {"control_domain": "example.test", "cluster": "mail"},
    "target": {"host": "smtp-in.example.test", "port": 25, "probe_from": ["public"]},
    "alert": {},
    "checks": {"group": {"result": {"arn": "arn:aws:elasticloadbalancing:tg/1"}}},
}


def test_a_lone_placeholder_keeps_the_value_type() -> None:
    assert compile_template("{{ target.port }}").render(SCOPE) == 25
    assert compile_template("{{ target.probe_from }}").render(SCOPE) == ["public"]


def test_placeholders_inside_text_are_turned_into_text() -> None:
    rendered = compile_template("{{ target.host }}:{{ target.port }}").render(SCOPE)
    assert rendered == "smtp-in.example.test:25"


def test_jmespath_or_gives_a_fallback() -> None:
    assert compile_template("{{ target.server_name || target.host }}").render(SCOPE) == (
        "smtp-in.example.test"
    )


def test_missing_value_is_an_error_naming_the_placeholder() -> None:
    with pytest.raises(TemplateError, match=r"\{\{ target.url \}\} has no value"):
        compile_template("{{ target.url }}").render(SCOPE)


def test_filled_in_values_are_quoted_for_commands() -> None:
    scope = {**SCOPE, "target": {"host": "x; rm -rf /", "port": 25}}
    command = compile_template("nc -zv {{ target.host }} {{ target.port }}")
    assert command.render(scope, quote=lambda s: f"<{s}>") == "nc -zv <x; rm -rf /> <25>"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ os.system }}", "must start with one of"),
        ("{{ }}", "empty placeholder"),
        ("{{ target.[ }}", "bad JMESPath"),
        ("left }} right", "unbalanced braces"),
        ("{{ target.host || env.HOME }}", "must start with one of"),
    ],
)
def test_templates_that_are_not_plain_lookups_are_rejected(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        compile_template(source)


def test_templates_anywhere_in_a_tree_are_compiled_and_filled() -> None:
    tree = compile_tree(
        {"TargetGroupArn": "{{ checks.group.result.arn }}", "n": [1, "{{ vars.cluster }}"]}
    )
    assert render_tree(tree, SCOPE) == {
        "TargetGroupArn": "arn:aws:elasticloadbalancing:tg/1",
        "n": [1, "mail"],
    }


def test_chains_name_every_root_an_expression_reads() -> None:
    expr = compile_template("{{ target.a || vars.b.c }}").exprs[0]
    assert expr.chains() == [("target", "a"), ("vars", "b", "c")]
