"""The SDK and the CLI wired to the real app in process (conftest's ``api``), instead of an
imitation of its routes: whatever the tests learn about answers, the server itself gave.

The transport is the one starlette's ``TestClient`` drives the app with, wrapped so a test can
also see what the client sent (a skipped upload, a POST for an unversioned create, nothing at all
for input refused before sending).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from amlite.sdk.credentials import AccessToken
from amlite.sdk.ml_client import MLClient
from tests.integration.conftest import Api


class RecordingTransport(httpx.BaseTransport):
    """Passes every request to the app and remembers it with its answer's status."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.inner.handle_request(request)
        self.statuses.append(response.status_code)
        return response

    def sent(self, method: str, path_part: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and path_part in r.url.path]


def app_transport(api: Api) -> RecordingTransport:
    # TestClient keeps the transport that runs requests through the app on its event-loop portal.
    return RecordingTransport(api.client._transport)


class AdminToken:
    """The admin's bearer token from conftest's login, as an SDK credential."""

    def __init__(self, api: Api) -> None:
        self.token = api.token
        self.endpoint = api.container.endpoint

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self.token, 2**31)


@dataclass
class Workspace:
    """A fresh group and workspace per test, so tests sharing a module's server never collide."""

    api: Api
    group: str
    name: str
    transport: RecordingTransport = field(init=False)

    def __post_init__(self) -> None:
        self.transport = app_transport(self.api)

    @property
    def path(self) -> str:
        return self.api.ws_path(self.group, self.name)

    def ml_client(self) -> MLClient:
        return MLClient(AdminToken(self.api), self.api.sub, self.group, self.name, transport=self.transport)


@pytest.fixture
def workspace(api: Api, name: str) -> Workspace:
    api.create_group(name)
    api.create_workspace(name, "ws" + name)
    return Workspace(api, name, "ws" + name)


def route_cli(transport: httpx.BaseTransport, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every httpx.Client the CLI makes goes to ``transport``; a fresh profile and cwd."""
    real_client = httpx.Client

    class RoutedClient(real_client):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["transport"] = transport
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", RoutedClient)
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path / "profile"))
    monkeypatch.delenv("AMLITE_ENDPOINT", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    # The server asks for a second between polls of a long-running operation (Retry-After: 1);
    # its worker here finishes in a fraction of that, so the CLI's poller waits less.
    from amlite.sdk.polling import LROPoller

    monkeypatch.setitem(LROPoller.__init__.__kwdefaults__, "sleep", lambda seconds: time.sleep(min(seconds, 0.02)))


def cli_login(api: Api, tmp_path: Path) -> Any:
    """``amlite login`` with the server's own admin credentials file."""
    from tests.unit.test_cli_commands import run

    creds = tmp_path / "admin-credentials.json"
    creds.write_text(json.dumps(api.credentials))
    result = run("login", "--credentials-file", str(creds))
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def cli_logged_in(workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Workspace]:
    """The CLI on the app, logged in as the admin, with a fresh workspace to work in."""
    route_cli(workspace.transport, monkeypatch, tmp_path)
    cli_login(workspace.api, tmp_path)
    workspace.transport.requests.clear()
    workspace.transport.statuses.clear()
    yield workspace
