"""Several servers on one PostgreSQL database (the at-scale layout: stateless processes sharing the
store and the storage): they may start at the same moment, and one that starts while another is
creating a workspace never takes the new workspace's storage for an orphan. PostgreSQL only: a
SQLite file serves one server, which sweeps before it serves."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import Container, build
from tests.integration.conftest import ML, RES, settings_for
from tests.pg import postgres_database


def _logged_in(container: Container) -> TestClient:
    client = TestClient(create_app(container), base_url="http://127.0.0.1:8600")
    creds = json.loads(container.settings.credentials_file.read_text())
    token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
        "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_servers_starting_together_make_one_tenant_and_one_key(tmp_path: Path) -> None:
    with postgres_database() as url:
        built: dict[int, Container] = {}
        failures: list[BaseException] = []

        def boot(index: int) -> None:
            try:
                built[index] = build(settings_for(tmp_path, url))  # one data dir, as a shared volume
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=boot, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        try:
            assert not failures, failures
            assert len(built) == 3
            with built[0].deps.uow() as uow:
                assert len(uow.tenants.list()) == 1 and uow.principals.by_user_principal_name(
                    built[0].identity.tenant().id, "admin@amlite.local") is not None
            assert len({c.identity.jwks(c.identity.tenant().id)["keys"][0]["kid"] for c in built.values()}) == 1
            first, other = _logged_in(built[0]), _logged_in(built[1])
            other.headers["Authorization"] = first.headers["Authorization"]  # a token of one works on the other
            sub = json.loads(built[0].settings.credentials_file.read_text())["subscriptionId"]
            assert other.get(f"/subscriptions/{sub}?{RES}").status_code == 200
        finally:
            for container in built.values():
                container.close()


def test_a_server_starting_during_a_create_leaves_its_storage_alone(tmp_path: Path) -> None:
    with postgres_database() as url:
        creating = build(settings_for(tmp_path, url))
        starting = build(settings_for(tmp_path, url))
        made, go_on = threading.Event(), threading.Event()
        provision = creating.storage.provision

        def slow_provision(*args: Any, **kwargs: Any) -> None:
            provision(*args, **kwargs)
            made.set()  # the containers exist; the record naming them is not committed yet
            go_on.wait(30)

        creating.storage.provision = slow_provision  # type: ignore[method-assign]
        client = _logged_in(creating)
        sub = json.loads(creating.settings.credentials_file.read_text())["subscriptionId"]
        try:
            assert client.put(f"/subscriptions/{sub}/resourceGroups/rg1?{RES}",
                              json={"location": "eastus"}).status_code == 201
            ws_url = f"/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1?{ML}"
            created: dict[str, Any] = {}
            create = threading.Thread(target=lambda: created.update(r=client.put(ws_url, json={"location": "eastus"})))
            create.start()
            assert made.wait(30)
            sweep = threading.Thread(target=starting.start)  # sweeps orphaned storage, then runs workers
            sweep.start()
            time.sleep(1.0)
            assert sweep.is_alive(), "the sweep must wait for the create under way"
            go_on.set()
            create.join(30)
            sweep.join(30)
            assert not sweep.is_alive() and created["r"].status_code == 200, created["r"].text
            storage = created["r"].json()["properties"]["storageAccount"].rsplit("/", 1)[1]
            store = creating.deps.blobs("eastus")
            containers = list(store.list_containers(storage))
            assert containers and all(store.container_exists(storage, c) for c in containers)
            assert client.get(f"/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/"
                              f"workspaces/ws1/datastores/workspaceblobstore?{ML}").status_code == 200
        finally:
            go_on.set()
            creating.close()
            starting.close()


def test_a_drill_started_through_one_server_refuses_on_the_others_next_request(tmp_path: Path) -> None:
    """Each server remembers the failed regions under the store's access generation
    (``store.outage_repos``); a fail or restore through another server moves that number, so the
    next request sees the drill without waiting for any cache to expire."""
    with postgres_database() as url:
        first = build(settings_for(tmp_path, url))  # one data dir, as a shared volume
        second = build(settings_for(tmp_path, url))
        try:
            a, b = _logged_in(first), _logged_in(second)
            b.headers["Authorization"] = a.headers["Authorization"]
            sub = json.loads(first.settings.credentials_file.read_text())["subscriptionId"]
            rg = f"/subscriptions/{sub}/resourceGroups/drill"
            assert a.put(f"{rg}?{RES}", json={"location": "eastus"}).status_code == 201
            ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/east"
            assert a.put(f"{ws}?{ML}", json={"location": "eastus"}).status_code in (200, 201)
            model = {"properties": {"modelType": "custom_model", "modelUri": "https://example.org/m.pkl"}}
            version = f"{ws}/models/m/versions/1?{ML}"
            assert a.put(version, json=model).status_code == 201
            locations = "/providers/Microsoft.MachineLearningServices/locations"
            for _ in range(2):  # the second answer comes from what the first remembered
                assert a.get(version).status_code == 200
            assert b.post(f"{locations}/eastus/fail?{ML}").status_code == 200
            refused = a.get(version)
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "ServiceUnavailable", refused.text
            assert b.post(f"{locations}/eastus/restore?{ML}").status_code == 200
            assert a.get(version).status_code == 200
        finally:
            first.close()
            second.close()
