"""A check described in words, with the values it uses filled in.

Described by type through one table; a type without a describer (a new
executor) is still described, by its parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.docs.text import code, plain

Params = Mapping[str, Any]
Describe = Callable[[Params], str]


def describe(check_type: str, params: Params) -> str:
    return DESCRIBERS.get(check_type, _generic)(params)


def _at(params: Params) -> str:
    return code(f"{plain(params.get('host'))}:{plain(params.get('port'))}")


def _certificate(params: Params) -> str:
    name = params.get("server_name") or params.get("host")
    text = f", certificate for {code(plain(name))}"
    if params.get("verify") is False:
        text += " (chain and name not verified)"
    days = params.get("min_days_valid")
    return text + (f", valid {plain(days)}+ more days" if days else "")


def _tcp(params: Params) -> str:
    banner = params.get("banner")
    text = f"TCP connection to {_at(params)}"
    return text + (f", first line matching {code(plain(banner))}" if banner else "")


def _tls(params: Params) -> str:
    return f"TLS handshake with {_at(params)}{_certificate(params)}"


def _starttls(params: Params) -> str:
    protocol = code(plain(params.get("protocol")))
    return f"{protocol} STARTTLS upgrade on {_at(params)}{_certificate(params)}"


def _http(params: Params) -> str:
    method = code(plain(params.get("method", "GET")))
    statuses = code(plain(params.get("expect_status", "200-299")))
    text = f"{method} {code(plain(params.get('url')))}, expecting status {statuses}"
    body = params.get("body")
    return text + (f" and a body matching {code(plain(body))}" if body else "")


def _aws(params: Params) -> str:
    text = f"AWS call {code(plain(params.get('call')))}"
    if params.get("region"):
        text += f" in {code(plain(params['region']))}"
    arguments: Mapping[str, Any] = params.get("params") or {}
    if arguments:
        text += " with " + ", ".join(f"{k} {code(plain(v))}" for k, v in arguments.items())
    return text


def _blackbox(params: Params) -> str:
    via = f"blackbox_exporter vantage point {code(plain(params.get('vantage')))}"
    module = code(plain(params.get("module")))
    return f"asks the {via} to probe {code(plain(params.get('target')))} with module {module}"


def _prometheus(params: Params) -> str:
    via = f"Prometheus vantage point {code(plain(params.get('vantage')))}"
    return f"asks the {via} for {code(plain(params.get('query')))}"


def _generic(params: Params) -> str:
    # `expect` is shown on a line of its own, as "passes when".
    return ", ".join(f"{k} {code(plain(v))}" for k, v in params.items() if k != "expect")


DESCRIBERS: dict[str, Describe] = {
    "tcp": _tcp,
    "tls": _tls,
    "starttls": _starttls,
    "http": _http,
    "aws": _aws,
    "blackbox": _blackbox,
    "prometheus": _prometheus,
}
