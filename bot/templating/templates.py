"""Templates fill in values and nothing else.

`{{ expr }}` holds a JMESPath expression evaluated over the scope
(`vars`, `target`, `alert`, `checks`, and `each` in a `for_each` check). A string that is a single
placeholder yields the value itself, so `port: "{{ target.port }}"` stays an
integer; anywhere else values are turned into text. There are no filters or
loops; the only calls are JMESPath's functions and the time functions
(`now()`, `age(x)`, `to_epoch(x)`, `duration('15m')`: bot/checks/timefuncs.py),
which compute over values and reach nothing outside.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jmespath.parser

from bot.checks.params import compile_jmespath

# `{{ expr }}`; quoted text inside may hold braces, so `{{ '{{' }}` and
# `{{ '}}' }}` write them literally (docker --format, JSON).
_PLACEHOLDER = re.compile(
    r"\{\{((?:'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\"|[^'`\"}]|\}(?!\}))*?)\}\}",
    re.DOTALL,
)
_HYPHENATED = re.compile(r"(?<![\w\"'])([A-Za-z_]\w*(?:-\w+)+)")
# `each`: the item of a check's `for_each`.
ROOTS = ("vars", "target", "alert", "checks", "each")
# A chain that reads the whole scope (`@`, `*`, `values(@)`): it could reach
# the alert without naming it, so no template may hold one.
WHOLE = "@"


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Expr:
    source: str
    parsed: jmespath.parser.ParsedResult

    def fields(self) -> tuple[str, ...]:
        """The leading chain of plain field names: `checks.tg.result[0]` gives
        ("checks", "tg", "result")."""
        return self._fields

    def chains(self) -> list[tuple[str, ...]]:
        """Every chain read from the root of the scope: `target.a || vars.b`
        gives [("target", "a"), ("vars", "b")]. Used to validate references."""
        return list(self._chains)

    # Walked once per expression: validation asks each one many times (issue
    # 19: ~34,000 walks linting 200 runbooks). The expression never changes.
    @functools.cached_property
    def _fields(self) -> tuple[str, ...]:
        return tuple(_leading_fields(_ast(self.parsed)))

    @functools.cached_property
    def _chains(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(c) for c in _root_chains(_ast(self.parsed)) if c)


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple[str | Expr, ...]

    @functools.cached_property
    def exprs(self) -> tuple[Expr, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expr))

    def render(self, scope: Mapping[str, Any], *, quote: Callable[[str], str] | None = None) -> Any:
        """Fill in values. `quote` escapes each filled-in value, for commands
        shown to a responder to copy into a shell."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Expr) and quote is None:
            return _lookup(self.parts[0], scope)
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                text = _as_text(_lookup(part, scope))
                # `{{ '{{' }}` is the author's own text: not a value to quote.
                literal = _ast(part.parsed).get("type") == "literal"
                out.append(quote(text) if quote and not literal else text)
        return "".join(out)

    def __str__(self) -> str:
        return self.source


# Templates are immutable and a shelf repeats the same ones (`{{ target.host }}`)
# across steps and runbooks: compiled once each (issue 19). Errors are not
# cached; they raise again.
@functools.lru_cache(maxsize=8192)
def compile_template(source: str) -> Template:
    parts: list[str | Expr] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(source):
        if match.start() > pos:
            parts.append(source[pos : match.start()])
        parts.append(_compile_expr(match.group(1).strip()))
        pos = match.end()
    if pos < len(source):
        parts.append(source[pos:])
    literal = "".join(p for p in parts if isinstance(p, str))
    if "{{" in literal or "}}" in literal:
        raise TemplateError(f"unbalanced braces in template {source!r}")
    return Template(source, tuple(parts))


def has_placeholder(value: str) -> bool:
    return "{{" in value


def compile_tree(value: Any) -> Any:
    """Compile every string holding a placeholder, anywhere in a YAML value."""
    if isinstance(value, str):
        return compile_template(value) if has_placeholder(value) else value
    if isinstance(value, list):
        return [compile_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: compile_tree(v) for k, v in value.items()}
    return value


def render_tree(
    value: Any, scope: Mapping[str, Any], *, quote: Callable[[str], str] | None = None
) -> Any:
    if isinstance(value, Template):
        return value.render(scope, quote=quote)
    if isinstance(value, list):
        return [render_tree(v, scope, quote=quote) for v in value]
    if isinstance(value, dict):
        return {k: render_tree(v, scope, quote=quote) for k, v in value.items()}
    return value


def reads_root(value: Any, root: str) -> bool:
    """Whether any placeholder in `value` reads from `root` (e.g. "alert")."""
    return any(c[0] == root for t in templates_in(value) for e in t.exprs for c in e.chains())


def templates_in(value: Any) -> list[Template]:
    if isinstance(value, Template):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in templates_in(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in templates_in(v)]
    return []


def shell_quote(value: str) -> str:
    """Quote a filled-in value for a command a responder will paste."""
    return value if re.fullmatch(r"[\w@%+=:,./-]+", value) else shlex.quote(value)


def _ast(parsed: jmespath.parser.ParsedResult) -> dict[str, Any]:
    tree: dict[str, Any] = parsed.parsed  # type: ignore[assignment]
    return tree


def _compile_expr(source: str) -> Expr:
    if not source:
        raise TemplateError("empty placeholder {{ }}")
    try:
        expr = Expr(source, compile_jmespath(source))
    except ValueError as exc:
        raise TemplateError(f"{exc}{_hyphen_hint(source)}") from exc
    chains = expr.chains()
    if any(chain[0] == WHOLE for chain in chains):
        raise TemplateError(
            f"{{{{ {source} }}}} reads the whole scope (@ or *): name what it reads,"
            f" starting with one of: {', '.join(ROOTS)}"
        )
    # No chain at all is a constant or a time function: `{{ now() }}`.
    if any(chain[0] not in ROOTS for chain in chains):
        raise TemplateError(f"{{{{ {source} }}}} must start with one of: {', '.join(ROOTS)}")
    return expr


def _hyphen_hint(source: str) -> str:
    """`checks.ecs-health` reads as `checks.ecs - health`: say how to quote."""
    names = _HYPHENATED.findall(source)
    if not names:
        return ""
    quoted = _HYPHENATED.sub(lambda m: f'"{m[1]}"', source)
    return f" (a name with '-' must be quoted: {{{{ {quoted} }}}})"


def _lookup(expr: Expr, scope: Mapping[str, Any]) -> Any:
    value = expr.parsed.search(dict(scope))
    if value is None:
        raise TemplateError(_why_none(expr, scope))
    return value


def _why_none(expr: Expr, scope: Mapping[str, Any]) -> str:
    """Name an unset variable and where to set it, rather than just 'no value'."""
    variables = scope.get("vars") or {}
    for chain in expr.chains():
        if chain[0] == "vars" and len(chain) > 1 and variables.get(chain[1]) is None:
            return (
                f"variable {chain[1]!r} has no value: set `vars.{chain[1]}` in the site config"
                " (docs/site-config.md)"
            )
    return f"{{{{ {expr.source} }}}} has no value here"


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), default=str)


_LEFT_FIRST = ("index_expression", "projection", "filter_projection", "flatten", "value_projection")


def _leading_fields(node: dict[str, Any]) -> list[str]:
    """The chain of plain field names a node starts by reading. `@` (and the
    `identity` of `*`) is the value itself, spelled WHOLE: `@.alert.x` reads
    ("alert", "x"), a bare `@` or `*` reads (WHOLE,)."""
    kind = node.get("type")
    if kind == "field":
        return [str(node["value"])]
    if kind in ("current", "identity"):
        return [WHOLE]
    if kind == "subexpression":
        return _subexpression_fields(node["children"])
    if kind in _LEFT_FIRST:  # `x[0]`, `x[*].y`, `x.*` read x first
        return _leading_fields(node["children"][0])
    return []


def _subexpression_fields(children: list[dict[str, Any]]) -> list[str]:
    fields = _leading_fields(children[0])
    if fields == [WHOLE] and len(children) > 1:  # `@.x` is `x`
        return _subexpression_fields(children[1:])
    if children[0].get("type") != "field":
        return fields
    for child in children[1:]:
        if child.get("type") != "field":
            break
        fields.append(str(child["value"]))
    return fields


# Nodes whose children are evaluated against the same value as the node
# itself; the right side of a projection or pipe is relative, not the root.
_SAME_CONTEXT = {
    "or_expression",
    "and_expression",
    "not_expression",
    "comparator",
    "function_expression",
    "multi_select_list",
    "multi_select_dict",
    "key_val_pair",
}
_CHAIN = {
    "field",
    "current",
    "identity",
    "index_expression",
    "projection",
    "filter_projection",
    "flatten",
    "value_projection",
}


def _root_chains(node: dict[str, Any]) -> list[list[str]]:
    """Every chain the node reads from the scope it is evaluated against.
    A value built from the scope (a function, a list or a hash of it) and then
    read further is followed through: `[@][0].alert` reads WHOLE."""
    kind = node.get("type")
    if kind == "subexpression":
        head = node["children"][0]
        if head.get("type") in ("field", "current", "identity"):
            return [_leading_fields(node)]
        return _root_chains(head)  # what follows reads what the head produced
    if kind in _CHAIN:
        return [_leading_fields(node)] if _leading_fields(node) else _root_chains_of(node)
    if kind == "pipe":  # the right side reads what the left produced
        return _root_chains(node["children"][0])
    if kind in _SAME_CONTEXT:
        return [c for child in node["children"] for c in _root_chains(child)]
    return []


def _root_chains_of(node: dict[str, Any]) -> list[list[str]]:
    """A projection or index over something that is not a plain chain (a
    function's result, a multi-select): what that something reads."""
    return _root_chains(node["children"][0])
