"""A real prometheus-blackbox-exporter on loopback, the oracle for parity.

It runs the user's modules (upstream-blackbox.yml, unchanged) plus the fault
modules of tests/parity/modules.yml, trusting the test CAs through
SSL_CERT_FILE (Go honours it as the system store) just as our checks trust
them through the run's `ca_file`. Absent binary: skipped locally, a failure
in CI (`.ci/run` installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme
import yaml

HERE = Path(__file__).parent
UPSTREAM = HERE / "upstream-blackbox.yml"
FAULT_MODULES = HERE.parent / "parity" / "modules.yml"
BINARY = "prometheus-blackbox-exporter"
READY_WITHIN_S = 10.0


@dataclass(frozen=True)
class Exporter:
    url: str
    config: Path
    ca_bundle: str


def binary() -> str:
    found = shutil.which(BINARY) or shutil.which(BINARY, path="/usr/bin")
    if found is None:
        message = f"{BINARY} is not installed (apt-get install {BINARY})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path) -> Path:
    modules = yaml.safe_load(UPSTREAM.read_text())["modules"]
    modules |= yaml.safe_load(FAULT_MODULES.read_text())["modules"]
    path.write_text(yaml.safe_dump({"modules": modules}, sort_keys=False))
    return path


@contextlib.contextmanager
def running(config: Path, ca_bundle: str, log: Path) -> Iterator[Exporter]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [binary(), f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
    env = {**os.environ, "SSL_CERT_FILE": ca_bundle}
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_ready(url, process, log)
        yield Exporter(url, config, ca_bundle)
    finally:
        process.kill()
        process.wait(timeout=5)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/-/ready", timeout=0.5).status_code == 200:
                return
        # Waiting on the process doubles as the pause between polls, and
        # notices at once if it died (a bad config, a taken port).
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)
            raise RuntimeError(f"{BINARY} exited: {log.read_text()[-2000:]}")
    raise RuntimeError(f"{BINARY} not ready within {READY_WITHIN_S} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def ca_bundle(ca: trustme.CA, web_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Both test CAs in one file: what the exporter and our checks trust."""
    path = tmp_path_factory.mktemp("bundle") / "ca-bundle.pem"
    path.write_bytes(ca.cert_pem.bytes() + web_ca.cert_pem.bytes())
    return str(path)


@pytest.fixture(scope="session")
def blackbox_exporter(
    ca_bundle: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exporter]:
    folder = tmp_path_factory.mktemp("blackbox")
    config = write_config(folder / "blackbox.yml")
    with running(config, ca_bundle, folder / "exporter.log") as exporter:
        yield exporter
