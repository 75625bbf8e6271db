"""The one-shot commands read the store BotSettings names (TRIAGE_DB or
--db), a SQLite file or, for replicas, a PostgreSQL URL: `triage audit`,
`timeline` and `postmortem` against the real server on loopback, in a
database of their own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.postgres import PostgresStore
from tests.cli.test_timeline import record
from tests.peers.mail import Peer
from tests.store import pg

RUNBOOKS = Path(__file__).parents[2] / "runbooks"


async def _recorded(url: str) -> None:
    store = PostgresStore(url, min_size=1, max_size=2)
    await store.connect()
    try:
        await record(store)
    finally:
        await store.aclose()


@pytest.fixture
def postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """TRIAGE_DB: a fresh database holding one recorded incident."""
    with pg.fresh_database() as (url, _):
        asyncio.run(_recorded(url))
        monkeypatch.setenv("TRIAGE_DB", url)
        yield url


def test_audit_reads_a_postgresql_store(postgres: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert {k: json.loads(line)[k] for k in ("incident", "actor", "action")} == {
        "incident": 1, "actor": "U7", "action": "escalate",
    }  # fmt: skip


def test_timeline_and_postmortem_read_a_postgresql_store(
    postgres: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["timeline", "1", "--json"]) == 0
    kinds = [e["kind"] for e in json.loads(capsys.readouterr().out)["entries"]]
    assert kinds == ["opened", "step", "escalate", "resolved"]
    monkeypatch.setenv("TRIAGE_RUNBOOKS", str(RUNBOOKS))
    assert main(["postmortem", "1"]) == 0
    assert "fail: connection refused" in capsys.readouterr().out
    assert main(["timeline", "7", "--db", postgres]) == 2
    assert "no incident 7" in capsys.readouterr().err


def test_an_unreachable_postgresql_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, closed_port: Peer
) -> None:
    where = f"127.0.0.1:{closed_port.port}/none"
    monkeypatch.setenv("TRIAGE_DB", f"postgresql://postgres:pw@{where}")
    assert main(["audit"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"triage audit: cannot use the PostgreSQL store at {where}")
    assert "pw" not in err and "Traceback" not in err
