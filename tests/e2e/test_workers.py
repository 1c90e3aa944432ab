"""``amlite server`` with ``workers: 2``, on SQLite and on PostgreSQL: two worker processes under
one parent share the port, connections are served by both, a token one process issued is good on
the other (the keys come from the store), and stopping the parent stops every worker.

Which process serves a connection is read from the operating system (``/proc``: the worker
holding the server side of the connection's socket), not from anything the server reports."""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import HOST, ServerProcess, start_server
from tests.pg import postgres_database

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc")]


def worker_pids(parent: int) -> set[int]:
    """The parent's worker processes (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return {int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def serving_pid(connection: http.client.HTTPConnection, server: ServerProcess, workers: set[int]) -> int:
    """The worker holding the server side of ``connection`` (IPv4 loopback: /proc/net/tcp)."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    inodes: dict[int, int] = {}
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:["):
                inodes[int(target[8:-1])] = pid
    owners = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16), int(fields[9])
        if local == server.port and remote == client_port and inode in inodes:
            owners.add(inodes[inode])
    assert len(owners) == 1, (client_port, owners)
    return owners.pop()


def call(connection: http.client.HTTPConnection, method: str, path: str, body: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


@contextmanager
def one_per_worker(server: ServerProcess, workers: set[int]) -> Iterator[dict[int, http.client.HTTPConnection]]:
    """A kept-alive connection served by each worker: new connections are made (and kept open, so
    each stays with its worker) until every worker has served one. /health answers as soon as one
    worker serves; the other may still be starting, so this waits for it (up to a minute)."""
    made: list[http.client.HTTPConnection] = []
    served_by: dict[int, http.client.HTTPConnection] = {}
    deadline = time.monotonic() + 60
    try:
        while set(served_by) != workers and time.monotonic() < deadline:
            connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
            made.append(connection)
            assert call(connection, "GET", "/health")[0] == 200
            served_by.setdefault(serving_pid(connection, server, workers), connection)
            time.sleep(0.05)
        assert set(served_by) == workers, f"{len(made)} connections were all served by {set(served_by)}"
        yield served_by
    finally:
        for connection in made:
            connection.close()


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_two_workers_share_the_port_and_the_keys(tmp_path: Path, store: str) -> None:
    with postgres_database() if store == "postgresql" else nullcontext(None) as url:
        server = start_server(tmp_path / "data", db_url=url, config={"workers": 2})
        assert server.process is not None
        workers: set[int] = set()
        try:
            workers = worker_pids(server.process.pid)
            assert len(workers) == 2, workers
            with one_per_worker(server, workers) as served_by:
                creds = server.credentials
                first, second = served_by.values()
                status, token = call(first, "POST", f"/{creds['tenantId']}/oauth2/v2.0/token", urllib.parse.urlencode({
                    "grant_type": "password", "username": creds["username"], "password": creds["password"]}),
                    {"Content-Type": "application/x-www-form-urlencoded"})
                assert status == 200, token
                status, subs = call(second, "GET", "/subscriptions?api-version=2022-12-01",
                                    headers={"Authorization": f"Bearer {token['access_token']}"})
                assert status == 200, subs  # issued by one process, accepted by the other
                assert [s["subscriptionId"] for s in subs["value"]] == [creds["subscriptionId"]]
        finally:
            server.stop()
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived the server"


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_access_taken_away_in_one_worker_is_refused_by_the_other_on_the_next_request(tmp_path: Path,
                                                                                     store: str) -> None:
    """Each worker remembers its admissions under the store's access generation
    (``services.authz``): a role assignment removed through one worker is refused by the other on
    the very next request, and one added through the other is honoured by the first."""
    with postgres_database() if store == "postgresql" else nullcontext(None) as url:
        server = start_server(tmp_path / "data", db_url=url, config={"workers": 2})
        assert server.process is not None
        try:
            with one_per_worker(server, worker_pids(server.process.pid)) as served_by:
                first, second = served_by.values()
                creds = server.credentials
                form = {"Content-Type": "application/x-www-form-urlencoded"}

                def token(username: str, password: str) -> dict[str, str]:
                    status, body = call(first, "POST", f"/{creds['tenantId']}/oauth2/v2.0/token", urllib.parse.urlencode({
                        "grant_type": "password", "username": username, "password": password}), form)
                    assert status == 200, body
                    return {"Authorization": f"Bearer {body['access_token']}", "Content-Type": "application/json"}

                admin = token(creds["username"], creds["password"])
                ws = (f"/subscriptions/{creds['subscriptionId']}/resourceGroups/rg1/providers/"
                      "Microsoft.MachineLearningServices/workspaces/ws1")
                ml, auth = "api-version=2024-10-01", "api-version=2022-04-01"
                assert call(first, "PUT", f"/subscriptions/{creds['subscriptionId']}/resourceGroups/rg1?api-version=2024-03-01",
                            '{"location": "eastus"}', admin)[0] == 201
                assert call(first, "PUT", f"{ws}?{ml}", '{"location": "eastus"}', admin)[0] == 200
                version = '{"properties": {"modelUri": "https://example.org/m.pkl"}}'
                assert call(first, "POST", f"{ws}/models/m/versions?{ml}", version, admin)[0] == 201
                status, user = call(first, "POST", "/v1.0/users", json.dumps({
                    "userPrincipalName": "reader@amlite.local", "displayName": "reader",
                    "passwordProfile": {"password": "pass-word-1"}}), admin)
                assert status == 201, user
                reader = token("reader@amlite.local", "pass-word-1")
                status, roles = call(first, "GET", f"{ws}/providers/Microsoft.Authorization/roleDefinitions?{auth}"
                                     "&$filter=" + urllib.parse.quote("roleName eq 'Reader'"), headers=admin)
                assert status == 200 and len(roles["value"]) == 1, roles
                assignment = json.dumps({"properties": {"roleDefinitionId": roles["value"][0]["id"],
                                                        "principalId": user["id"]}})
                granted = f"{ws}/providers/Microsoft.Authorization/roleAssignments/6a1b0c1e-0000-4000-8000-000000000001"
                assert call(first, "PUT", f"{granted}?{auth}", assignment, admin)[0] == 201
                get = f"{ws}/models/m/versions/1?{ml}"
                for _ in range(2):  # each worker decides once, then remembers
                    assert call(second, "GET", get, headers=reader)[0] == 200
                    assert call(first, "GET", get, headers=reader)[0] == 200
                assert call(first, "DELETE", f"{granted}?{auth}", headers=admin)[0] == 200
                assert call(second, "GET", get, headers=reader)[0] == 403
                assert call(first, "GET", get, headers=reader)[0] == 403
                again = f"{ws}/providers/Microsoft.Authorization/roleAssignments/6a1b0c1e-0000-4000-8000-000000000002"
                assert call(second, "PUT", f"{again}?{auth}", assignment, admin)[0] == 201
                assert call(first, "GET", get, headers=reader)[0] == 200
        finally:
            server.stop()
