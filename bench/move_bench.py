"""Moving a workspace that holds 100,000 asset versions to another subscription: under a second?

A workspace points at its group by key and no asset row stores an ARM id, so ``moveResources``
rewrites one pointer per workspace and associated record, whatever the workspace holds. This
makes a workspace with ``--versions`` model versions (``--containers`` models, cloned in bulk from
one version created through the API), moves it across subscriptions through the API, and prints:

- the move: from the POST to the Location poll's 204, and the operation's own start-to-end time;
- that every version is resolvable under the new ids: each model's versions listed through the
  API at the destination (every version counted), and a sample refused (404) at the source.

Run ``.venv/bin/python bench/move_bench.py [--versions 100000] [--containers 1000]
[--db-url postgresql+psycopg://...]``. In process, on a temporary SQLite file unless --db-url.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from amlite.api.app import create_app
from amlite.bootstrap import build
from amlite.config import Settings
from amlite.domain.providers import DEFAULT_REGISTERED
from amlite.store import tables as t

RES, ML, ALIAS = "api-version=2024-03-01", "api-version=2024-10-01", "api-version=2021-10-01"


def clone_versions(engine: sa.Engine, ws_key: str, template_container: str, containers: int, per: int) -> None:
    """``containers`` models of ``per`` versions each, copied from the template's rows."""
    with engine.begin() as conn:
        c = dict(conn.execute(sa.select(t.asset_containers).where(t.asset_containers.c.key == template_container)).mappings().one())
        v = dict(conn.execute(sa.select(t.asset_versions).where(t.asset_versions.c.container_key == template_container)).mappings().one())
        new_containers, new_versions = [], []
        for i in range(containers):
            ckey = str(uuid.uuid4())
            name = f"bench-model-{i:05d}"
            new_containers.append({**c, "key": ckey, "workspace_key": ws_key, "name": name, "name_lower": name,
                                   "next_version": per + 1})
            for n in range(1, per + 1):
                new_versions.append({**v, "key": str(uuid.uuid4()), "container_key": ckey, "version": str(n),
                                     "version_lower": str(n), "seq": n})
        conn.execute(t.asset_containers.insert(), new_containers)
        for start in range(0, len(new_versions), 10_000):
            conn.execute(t.asset_versions.insert(), new_versions[start:start + 10_000])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--containers", type=int, default=1_000)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    per = max(1, args.versions // args.containers)
    with tempfile.TemporaryDirectory(prefix="amlite-move-bench-") as tmp:
        base = Path(tmp)
        config = base / "amlite.yaml"
        config.write_text("worker_poll_seconds: 0.02\n")
        settings = Settings.load(data_dir=base / "data", db_url=args.db_url or f"sqlite:///{base / 'amlite.db'}",
                                 config_file=config, port=8600, env={})
        container = build(settings)
        try:
            creds = json.loads(container.settings.credentials_file.read_text())
            with TestClient(create_app(container), base_url="http://127.0.0.1:8600") as client:
                token = client.post(f"/{creds['tenantId']}/oauth2/v2.0/token", data={
                    "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
                client.headers["Authorization"] = f"Bearer {token['access_token']}"
                return run(client, container, creds["subscriptionId"], args.containers, per)
        finally:
            container.close()


def run(client: TestClient, container: Any, sub: str, containers: int, per: int) -> int:
    def ok(response: Any) -> Any:
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    dest = ok(client.put(f"/providers/Microsoft.Subscription/aliases/bench-dest?{ALIAS}",
                         json={"properties": {"displayName": "Bench destination"}}))["properties"]["subscriptionId"]
    for namespace in DEFAULT_REGISTERED:
        ok(client.post(f"/subscriptions/{dest}/providers/{namespace}/register?{RES}"))
    ok(client.put(f"/subscriptions/{sub}/resourceGroups/origin-rg?{RES}", json={"location": "eastus"}))
    ok(client.put(f"/subscriptions/{dest}/resourceGroups/destination-rg?{RES}", json={"location": "eastus"}))
    old = f"/subscriptions/{sub}/resourceGroups/origin-rg/providers/Microsoft.MachineLearningServices/workspaces/big"
    new = f"/subscriptions/{dest}/resourceGroups/destination-rg/providers/Microsoft.MachineLearningServices/workspaces/big"
    ok(client.put(f"{old}?{ML}", json={"location": "eastus"}))
    ok(client.put(f"{old}/models/template/versions/1?{ML}", json={"properties": {
        "modelType": "custom_model", "modelUri": "https://example.org/model.pkl"}}))
    with container.deps.uow() as uow:
        ws = uow.workspaces.get(sub, "origin-rg", "big")
    with container.engine.connect() as conn:
        template = conn.execute(sa.select(t.asset_containers.c.key).where(
            t.asset_containers.c.workspace_key == ws.key, t.asset_containers.c.name == "template")).scalar_one()
    started = time.perf_counter()
    clone_versions(container.engine, ws.key, template, containers, per)
    total = containers * per + 1
    print(f"seeded {total:,} asset versions in {containers:,} models in {time.perf_counter() - started:.1f} s")

    t0 = time.perf_counter()
    accepted = client.post(f"/subscriptions/{sub}/resourceGroups/origin-rg/moveResources?{RES}",
                           json={"resources": [old], "targetResourceGroup": f"/subscriptions/{dest}/resourceGroups/destination-rg"})
    assert accepted.status_code == 202, accepted.text
    while (answer := client.get(accepted.headers["Location"])).status_code == 202:
        time.sleep(0.005)
    elapsed = time.perf_counter() - t0
    assert answer.status_code == 204, answer.text
    status = ok(client.get(accepted.headers["Location"].replace("/operationResults/", "/operationStatuses/")))
    op_seconds = (datetime.fromisoformat(status["endTime"]) - datetime.fromisoformat(status["startTime"])).total_seconds()
    print(f"move of a workspace with {total:,} asset versions: {elapsed:.3f} s from POST to 204 "
          f"(operation start to end {op_seconds:.3f} s, including the worker's pick-up)")

    t1 = time.perf_counter()
    resolved = 0
    for i in range(containers):
        listed = ok(client.get(f"{new}/models/bench-model-{i:05d}/versions?{ML}&$top=1000"))["value"]
        assert len(listed) == per and all(v["id"].startswith(f"azureml:{new}/") or v["id"].startswith(new)
                                          for v in listed), listed[:1]
        resolved += len(listed)
    resolved += len(ok(client.get(f"{new}/models/template/versions?{ML}"))["value"])
    for i in range(0, containers, max(1, containers // 50)):
        gone = client.get(f"{old}/models/bench-model-{i:05d}/versions/1?{ML}")
        assert gone.status_code == 404, gone.text
    print(f"resolved {resolved:,} / {total:,} versions under the new ids through the API "
          f"({time.perf_counter() - t1:.1f} s); the old ids answer 404")
    verdict = "met" if elapsed < 1.0 and resolved == total else "NOT MET"
    print(f"target: move under 1 s with every version resolvable: {verdict}")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
