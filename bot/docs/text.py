"""Templates shown to a reader: values filled in where they are known, the
rest left as a readable `<placeholder>`; and the little Markdown escaping a
page needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Re-exported: the docs read them here; check types use them for their own words.
from bot.checks.describing import code as code  # noqa: PLC0414
from bot.checks.describing import plain as plain  # noqa: PLC0414
from bot.runbooks.templates import Expr, Template, TemplateError

Hole = Callable[[str], str]


def in_code(source: str) -> str:
    """A value left to fill in, inside code (a command, a code span)."""
    return f"<{source}>"


def in_prose(source: str) -> str:
    """The same in prose, where `<...>` would be taken for an HTML tag."""
    return code(f"<{source}>")


def show(
    template: Template | str | None,
    scope: Mapping[str, Any],
    known: tuple[str, ...],
    *,
    hole: Hole = in_code,
) -> str:
    """The template as text: expressions reading only `known` roots filled in
    from `scope`, the others (a target's fields on a page about every
    target, an alert's labels, another check's result) as a `hole`."""
    if template is None:
        return ""
    if isinstance(template, str):
        return template
    return "".join(
        part if isinstance(part, str) else _text(_value(part, scope, known), part, hole)
        for part in template.parts
    )


def fill(value: Any, scope: Mapping[str, Any], known: tuple[str, ...]) -> Any:
    """Like `show` over a whole parameter tree; a lone placeholder that can
    be filled in keeps its value's type (a port stays a number)."""
    if isinstance(value, Template):
        if len(value.parts) == 1 and isinstance(value.parts[0], Expr):
            found = _value(value.parts[0], scope, known)
            return in_code(value.parts[0].source) if found is None else found
        return show(value, scope, known)
    if isinstance(value, list):
        return [fill(v, scope, known) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, scope, known) for k, v in value.items()}
    return value


def _value(expr: Expr, scope: Mapping[str, Any], known: tuple[str, ...]) -> Any:
    chains = expr.chains()
    if not chains or any(chain[0] not in known for chain in chains):
        return None
    try:
        return Template(expr.source, (expr,)).render(scope)
    except TemplateError:
        return None


def _text(value: Any, expr: Expr, hole: Hole) -> str:
    return hole(expr.source) if value is None else plain(value)


def one_line(text: str) -> str:
    """YAML's folded blocks keep line breaks Markdown tables cannot hold."""
    return " ".join(text.split())


def cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
