"""The one table of check types.

The runbook schema's union, the "unknown check type" error, `triage schema`,
the docs and the dry run are all derived from `REGISTRY`; there is no second
list. Each type describes itself (`bot.checks.spec`); installed plugins
(`bot.checks.plugins`) join the built-in types here.
"""

from __future__ import annotations

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
from bot.registry import Registry

REGISTRY: Registry[CheckType] = Registry(
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
    ],
    kind="check type",
)
