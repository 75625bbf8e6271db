"""`dns` against a real DNS server on loopback (tests/peers/dns.py)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.checks import dnsquery
from bot.checks.context import DnsSettings, RunContext
from bot.checks.result import CheckStatus, ErrorKind
from tests.peers.dns import DnsPeer

ROOT = Path(__file__).parents[2]


def ctx(peer: DnsPeer, timeout: float = 2.0) -> RunContext:
    return RunContext(timeout=timeout, dns=DnsSettings(resolvers={"lab": (peer.nameserver,)}))


async def lookup(peer: DnsPeer, budget: float = 2.0, **params: object) -> dnsquery.CheckResult:
    checked = dnsquery.Params.model_validate({"resolver": "lab", **params})
    return await dnsquery.run(checked, ctx(peer, budget))


async def test_a_records_are_listed_and_expectations_read_them(dns_server: DnsPeer) -> None:
    dns_server.add("web.example.com", "A", "192.0.2.10", "192.0.2.11")
    result = await lookup(dns_server, name="web.example.com")
    assert result.status is CheckStatus.PASS
    assert result.summary == "web.example.com A at resolver lab: 192.0.2.10, 192.0.2.11"
    assert dns_server.queries == [("web.example.com.", "A")]
    wrong = await lookup(
        dns_server, name="web.example.com", expect="contains(answers, '192.0.2.99')"
    )
    assert wrong.status is CheckStatus.FAIL
    assert wrong.error_kind is None
    assert wrong.summary.endswith("; expected contains(answers, '192.0.2.99')")


@pytest.mark.parametrize(
    ("record", "value", "shown"),
    [
        ("AAAA", "2001:db8::1", "2001:db8::1"),
        ("MX", "10 mx.example.com.", "10 mx.example.com."),
        ("TXT", '"v=spf1 -all"', "v=spf1 -all"),
        ("CNAME", "lb.example.net.", "lb.example.net."),
    ],
)
async def test_each_record_type_is_read(
    dns_server: DnsPeer, record: str, value: str, shown: str
) -> None:
    dns_server.add("example.com", record, value)
    result = await lookup(dns_server, name="example.com", record=record)
    assert result.status is CheckStatus.PASS, result.summary
    assert result.result["answers"] == [shown]


async def test_a_missing_name_fails_as_nxdomain(dns_server: DnsPeer) -> None:
    result = await lookup(dns_server, name="gone.example.com")
    assert (result.status, result.error_kind) == (CheckStatus.FAIL, ErrorKind.DNS)
    assert "name does not exist (NXDOMAIN)" in result.summary


async def test_a_name_without_that_record_says_so(dns_server: DnsPeer) -> None:
    dns_server.add("example.com", "A", "192.0.2.1")
    result = await lookup(dns_server, name="example.com", record="MX")
    assert result.status is CheckStatus.FAIL
    assert "the name exists but has no MX records" in result.summary


@pytest.mark.parametrize(("mode", "said"), [("servfail", "SERVFAIL"), ("refused", "REFUSED")])
async def test_a_resolver_error_is_named(dns_server: DnsPeer, mode: str, said: str) -> None:
    dns_server.mode = mode
    result = await lookup(dns_server, name="example.com")
    assert (result.status, result.error_kind) == (CheckStatus.FAIL, ErrorKind.DNS)
    assert f"resolver answered {said}" in result.summary


async def test_a_silent_resolver_fails_within_the_deadline(dns_server: DnsPeer) -> None:
    dns_server.mode = "silent"
    started = time.monotonic()
    result = await lookup(dns_server, budget=0.5, name="example.com")
    assert time.monotonic() - started < 0.5 + 0.5
    assert (result.status, result.error_kind) == (CheckStatus.FAIL, ErrorKind.TIMEOUT)
    assert "no answer within 0.5 s" in result.summary


async def test_a_listed_address_fails_with_the_blocklists_reason(dns_server: DnsPeer) -> None:
    dns_server.add("7.113.0.203.bl.example.org", "A", "127.0.0.2")
    dns_server.add("7.113.0.203.bl.example.org", "TXT", '"listed for spam, see example.org"')
    result = await lookup(dns_server, blocklist="bl.example.org", address="203.0.113.7")
    assert result.status is CheckStatus.FAIL
    assert "203.0.113.7 is LISTED in bl.example.org: 127.0.0.2 (listed for spam" in result.summary
    clean = await lookup(dns_server, blocklist="bl.example.org", address="203.0.113.8")
    assert clean.status is CheckStatus.PASS
    assert clean.summary.endswith("203.0.113.8 is not listed in bl.example.org")


async def test_an_unknown_resolver_is_skipped_naming_the_configured_ones(
    dns_server: DnsPeer,
) -> None:
    result = await lookup(dns_server, name="example.com", resolver="internal")
    assert result.status is CheckStatus.SKIPPED
    assert result.summary == "no resolver 'internal' in the site config (configured: lab)"
    assert dns_server.queries == []


@pytest.mark.parametrize(
    "params",
    [
        {"name": "a.example", "blocklist": "bl.example"},
        {"blocklist": "bl.example"},
        {"blocklist": "bl.example", "address": "not-an-ip"},
        {"name": "a b"},
    ],
)
def test_bad_questions_are_refused_when_the_runbook_loads(params: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        dnsquery.Params.model_validate(params)


@pytest.mark.parametrize("nameserver", ["169.254.169.254", "[fe80::1]:53", "dns.example:53"])
def test_a_nameserver_must_be_an_allowed_address(nameserver: str) -> None:
    with pytest.raises(ValueError):
        dnsquery.split_nameserver(nameserver)


def test_dry_run_names_the_query_and_the_nameservers() -> None:
    settings = RunContext(timeout=1.0, dns=DnsSettings(resolvers={"lab": ("[::1]:5353",)}))
    params = dnsquery.Params(blocklist="bl.example.org", address="203.0.113.7", resolver="lab")
    say, call = dnsquery.CHECK.dry(params, settings)
    assert say == "DNS A query for 7.113.0.203.bl.example.org to ::1:5353"
    assert call["nameservers"] == ["::1:5353"]
    assert dnsquery.CHECK.words({"name": "example.com", "record": "MX"}) == (
        "looks up the `MX` records of `example.com`"
    )


RUNBOOK = """
id: mail-dns
title: Mail DNS
summary: s
vars:
  domain: {default: example.com}
targets:
  mx: {title: MX, impact: none, protocol: smtp, host: "mx.example.com", port: 25}
steps:
  - id: s
    title: S
    checks:
      - {id: mx, type: dns, name: "{{ vars.domain }}", record: MX, resolver: lab}
    conclusions:
      - when: {mx: pass}
        say: "MX: {{ checks.mx.result.answers[0] }}"
"""


async def test_triage_run_asks_the_resolver_the_site_config_names(
    dns_server: DnsPeer, tmp_path: Path
) -> None:
    dns_server.add("example.com", "MX", "10 mx.example.com.")
    (tmp_path / "mail-dns.yaml").write_text(RUNBOOK)
    site = tmp_path / "site.yaml"
    site.write_text(f"dns:\n  resolvers:\n    lab: ['{dns_server.nameserver}']\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", str(tmp_path / "mail-dns.yaml"),
        "--target", "mx", "--config", str(site), "--json",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    (step,) = json.loads(out)["steps"]
    assert step["conclusion"] == "MX: 10 mx.example.com."
    assert dns_server.queries == [("example.com.", "MX")]
