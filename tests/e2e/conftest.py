"""End-to-end harness: a real ``amlite server`` process and the real ``amlite`` console script.

- :func:`start_server` starts a server on a free loopback port with its own data dir and waits for
  ``GET /health``; the returned :class:`ServerProcess` can ``stop()``, ``kill()`` (SIGKILL, for
  crash tests) and ``restart()`` on the same port and data dir. Settings that have no command-line
  option (leases, poll intervals) go in ``config``, passed to the server as ``--config FILE``.
- ``amlite_server`` is one server shared by the session (per xdist worker); ``server_factory``
  starts extra servers for a test and stops them afterwards.
- ``tls=True`` starts it with ``--tls self-signed``: its endpoint is https and ``ca_file`` is the
  local CA a client trusts (``REQUESTS_CA_BUNDLE``).
- ``run_cli`` runs the console script as a subprocess with the test's own ``AMLITE_CONFIG_DIR`` and
  working directory, as a user would type the command.

Every process started here is stopped by pid when its fixture ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0
CLI_TIMEOUT = 120.0


def amlite_command() -> list[str]:
    """The console script next to this interpreter (the venv's), else ``python -m amlite``."""
    script = Path(sys.executable).parent / "amlite"
    if script.exists():
        return [str(script)]
    found = shutil.which("amlite")
    return [found] if found else [sys.executable, "-m", "amlite"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without AMLITE_* settings (they would redirect the server/CLI)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
    env.update(extra or {})
    return env


@dataclass
class ServerProcess:
    """One ``amlite server`` subprocess and what a test needs to talk to it."""

    data_dir: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)
    db_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    config: Path | None = None  # a settings file, passed as ``--config`` (the command line still wins)
    tls: bool = False  # ``--tls self-signed``
    workers: int = 1

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The local CA of a ``tls=True`` server (what ``REQUESTS_CA_BUNDLE`` names)."""
        return self.data_dir / "tls" / "ca.pem"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "admin-credentials.json"

    @property
    def credentials(self) -> dict[str, Any]:
        return dict(json.loads(self.credentials_file.read_text()))

    def start(self) -> ServerProcess:
        if self.process is not None and self.process.poll() is None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-server.log"
        args = [*amlite_command(), "server", "--data-dir", str(self.data_dir), "--host", HOST,
                "--port", str(self.port)]
        if self.db_url:
            args += ["--db", self.db_url]
        if self.config is not None:
            args += ["--config", str(self.config)]
        if self.tls:
            args += ["--tls", "self-signed"]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own console script
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=_clean_env(self.env),
            )
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"amlite server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                verify: Any = ssl.create_default_context(cafile=self.ca_file) if self.tls and self.ca_file.exists() else True
                if httpx.get(f"{self.endpoint}/health", timeout=2.0, verify=verify).status_code == 200:
                    return
            except (httpx.TransportError, ssl.SSLError):
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"amlite server did not answer /health within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to clean up."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.kill()
        proc.wait(timeout=15.0)

    def restart(self) -> ServerProcess:
        self.stop()
        self.process = None
        return self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def start_server(
    data_dir: str | os.PathLike[str],
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    db_url: str | None = None,
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    tls: bool = False,
    workers: int = 1,
) -> ServerProcess:
    """Start ``amlite server`` on a free loopback port (or ``port``) and wait until it is healthy.

    ``config`` is a settings file, or a mapping of settings that is written as YAML next to the
    data dir (``<data dir>-config.yaml``) so that a restart reads the same file.
    """
    config_file = _config_file(Path(data_dir), config)
    last: Exception | None = None
    for _attempt in range(3):
        server = ServerProcess(Path(data_dir), port or free_port(), dict(env or {}), db_url, config=config_file,
                               tls=tls, workers=workers)
        try:
            return server.start()
        except RuntimeError as exc:  # e.g. the free port was taken in between: try another
            server.kill()
            last = exc
            if port is not None:
                break
    raise last or RuntimeError("amlite server did not start")


def _config_file(data_dir: Path, config: str | os.PathLike[str] | Mapping[str, Any] | None) -> Path | None:
    if config is None:
        return None
    if not isinstance(config, Mapping):
        return Path(config)
    path = data_dir.parent / f"{data_dir.name}-config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    return path


def run_cli(
    *args: str,
    input: str | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = CLI_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``amlite`` console script; stdin is not a TTY (``input`` is piped when given).

    Other AMLITE_* variables of this process are not passed on, so a developer's own endpoint or
    profile never leaks into a test.
    """
    extra = dict(env or {})
    # The profile dir: the one given, else the one the test's fixture set in this process's env.
    config_dir = config_dir or os.environ.get("AMLITE_CONFIG_DIR")
    if config_dir is not None:
        extra["AMLITE_CONFIG_DIR"] = str(config_dir)
    return subprocess.run(  # noqa: S603 - our own console script
        [*amlite_command(), *args], input=input, capture_output=True, text=True, cwd=cwd,
        env=_clean_env(extra), timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def amlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server for the session (per xdist worker). Many tests make computes on it and the
    session's tests run in any order on either worker, so its quota is wide: the quota's own rules
    are tested on servers of their own (test_compute_cli, test_seed_004_hubs) and through the API."""
    server = start_server(tmp_path_factory.mktemp("amlite-server") / "data",
                          config={"quota": {"family_vcpus": 4096, "total_vcpus": 16384}})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServerProcess]]:
    """Start extra servers in a test (restart and crash tests); all are stopped afterwards."""
    started: list[ServerProcess] = []

    def factory(data_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> ServerProcess:
        server = start_server(data_dir or tmp_path_factory.mktemp("amlite-extra") / "data", **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@dataclass
class Cli:
    """Runs ``amlite`` with one user's profile directory and working directory."""

    config_dir: Path
    cwd: Path

    def __call__(self, *args: str, input: str | None = None, cwd: str | os.PathLike[str] | None = None,
                 env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, input=input, config_dir=self.config_dir, cwd=cwd or self.cwd, env=env)

    def json(self, *args: str) -> Any:
        """Run and parse stdout as JSON, failing the test with stderr if the command failed."""
        result = self(*args)
        assert result.returncode == 0, f"amlite {' '.join(args)} -> {result.returncode}\n{result.stderr}"
        return json.loads(result.stdout)


@pytest.fixture
def cli_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh AMLITE_CONFIG_DIR for this test (also set for in-process SDK calls)."""
    directory = tmp_path / "amlite-config"
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(directory))
    monkeypatch.delenv("AMLITE_ENDPOINT", raising=False)
    return directory


@pytest.fixture
def cli(cli_config_dir: Path, tmp_path: Path) -> Cli:
    """``cli("group", "list")`` runs the console script as this test's user."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return Cli(cli_config_dir, work)


@pytest.fixture
def logged_in(cli: Cli, amlite_server: ServerProcess) -> Cli:
    """``cli`` after ``amlite login --credentials-file`` against the session server."""
    cli.json("login", "--credentials-file", str(amlite_server.credentials_file))
    return cli
