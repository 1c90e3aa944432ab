"""Azurite (Azure Storage's emulator, npm ``azurite``) for the tests, on loopback.

``make test`` installs it into ``.tools/``. The ``azurite`` fixture starts ``azurite-blob`` once
per session (per xdist worker) on a free port with a data folder of its own, waits until it
answers, yields its connection string, and stops it by pid. A missing install fails the run
with a message instead of skipping: a suite that silently skips Azure proves nothing about it.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
AZURITE_BLOB = ROOT / ".tools" / "node_modules" / ".bin" / "azurite-blob"
HOST = "127.0.0.1"
ACCOUNT = "devstoreaccount1"
# Azurite's fixed, published development key (not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
STARTUP_TIMEOUT = 30.0


@dataclass
class Azurite:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def blob_endpoint(self) -> str:
        return f"http://{HOST}:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_azurite(location: Path) -> Azurite:
    """Start azurite-blob on a free loopback port; retried on another port if that one was taken."""
    if not AZURITE_BLOB.exists():
        pytest.fail(
            f"Azurite is not installed ({AZURITE_BLOB} is missing). Run `make test` (or `make install-test`), "
            "which installs it with npm into .tools/.",
            pytrace=False,
        )
    location.mkdir(parents=True, exist_ok=True)
    last = ""
    for _attempt in range(3):
        port = _free_port()
        log_path = location / f"azurite-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(  # noqa: S603 - the pinned, locally installed emulator
                [str(AZURITE_BLOB), "--blobHost", HOST, "--blobPort", str(port), "--skipApiVersionCheck", "--loose",
                 "--disableTelemetry", "--location", str(location / "data"), "--silent"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        azurite = Azurite(port, process, log_path)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                httpx.get(f"{azurite.blob_endpoint}?comp=list", timeout=2.0)  # any answer means it is up
                return azurite
            except httpx.TransportError:
                time.sleep(0.1)
        azurite.stop()
        last = log_path.read_text(errors="replace")
    pytest.fail(f"Azurite did not start on {HOST}:\n{last}", pytrace=False)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Azurite's connection string (one emulator per session and xdist worker)."""
    server = start_azurite(tmp_path_factory.mktemp("azurite"))
    try:
        yield server.connection_string
    finally:
        server.stop()
