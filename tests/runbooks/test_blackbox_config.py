"""Site config: vantage points and the blackbox.yml whose modules we run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.run import settings
from bot.runbooks.issues import RunbookError
from bot.runbooks.loader import load_blackbox_modules, load_site
from tests.peers.blackbox import UPSTREAM


def test_users_blackbox_config_loads_unchanged() -> None:
    modules = load_blackbox_modules(UPSTREAM)
    assert set(modules) == {"http_2xx", "tcp_connect", "tcp_tls", "imap_starttls"}
    imap = modules["imap_starttls"]
    assert (imap.prober, imap.timeout, imap.tcp.tls_config.insecure_skip_verify) == (
        "tcp",
        5.0,
        True,
    )
    assert [q.starttls for q in imap.tcp.query_response].count(True) == 1
    assert modules["http_2xx"].http.valid_status_codes == [200, 301, 302, 401]


def test_site_config_carries_vantage_points_and_modules(tmp_path: Path) -> None:
    (tmp_path / "bb.yml").write_text(UPSTREAM.read_text())
    (tmp_path / "ca.pem").write_text("")
    site_file = tmp_path / "site.yaml"
    site_file.write_text(
        "blackbox_config: bb.yml\n"
        "vantage_points:\n"
        "  vpc: {kind: blackbox, url: 'http://10.0.0.5:9115', timeout: 3}\n"
        "  prom: {kind: prometheus, url: 'http://10.0.0.6:9090'}\n"
    )
    vantage = settings(load_site(site_file)).vantage
    assert vantage.points["vpc"].url == "http://10.0.0.5:9115"
    assert vantage.points["vpc"].timeout == 3
    assert vantage.points["prom"].kind == "prometheus"
    assert "tcp_tls" in vantage.modules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "vantage_points:\n  vpc: {kind: smokeping, url: 'http://x'}\n",
            "2:15: kind: Input should be",
        ),
        ("vantage_points:\n  vpc: {kind: blackbox, url: 'x:9115'}\n", "expected an http://"),
        (
            "vantage_points:\n  vpc: {kind: blackbox, url: 'http://x', port: 1}\n",
            "unknown key 'port'",
        ),
        ("blackbox_config: missing.yml\n", "cannot read"),
    ],
)
def test_bad_vantage_config_is_located(tmp_path: Path, text: str, message: str) -> None:
    site_file = tmp_path / "site.yaml"
    site_file.write_text(text)
    with pytest.raises(RunbookError, match=message):
        load_site(site_file)


@pytest.mark.parametrize(
    ("module", "where", "message"),
    [
        ("prober: icmp", "3:13", "prober 'icmp' is not supported (supported: tcp, http)"),
        (
            "prober: tcp\n    tcp: {source_ip_address: 10.0.0.1}",
            "4:10",
            "'source_ip_address' is not supported",
        ),
        (
            "prober: tcp\n    tcp: {tls_config: {cert_file: c.pem}}",
            "4:23",
            "'cert_file' is not supported",
        ),
        ("prober: tcp\n    tcp: {query_response: [{send: 'x ${1}'}]}", "4:35", "'$' expansion"),
        ("prober: http\n    http: {method: POST}", "4:20", "method 'POST' is not supported"),
        ("prober: http\n    http: {headers: {Host: x}}", "4:11", "'headers' is not supported"),
        ("prober: http\n    htp: {}", "4:5", "unknown key 'htp'"),
        ("prober: tcp\n    timeout: soon", "4:14", "expected a duration"),
    ],
)
def test_unsupported_module_fields_are_refused_by_name(
    tmp_path: Path, module: str, where: str, message: str
) -> None:
    bb = tmp_path / "bb.yml"
    bb.write_text(f"modules:\n  m:\n    {module}\n")
    with pytest.raises(RunbookError) as caught:
        load_blackbox_modules(bb)
    (problem,) = caught.value.problems
    assert f"{problem.line}:{problem.col}" == where, str(problem)
    assert message in problem.message, str(problem)


def test_relative_ca_file_is_read_from_the_config_files_folder(tmp_path: Path) -> None:
    bb = tmp_path / "bb.yml"
    bb.write_text(
        "modules:\n  t:\n    prober: tcp\n    tcp: {tls: true, tls_config: {ca_file: ca.pem}}\n"
    )
    assert load_blackbox_modules(bb)["t"].tcp.tls_config.ca_file == str(tmp_path / "ca.pem")
