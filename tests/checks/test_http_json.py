"""The http check's requests and JSON judgement (#16 item 4), against the
loopback peers of tests/peers/web.py: /api/health serves a health document,
/api/echo answers with the request it got."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot import redact
from bot.checks import http
from bot.checks.context import RunContext
from bot.checks.result import CheckResult, CheckStatus, ErrorKind
from tests.peers.web import HEALTH, WebPeer

CTX = RunContext(timeout=3.0)
TOKEN = "grafana-token-5f2b9c7e1d"
REASON = "a search API: POST carries the query, nothing is stored"


async def probe(url: str, ctx: RunContext = CTX, **params: Any) -> CheckResult:
    return await http.run(http.Params(url=url, **params), ctx)


async def test_json_expect_fails_naming_the_value_the_query_picked(web_server: WebPeer) -> None:
    result = await probe(
        web_server.url("/api/health"),
        query="checks[?status != 'ok'].name",
        expect="length(@) == `0`",
    )

    assert result.status is CheckStatus.FAIL, result.summary
    assert result.error_kind is None
    assert result.summary.endswith('expected length(@) == `0` (got ["cache"])'), result.summary
    assert result.result is not None and result.result["json"] == ["cache"]


async def test_json_expect_that_holds_passes_and_shows_the_value(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/api/health"), query="version", expect="@ == '1.4.2'")

    assert result.status is CheckStatus.PASS, result.summary
    assert result.summary.endswith("answered 200 OK: \"1.4.2\", @ == '1.4.2' holds")
    assert result.result is not None and result.result["json"] == "1.4.2"


async def test_expect_without_query_reads_the_whole_document(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/api/health"), expect="status == 'ok'")

    assert result.status is CheckStatus.FAIL
    assert result.result is not None and result.result["json"] == HEALTH
    assert "expected status == 'ok'" in result.summary


async def test_a_body_that_is_not_json_fails_as_protocol_quoting_its_start(
    web_server: WebPeer,
) -> None:
    result = await probe(web_server.url("/ok"), expect="status == 'ok'")

    assert result.status is CheckStatus.FAIL
    assert result.error_kind is ErrorKind.PROTOCOL
    assert "its body is not JSON" in result.summary
    assert "'<html><title>triage" in result.summary


async def test_a_body_over_the_cap_is_not_judged_as_json(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/big"), expect="`true`")

    assert result.status is CheckStatus.FAIL
    assert "over 64 KiB" in result.summary


async def test_post_with_a_reason_sends_the_json_payload_and_headers(web_server: WebPeer) -> None:
    result = await probe(
        web_server.url("/api/echo"),
        method="POST",
        read_only_because=REASON,
        headers={"X-Grafana-Org-Id": "3"},
        payload={"query": "up", "limit": 5},
        query='{method: method, type: headers."Content-Type", org: headers."X-Grafana-Org-Id",'
        " body: body}",
    )

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result is not None
    echoed = result.result["json"]
    assert echoed["method"] == "POST"
    assert echoed["type"] == "application/json"
    assert echoed["org"] == "3"
    assert json.loads(echoed["body"]) == {"query": "up", "limit": 5}


async def test_a_text_payload_is_sent_as_written(web_server: WebPeer) -> None:
    result = await probe(
        web_server.url("/api/echo"),
        method="POST",
        read_only_because=REASON,
        payload="{ __typename }",
        query="body",
    )

    assert result.result is not None and result.result["json"] == "{ __typename }"


async def test_a_307_on_the_same_host_keeps_the_post_and_a_303_turns_it_into_get(
    web_server: WebPeer,
) -> None:
    kept = await probe(
        web_server.url("/api/307"), method="POST", read_only_because=REASON, payload="q",
        query="[method, body]",
    )  # fmt: skip
    turned = await probe(
        web_server.url("/api/303"), method="POST", read_only_because=REASON, payload="q",
        query="[method, body]",
    )  # fmt: skip

    assert kept.result is not None and kept.result["json"] == ["POST", "q"]
    assert turned.result is not None and turned.result["json"] == ["GET", ""]


async def test_a_post_is_still_refused_a_redirect_to_metadata(web_server: WebPeer) -> None:
    result = await probe(web_server.url("/to-metadata"), method="POST", read_only_because=REASON)

    assert result.status is CheckStatus.ERROR
    assert result.error_kind is ErrorKind.DENIED


async def test_bearer_token_from_the_environment_is_sent_and_masked_everywhere(
    web_tls_server: WebPeer, web_ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_GRAFANA_TOKEN", TOKEN)
    result = await probe(
        web_tls_server.url("/api/echo"),
        RunContext(timeout=3.0, ca_file=web_ca_file),
        auth={"bearer": {"env": "TEST_GRAFANA_TOKEN"}},
        query="headers.Authorization",
    )

    assert result.status is CheckStatus.PASS, result.summary
    assert result.result is not None and result.result["json"] == f"Bearer {TOKEN}"
    # The peer echoed the secret into the summary: every redactor masks it,
    # including one built before the secret was read.
    assert TOKEN in result.summary
    assert TOKEN not in redact.Redactor().redact(result.summary)
    # Bare, where no credential shape gives it away: masked because it was learnt.
    assert redact.Redactor().redact(f"token was {TOKEN}.") == "token was ***."
    assert TOKEN not in json.dumps(redact.active().redact_tree({"details": [TOKEN]}))


async def test_basic_credentials_from_a_file_are_sent_and_masked(
    web_tls_server: WebPeer, web_ca_file: str, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret-from-file-9\n")
    result = await probe(
        web_tls_server.url("/api/echo"),
        RunContext(timeout=3.0, ca_file=web_ca_file),
        auth={"basic": {"user": "triage", "password": {"file": str(secret)}}},
        query="headers.Authorization",
    )

    encoded = base64.b64encode(b"triage:s3cret-from-file-9").decode()
    assert result.result is not None and result.result["json"] == f"Basic {encoded}"
    assert encoded not in redact.Redactor().redact(result.summary)
    assert redact.Redactor().redact("it was s3cret-from-file-9") == "it was ***"


async def test_a_missing_secret_is_an_auth_error_naming_where_to_set_it(
    web_tls_server: WebPeer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TEST_UNSET_TOKEN", raising=False)
    from_env = await probe(
        web_tls_server.url("/api/echo"), auth={"bearer": {"env": "TEST_UNSET_TOKEN"}}
    )
    from_file = await probe(
        web_tls_server.url("/api/echo"),
        auth={"bearer": {"file": str(tmp_path / "absent")}},
    )

    assert from_env.status is CheckStatus.ERROR
    assert from_env.error_kind is ErrorKind.AUTH
    assert "environment variable TEST_UNSET_TOKEN is not set on the bot" in from_env.summary
    assert from_file.error_kind is ErrorKind.AUTH
    assert "No such file or directory" in from_file.summary


def test_dry_run_shows_where_the_secret_comes_from_never_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_GRAFANA_TOKEN", TOKEN)
    params = http.Params(
        url="https://grafana.example.test/api/search",
        method="POST",
        read_only_because=REASON,
        auth={"bearer": {"env": "TEST_GRAFANA_TOKEN"}},
        payload={"query": "up"},
        query="results",
        expect="length(results) > `0`",
    )

    say, call = http.CHECK.dry(params, CTX)

    assert "Authorization: Bearer <environment variable TEST_GRAFANA_TOKEN>" in say
    assert 'payload {"query":"up"}' in say
    assert say.endswith(", report results of the JSON body, pass when length(results) > `0`")
    assert call["headers"] == {"Authorization": "Bearer <environment variable TEST_GRAFANA_TOKEN>"}
    assert TOKEN not in say + json.dumps(call)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "PUT"}, "an HTTP PUT changes things"),
        ({"method": "patch"}, "an HTTP PATCH changes things"),
        ({"method": "POST", "read_only_because": "short"}, "at least 10"),
        ({"payload": {"a": 1}}, "a GET request carries no `payload`"),
        ({"headers": {"Authorization": "Bearer x"}}, "use `auth`"),
        ({"headers": {"host": "other.test"}}, "the Host is the URL's"),
        ({"method": "HEAD", "expect": "`true`"}, "no body to judge"),
        ({"auth": {"bearer": {"env": "T"}}, "url": "http://example.test/"}, "only over https"),
        ({"auth": {"bearer": {"file": "relative/path"}}}, "pattern"),
        ({"auth": {"bearer": "literal-token"}}, "auth"),
        ({"expect": "status =="}, "bad JMESPath"),
    ],
)
def test_bad_requests_are_refused_at_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        http.Params(**{"url": "https://example.test/", **params})


def test_the_method_rule_is_vetted_as_written() -> None:
    assert "read_only_because" in http.vet({"method": "POST"})["method"]
    assert http.vet({"method": "POST", "read_only_because": REASON}) == {}
    assert http.vet({"url": "{{ target.url }}"}) == {}
