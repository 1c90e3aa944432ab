"""Two real server processes started at the same moment on one new PostgreSQL database and one
data directory, as a deployment with several replicas behind one public endpoint starts: both come
up, there is one tenant, and a token either one signed is good on the other. (Whether the two
processes really collide depends on their start-up timing; tests/integration/test_many_servers.py
pins the collision itself with three builds in one process.)"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ServerProcess, start_server
from tests.pg import postgres_database

pytestmark = pytest.mark.e2e
#: The address a load balancer would give the replicas; tokens name it as their issuer.
PUBLIC_ENDPOINT = "http://127.0.0.1:8600"


def test_two_servers_start_together_on_one_new_database(tmp_path: Path) -> None:
    with postgres_database() as url:
        servers: list[ServerProcess] = []
        failures: list[BaseException] = []

        def boot() -> None:
            try:
                servers.append(start_server(tmp_path / "data", db_url=url, env={"AMLITE_ENDPOINT": PUBLIC_ENDPOINT}))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=boot) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        try:
            assert not failures, failures
            assert len(servers) == 2 and all(s.running for s in servers)
            creds = servers[0].credentials
            token = httpx.post(f"{servers[0].endpoint}/{creds['tenantId']}/oauth2/v2.0/token", data={
                "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            for server in servers:
                subs = httpx.get(f"{server.endpoint}/subscriptions?api-version=2022-12-01", headers=headers)
                assert subs.status_code == 200, subs.text
                assert [s["subscriptionId"] for s in subs.json()["value"]] == [creds["subscriptionId"]]
        finally:
            for server in servers:
                server.stop()
