"""``amlite server --tls self-signed`` and ``--tls-cert/--tls-key`` as a user runs them: https on
the port, the CA reused across restarts, several workers, the URLs responses hand out in https,
and amlite's own CLI trusting the CA through ``REQUESTS_CA_BUNDLE``."""

from __future__ import annotations

import json
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import HOST, Cli, ServerProcess, amlite_command, free_port


def _trusting(server: ServerProcess) -> dict[str, str]:
    return {"REQUESTS_CA_BUNDLE": str(server.ca_file)}


def test_self_signed_serves_https_and_keeps_its_ca_across_restarts(
        server_factory: Callable[..., ServerProcess], cli: Cli) -> None:
    server = server_factory(tls=True)
    assert server.endpoint.startswith("https://")
    assert f"export REQUESTS_CA_BUNDLE={server.ca_file}" in server.log_tail()
    with pytest.raises(httpx.ConnectError):  # not trusted without the CA
        httpx.get(f"{server.endpoint}/health")
    with pytest.raises(httpx.RemoteProtocolError):  # and no plain http on the port
        httpx.get(f"http://{HOST}:{server.port}/health")
    ca = server.ca_file.read_bytes()
    cert = (server.ca_file.parent / "server.pem").read_bytes()
    server.restart()
    assert server.ca_file.read_bytes() == ca
    assert (server.ca_file.parent / "server.pem").read_bytes() == cert
    verify = ssl.create_default_context(cafile=server.ca_file)
    assert httpx.get(f"https://localhost:{server.port}/health", verify=verify).status_code == 200

    untrusted = cli("login", "--credentials-file", str(server.credentials_file))
    assert untrusted.returncode == 1 and "export REQUESTS_CA_BUNDLE=" in untrusted.stderr
    env = _trusting(server)
    assert cli("login", "--credentials-file", str(server.credentials_file), env=env).returncode == 0
    _json(cli, env, "group", "create", "-n", "rg-tls", "-l", "eastus")
    ws = _json(cli, env, "ml", "workspace", "create", "-n", "ws-tls", "-g", "rg-tls")
    urls = [value for value in _strings(ws) if "://" in value and str(server.port) in value]
    assert urls and all(url.startswith("https://") for url in urls), urls
    # deleting is long-running: the CLI follows the Location and Azure-AsyncOperation URLs, over https
    done = cli("ml", "workspace", "delete", "-n", "ws-tls", "-g", "rg-tls", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert cli("ml", "workspace", "show", "-n", "ws-tls", "-g", "rg-tls", env=env).returncode != 0


def test_tls_with_two_worker_processes(server_factory: Callable[..., ServerProcess], cli: Cli) -> None:
    server = server_factory(tls=True, workers=2)
    assert "with 2 worker processes" in server.log_tail()
    verify = ssl.create_default_context(cafile=server.ca_file)
    with httpx.Client(verify=verify) as client:
        assert all(client.get(f"{server.endpoint}/health").status_code == 200 for _ in range(6))
    env = _trusting(server)
    assert cli("login", "--credentials-file", str(server.credentials_file), env=env).returncode == 0
    assert _json(cli, env, "group", "create", "-n", "rg-w", "-l", "eastus")["name"] == "rg-w"


def test_given_certificate_and_key(server_factory: Callable[..., ServerProcess], tmp_path: Path) -> None:
    # a pair from elsewhere: here the local CA of another server's data dir stands for a real CA
    source = server_factory(tls=True)
    source.stop()
    tls_dir = source.ca_file.parent
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [*amlite_command(), "server", "--data-dir", str(tmp_path / "given"), "--host", HOST, "--port", str(port),
         "--tls-cert", str(tls_dir / "server.pem"), "--tls-key", str(tls_dir / "server-key.pem")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    given = ServerProcess(tmp_path / "given", port, tls=True, process=process)
    try:
        verify = ssl.create_default_context(cafile=source.ca_file)
        _wait_healthy(f"https://{HOST}:{port}/health", verify, process)
        assert not (tmp_path / "given" / "tls").exists()  # nothing made: the given pair is served
        assert given.credentials["endpoint"] == f"https://{HOST}:{port}"
    finally:
        given.stop()

    mismatched = subprocess.run(  # noqa: S603
        [*amlite_command(), "server", "--data-dir", str(tmp_path / "bad"), "--port", str(free_port()),
         "--tls-cert", str(tls_dir / "server.pem"), "--tls-key", str(tls_dir / "ca-key.pem")],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert mismatched.returncode == 1
    assert "(InvalidConfiguration)" in mismatched.stderr and "cannot be served together" in mismatched.stderr
    half = subprocess.run(  # noqa: S603
        [*amlite_command(), "server", "--data-dir", str(tmp_path / "bad"), "--tls-cert", str(tls_dir / "server.pem")],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert half.returncode == 1 and "needs its key" in half.stderr


def _wait_healthy(url: str, verify: ssl.SSLContext, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        try:
            if httpx.get(url, verify=verify, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def _json(cli: Cli, env: dict[str, str], *args: str) -> Any:
    result = cli(*args, env=env)
    assert result.returncode == 0, f"amlite {' '.join(args)} -> {result.returncode}\n{result.stderr}"
    return json.loads(result.stdout)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
