"""The one table of check types.

The runbook schema's union, the "unknown check type" error, `triage schema`,
the docs and the dry run are all derived from `REGISTRY`; there is no second
list. Each type describes itself (`bot.checks.spec`); installed plugins
(`bot.checks.plugins`) join the built-in types here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from bot.checks import (
    aws,
    blackbox,
    cloudwatch,
    command,
    dnsquery,
    http,
    logs,
    module,
    plugins,
    prometheus,
    starttls,
    tcp,
    tls,
)
from bot.checks.spec import CheckType


class Registry(Mapping[str, CheckType]):
    def __init__(self, types: Iterable[CheckType]) -> None:
        self._types: dict[str, CheckType] = {}
        for check_type in types:
            if check_type.name in self._types:
                raise ValueError(f"check type {check_type.name!r} registered twice")
            self._types[check_type.name] = check_type

    def __getitem__(self, name: str) -> CheckType:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)


REGISTRY = Registry(
    [
        tcp.CHECK,
        tls.CHECK,
        starttls.CHECK,
        http.CHECK,
        aws.CHECK,
        blackbox.CHECK,
        prometheus.CHECK,
        module.CHECK,
        dnsquery.CHECK,
        logs.CHECK,
        cloudwatch.CHECK,
        command.CHECK,
        *plugins.discovered(),
    ]
)
