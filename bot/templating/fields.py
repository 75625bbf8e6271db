"""Field types shared by the runbook and action models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from bot.templating.templates import Template, compile_template


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    Field(description="lower-case letters, digits, '-' and '_'"),
]


def _to_template(value: Any) -> Template:
    if isinstance(value, Template):
        return value
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return compile_template(str(value))
    raise ValueError("expected text")


TemplateText = Annotated[
    Template,
    PlainValidator(_to_template),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "description": "text; {{ expr }} fills in a value"}),
]
"""Text in which `{{ ... }}` placeholders are filled in."""


def _placeholder(value: Any) -> str:
    if not isinstance(value, str) or "{{" not in value:
        raise ValueError("not a {{ placeholder }}")
    compile_template(value)
    return value


PLACEHOLDER_MEMBER = "function-plain[_placeholder()]"
Placeholder = Annotated[
    str,
    PlainValidator(_placeholder),
    WithJsonSchema({"type": "string", "pattern": r"\{\{.*\}\}"}),
]
"""A string holding a placeholder, accepted in place of any parameter value.
(Its name in pydantic's error locations is PLACEHOLDER_MEMBER.)"""
