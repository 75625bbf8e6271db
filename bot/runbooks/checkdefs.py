"""Runbook check entries, derived from the executor registry.

Each registered check type becomes one variant of a discriminated union
keyed by `type`: the common fields below plus that executor's parameters,
where any parameter may instead be a `{{ placeholder }}` filled in at run time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import Discriminator, Field, PrivateAttr, Tag, create_model, model_validator
from pydantic.fields import FieldInfo

from bot.checks.params import JMESPath, Params, truthy
from bot.checks.registry import REGISTRY
from bot.checks.result import CheckStatus
from bot.checks.spec import CheckType
from bot.runbooks.fields import Model, Placeholder, Slug
from bot.runbooks.templates import (
    TemplateError,
    compile_tree,
    reads_root,
    render_tree,
    shell_quote,
)

DEFAULT_TIMEOUT = 5.0
Outcome = Literal["pass", "fail", "error", "skipped"]
Outcomes = Annotated[
    Outcome | list[Outcome], Field(description="an outcome, or a list meaning any of them")
]
_ITEM_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,30}")


def allowed(wanted: Outcome | list[Outcome]) -> list[str]:
    return list(wanted) if isinstance(wanted, list) else [wanted]


class CheckDef(Model):
    id: Slug
    type: str
    title: str = ""
    timeout: float = Field(DEFAULT_TIMEOUT, gt=0, le=300, description="deadline in seconds")
    if_: JMESPath | None = Field(
        None, alias="if", description="JMESPath over vars/target/alert: run only when truthy"
    )
    as_: Slug | None = Field(
        None,
        alias="as",
        description="a name shared by alternatives (for different kinds of target) in conclusions",
    )
    needs: dict[Slug, Outcomes] = Field(
        default_factory=dict,
        description="checks (this step's or an earlier step's) that must end so before this one"
        " runs, e.g. {service: fail}: a drill-down. A check it reads and does not list here"
        " must pass",
    )
    for_each: list[str | int] | JMESPath | None = Field(
        None,
        description="run once per item, read as {{ each }}: a list, or JMESPath over"
        " vars/target/site giving one. Ids become <id>-<item>; the id itself names them all",
    )
    # The parameters as written, placeholders compiled: rendered and validated
    # against the executor's own model when the check runs.
    _params: dict[str, Any] = PrivateAttr(default_factory=dict)
    _template_errors: dict[str, str] = PrivateAttr(default_factory=dict)
    # The check as written, for a copy made for one item of its `for_each`.
    _origin: CheckDef | None = PrivateAttr(None)

    @property
    def origin(self) -> CheckDef:
        return self._origin or self

    def for_item(self, run_id: str) -> CheckDef:
        """This check under the id of one of its `for_each` runs."""
        if run_id == self.id:
            return self
        copy = self.model_copy(update={"id": run_id})
        copy._origin = self.origin
        return copy

    @property
    def param_templates(self) -> dict[str, Any]:
        return self._params

    @property
    def template_errors(self) -> dict[str, str]:
        """Parameters whose placeholders do not compile, by key."""
        return self._template_errors

    @property
    def outcome_name(self) -> str:
        """What conclusions read it by: its `as` name, or the id as written
        (which names every run of a `for_each`)."""
        return self.as_ or self.origin.id

    @property
    def check_type(self) -> CheckType:
        return REGISTRY[self.type]

    def needed(self, name: str) -> list[str]:
        """The outcomes of check `name` this one runs after (pass by default)."""
        wanted = self.needs.get(name)
        return allowed(wanted) if wanted is not None else [CheckStatus.PASS.value]

    def items(self, scope: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """(run id, item) for each run of this check: one, or one per item
        of `for_each` (a value that is not a list gives none)."""
        if self.for_each is None:
            return [(self.id, None)]
        found = (
            self.for_each if isinstance(self.for_each, list) else self.for_each.search(dict(scope))
        )
        if not isinstance(found, list):
            return []
        return [(item_id(self.id, item, i), item) for i, item in enumerate(found)]

    def applies(self, scope: Mapping[str, Any]) -> bool:
        """Whether `if:` holds for this target (JMESPath truthiness)."""
        return self.if_ is None or truthy(self.if_.search(dict(scope)))

    def render(self, scope: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters with values filled in; raises TemplateError. Values
        filled into shell text (a `command`) are shell-quoted."""
        shell = self.check_type.shell_quoted
        return {
            key: render_tree(value, scope, quote=shell_quote if key in shell else None)
            for key, value in self._params.items()
        }

    def prepare(self, scope: Mapping[str, Any]) -> Params:
        """Filled-in parameters validated by the executor's own model; raises
        TemplateError or pydantic's ValidationError."""
        return self.check_type.params.model_validate(self.render(scope))

    @model_validator(mode="wrap")
    @classmethod
    def _keep_params(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        if isinstance(data, dict):
            for key, value in data.items():
                if key in COMMON_KEYS:
                    continue
                try:
                    model._params[key] = compile_tree(value)
                except TemplateError as exc:
                    model._template_errors[key] = str(exc)
            model._template_errors |= _alert_filled(model)
        return model


def item_id(base: str, item: Any, index: int) -> str:
    """`health-imap` for item "imap"; `health-2` when the item is not a short
    name (a number, a mapping, text with spaces)."""
    text = str(item).lower() if isinstance(item, str | int) and not isinstance(item, bool) else ""
    return f"{base}-{text}" if _ITEM_ID.fullmatch(text) else f"{base}-{index + 1}"


COMMON_KEYS = frozenset(f.alias or name for name, f in CheckDef.model_fields.items())


def _alert_filled(check: CheckDef) -> dict[str, str]:
    """Parameters of this type that an alert's labels may not fill, yet do."""
    found = REGISTRY.get(check.type)
    guarded = found.from_runbook_only if found is not None else frozenset()
    return {
        key: f"{key} may not come from an alert label (text from outside): use values of the"
        " runbook, the site config or {{ target.* }}"
        for key, value in check.param_templates.items()
        if key in guarded and reads_root(value, "alert")
    }


def _variant(check_type: CheckType) -> type[CheckDef]:
    fields: dict[str, Any] = {"type": (Literal[check_type.name], ...)}
    for name, info in check_type.params.model_fields.items():
        if name in COMMON_KEYS:
            raise ValueError(f"{check_type.name}: parameter {name!r} clashes with a common key")
        fields[name] = _templatable(info)
    variant: type[CheckDef] = create_model(
        f"{check_type.name.title().replace('_', '')}Check",
        __base__=CheckDef,
        __doc__=check_type.description,
        **fields,
    )
    return variant


def _templatable(info: FieldInfo) -> tuple[Any, Any]:
    # The parameter's own constraints stay with its own type, inside the
    # union. Left to right: a placeholder string is taken as such before the
    # parameter's type gets a chance to reject (or coerce) it.
    annotation = _items_templatable(info.annotation)
    own: Any = Annotated[annotation, *info.metadata] if info.metadata else annotation
    union: Any = Union[Placeholder, own]  # noqa: UP007
    extra: dict[str, Any] = {"description": info.description, "union_mode": "left_to_right"}
    if info.default_factory is not None:
        return union, Field(default_factory=info.default_factory, **extra)
    return union, Field(default=info.default, **extra)


def _items_templatable(annotation: Any) -> Any:
    """A list parameter's items may be placeholders too: `["{{ vars.host_id }}"]`
    is checked against the item's own type once filled in."""
    if get_origin(annotation) is not list:
        return annotation
    (item,) = get_args(annotation)
    either: Any = Union[Placeholder, item]  # noqa: UP007
    return list[Annotated[either, Field(union_mode="left_to_right")]]


def _type_of(data: Any) -> str | None:
    if isinstance(data, dict):
        value = data.get("type")
        return value if isinstance(value, str) else None
    return getattr(data, "type", None)


@cache
def check_union() -> Any:
    """The `checks:` item type: one variant per registered check type."""
    variants = tuple(Annotated[_variant(t), Tag(t.name)] for t in REGISTRY.values())
    return Annotated[Union[variants], Discriminator(_type_of)]  # noqa: UP007
