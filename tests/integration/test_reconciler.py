"""The reconciler derives from the state what background work must exist and queues what is
missing: a replication task deleted by hand comes back and its replica is made, and running it
again changes nothing (it never queues a second task for one version and region)."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from amlite.domain.replication import REPLICATE
from amlite.store import tables as t
from tests.integration.conftest import ML, Api
from tests.integration.test_registry_assets import (  # noqa: F401  (setup is a fixture)
    model_body,
    reg_path,
    replica_file,
    setup,
    upload,
    wait_replicated,
)


def _copies(api: Api) -> dict[str, tuple[str, str]]:
    """Every replication task in the store: region -> (task key, state)."""
    with api.container.engine.connect() as conn:
        rows = conn.execute(sa.select(t.tasks).where(t.tasks.c.kind == REPLICATE))
        return {row.payload["region"]: (row.key, row.state) for row in rows}


def test_a_replication_task_deleted_by_hand_is_restored_and_its_replica_made(api: Api, setup: Any) -> None:
    rg, reg_name, reg = setup
    path = reg_path(api, rg, reg_name)
    api.container.worker.stop()  # the copies wait, so the hand-made loss happens before any runs
    try:
        data = b"lost and found " * 1000
        digest = upload(api, path, data)
        assert api.request("PUT", f"{path}/models/m/versions/1", ML,
                           json=model_body(digest, len(data))).status_code == 201
        before = _copies(api)
        assert set(before) == {"eastus2", "westus"}
        with api.container.engine.begin() as conn:
            conn.execute(t.tasks.delete().where(t.tasks.c.key == before["westus"][0]))
        assert set(_copies(api)) == {"eastus2"}
        assert api.container.reconciler.run_once() == 1
        after = _copies(api)
        assert set(after) == {"eastus2", "westus"} and after["westus"][1] == "Pending"
        assert after["eastus2"] == before["eastus2"]  # what existed is left as it was
        assert api.container.reconciler.run_once() == 0  # idempotent: no second task for one copy
        assert _copies(api) == after
    finally:
        api.container.worker.start()
    body = wait_replicated(api, f"{path}/models/m/versions/1")
    assert {x["location"]: x["state"] for x in body["properties"]["replication"]} == {
        "eastus": "Succeeded", "eastus2": "Succeeded", "westus": "Succeeded"}, body
    copy = replica_file(api, reg, "westus", digest)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest


def test_the_reconciler_drops_copies_nobody_wants(api: Api, setup: Any) -> None:
    """A task left for a version that is gone (a crash, a hand-made row) is removed, not run."""
    rg, reg_name, _ = setup
    path = reg_path(api, rg, reg_name)
    data = b"kept"
    digest = upload(api, path, data)
    api.request("PUT", f"{path}/models/k/versions/1", ML, json=model_body(digest, len(data)))
    wait_replicated(api, f"{path}/models/k/versions/1")
    api.container.worker.stop()  # a worker would drop the stray task itself when it ran it
    with api.container.deps.uow(write=True) as uow:
        registry_key = uow.registries.by_name(api.tenant, reg_name).key
        stray = api.container.tasks.new(REPLICATE, dedupe_key=f"{REPLICATE}:no-such-version:westus",
                                        subject_key="no-such-version", scope_key=registry_key,
                                        payload={"region": "westus"})
        uow.tasks.add_missing([stray])
        uow.commit()
    try:
        assert api.container.reconciler.run_once() == 1
    finally:
        api.container.worker.start()
    with api.container.deps.uow() as uow:
        assert uow.tasks.get(stray.key) is None
        assert uow.tasks.count_by_state(REPLICATE, registry_key) == {"Succeeded": 2}


def test_a_region_added_while_its_back_fill_hook_fails_answers_ok_and_heals(api: Api, setup: Any) -> None:
    """The region change is committed before the hook runs: the hook failing must not turn the
    answer into an error, and the reconciler queues the copies the hook did not."""
    from tests.integration.test_registry_assets import REGIONS, make_registry

    rg, reg_name, _ = setup
    path = reg_path(api, rg, reg_name)
    data = b"back-filled later"
    digest = upload(api, path, data)
    assert api.request("PUT", f"{path}/models/b/versions/1", ML, json=model_body(digest, len(data))).status_code == 201
    wait_replicated(api, f"{path}/models/b/versions/1")
    hooks = api.container.registries.on_regions_added

    def unreachable(registry_key: str, regions: list[str]) -> None:
        raise ConnectionError("the task store is unreachable")

    saved = list(hooks)
    hooks[:] = [unreachable]
    try:
        reg = make_registry(api, rg, reg_name, REGIONS + ["northeurope"])  # asserts a 2xx answer
    finally:
        hooks[:] = saved
    assert "northeurope" not in _copies(api)
    assert api.container.reconciler.run_once() == 1
    body = wait_replicated(api, f"{path}/models/b/versions/1")
    assert {x["location"]: x["state"] for x in body["properties"]["replication"]}["northeurope"] == "Succeeded"
    assert hashlib.sha256(replica_file(api, reg, "northeurope", digest).read_bytes()).hexdigest() == digest
