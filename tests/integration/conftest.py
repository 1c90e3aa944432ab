"""The API in process, on both metadata stores.

Every integration test module runs once on SQLite and once on PostgreSQL (the ``backend``
parameter). The PostgreSQL server at 127.0.0.1:5432 must be up: a missing server fails the run
loudly instead of skipping, because a suite that silently tests one store proves nothing about
the other. Each module gets a database of its own, created here and dropped afterwards.
"""

from __future__ import annotations

import json
import time
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import Container, build
from amlite.config import Settings
from tests.pg import postgres_database

RES = "api-version=2024-03-01"
ML = "api-version=2024-10-01"


@dataclass
class Api:
    """A logged-in admin client plus what tests need to look behind the API."""

    client: TestClient
    container: Container
    sub: str
    tenant: str
    token: str
    credentials: dict[str, Any]

    def url(self, path: str, version: str = RES) -> str:
        sep = "&" if "?" in path else "?"
        return f"{path}{sep}{version}"

    def rg_path(self, rg: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{rg}"

    def ws_path(self, rg: str, ws: str) -> str:
        return f"{self.rg_path(rg)}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"

    def request(self, method: str, path: str, version: str = RES, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, self.url(path, version), **kwargs)

    def create_group(self, name: str, location: str = "eastus") -> dict[str, Any]:
        r = self.request("PUT", self.rg_path(name), json={"location": location})
        assert r.status_code in (200, 201), r.text
        return r.json()  # type: ignore[no-any-return]

    def create_workspace(self, rg: str, name: str, location: str = "eastus", **body: Any) -> dict[str, Any]:
        r = self.request("PUT", self.ws_path(rg, name), ML, json={"location": location, **body})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def wait(self, response: httpx.Response, timeout: float = 20.0) -> dict[str, Any]:
        """Poll a 202's Azure-AsyncOperation URL to a terminal state."""
        assert response.status_code == 202, response.text
        url = response.headers["Azure-AsyncOperation"]
        deadline = time.monotonic() + timeout
        while True:
            body = self.client.get(url).json()
            if body["status"] != "InProgress" or time.monotonic() > deadline:
                return body  # type: ignore[no-any-return]
            time.sleep(0.05)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return store_snapshot(self.container.engine)


# The audit log records failed and denied attempts by design, and the access generation counts
# access changes, so an assignment added and removed again leaves it higher; "nothing changed" is
# about the rest (a refused request moves neither: the generation moves only with a commit).
APPEND_ONLY = {"audit_log", "access_generation"}


def store_snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but ``APPEND_ONLY``'s: two equal snapshots mean nothing changed.

    Taken once no operation that has ended still has its task row open: an operation commits
    its outcome (and the resource's state) one commit before the task engine closes the task,
    so a test that saw the outcome (a 202 polled to Succeeded, a compute no longer Creating) and
    snapshots at once could catch that row in between and see it change afterwards."""
    from amlite.domain.operations import OperationStatus
    from amlite.domain.tasks import TaskState
    from amlite.store.tables import metadata, operations, tasks

    closing = sa.select(sa.func.count()).select_from(
        tasks.join(operations, tasks.c.subject_key == operations.c.id)).where(
        tasks.c.state == TaskState.RUNNING.value, operations.c.status != OperationStatus.IN_PROGRESS.value)
    deadline = time.monotonic() + 10
    while True:
        with engine.connect() as conn:
            if not conn.execute(closing).scalar():
                break
        assert time.monotonic() < deadline, "an operation ended 10 s ago and its task row is still Running"
        time.sleep(0.02)
    with engine.connect() as conn:
        return {
            name: sorted((tuple(str(v) for v in row) for row in conn.execute(sa.select(table))))
            for name, table in metadata.tables.items()
            if name not in APPEND_ONLY
        }


def settings_for(tmp: Path, db_url: str) -> Settings:
    config = tmp / "amlite.yaml"
    config.write_text("worker_poll_seconds: 0.05\noperation_lease_seconds: 5\n")
    return Settings.load(data_dir=tmp / "data", db_url=db_url, config_file=config, port=8600, env={})


#: The stores every integration module runs on, unless the module names fewer in ``STORES`` (with
#: its reason): the metadata store is tested on both.
ALL_STORES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        stores = getattr(metafunc.module, "STORES", ALL_STORES)
        metafunc.parametrize("backend", stores, indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "amlite.db"
        yield f"sqlite:///{path}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(scope="module")
def api(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("amlite")
    container = build(settings_for(tmp, backend))
    app = create_app(container)
    creds = json.loads(container.settings.credentials_file.read_text())
    with TestClient(app, base_url="http://127.0.0.1:8600") as client:
        token = client.post(
            f"/{creds['tenantId']}/oauth2/v2.0/token",
            data={"grant_type": "password", "username": creds["username"], "password": creds["password"]},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield Api(client, container, creds["subscriptionId"], creds["tenantId"], token, creds)
    container.close()


@pytest.fixture
def name() -> str:
    """A fresh resource name per test, so tests sharing a module's server never collide."""
    return "t" + uuid.uuid4().hex[:10]


__all__ = ["Api", "RES", "ML", "store_snapshot", "settings_for", "os"]
