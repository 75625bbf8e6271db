"""`triage console` shows what the bot posts as files: a chart as the path of
its saved PNG and a one-line sparkline where the thread shows the image, the
Timeline button's file and the postmortem draft as their text; all saved in
a folder the console names. The charts' Prometheus is the demo's stand-in,
the checks are real, on loopback."""

from __future__ import annotations

import io
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo.loop import LoopThread
from bot.demo.prometheus import ProbeHistory, app
from bot.demo.web import serve_app
from tests.peers.mail import Peer

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def history_url(closed_port: Peer) -> Iterator[str]:
    """The demo's Prometheus, the relay's probe failing for the last 5 minutes."""
    now = time.time()
    history = ProbeHistory({f"127.0.0.1:{closed_port.port}": now - 300}, since=now - 3600)
    thread = LoopThread("test-prometheus")
    runner, port = thread.run(serve_app(app(history)))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        thread.run(runner.cleanup())
        thread.stop()


def console(monkeypatch: pytest.MonkeyPatch, args: list[str], *lines: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    return main(["console", *args])


def test_the_chart_timeline_and_postmortem_are_shown_and_saved(
    closed_port: Peer,
    history_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = tmp_path / "files"
    sets = [
        "targets.smtp-relay.host=127.0.0.1",
        f"targets.smtp-relay.port={closed_port.port}",
        "vantage_points.prometheus.kind=prometheus",
        f"vantage_points.prometheus.url={history_url}",
    ]
    args = ["--files", str(files), *(arg for s in sets for arg in ("--set", s))]
    assert console(monkeypatch, args, "/triage smtp-relay", "run step", "timeline", "resolve") == 0
    out = capsys.readouterr().out
    assert f"Files the bot posts (charts, timelines, postmortems) are saved in {files}" in out
    chart = files / "incident-1-outside-in-1.png"
    shown = out.index(f"saved as {chart}")
    # Where the thread shows the image: the series as one line, 1 then 0.
    assert re.match(r"\n +│ +probe_success: █+▁+ 1 → 0\n", out[shown + len(f"saved as {chart}") :])
    assert chart.read_bytes().startswith(PNG)
    timeline = files / "incident-1-timeline.md"
    assert f"saved as {timeline}" in out
    assert "┊ # Timeline of incident 1" in out and timeline.read_text().startswith("# Timeline")
    assert "┊ # Postmortem draft: Probe failure" in out
    saved = {p.name for p in files.iterdir()}
    assert saved == {chart.name, timeline.name, "incident-1-postmortem.md"}


def test_the_default_folder_is_named_and_removed_when_nothing_was_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert console(monkeypatch, [], "q") == 0
    named = re.search(r"are saved in (\S+)$", capsys.readouterr().out, re.MULTILINE)
    assert named is not None and Path(named[1]).parent == tmp_path
    assert Path(named[1]).name.startswith("triage-console-files-")
    assert list(tmp_path.iterdir()) == []
