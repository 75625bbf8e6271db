"""A table of types by name, refusing a name twice: the shape shared by the
check types (bot.checks.registry) and the action types
(bot.actions.registry)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class Registry(Mapping[str, T], Generic[T]):
    def __init__(self, types: Iterable[T], *, kind: str) -> None:
        self._types: dict[str, T] = {}
        for each in types:
            if each.name in self._types:
                raise ValueError(f"{kind} {each.name!r} registered twice")
            self._types[each.name] = each

    def __getitem__(self, name: str) -> T:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)
