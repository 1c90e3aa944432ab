"""Registry assets through the API, on both stores: created in a registry and replicated to its
three regions (hash-verified), shared from a workspace with lineage and without copying bytes the
registry has, read from the caller's region, a region whose storage is down retried with backoff
and reported while the others succeed, back-fill when a region is added, no reads from a removed
region, registry references from a workspace, and bad input changing nothing."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from amlite.domain.assets import AssetKind
from amlite.domain.blobs import blob_key
from amlite.domain.errors import StorageUnavailable
from amlite.domain.replication import REPLICATE
from amlite.services.replication import ReplicationService
from amlite.services.tasks import TaskEngine
from tests.integration.conftest import ML, Api

NS = "providers/Microsoft.MachineLearningServices/registries"
REGIONS = ["eastus", "eastus2", "westus"]


def reg_path(api: Api, rg: str, name: str) -> str:
    return f"{api.rg_path(rg)}/{NS}/{name}"


def make_registry(api: Api, rg: str, name: str, regions: list[str] = REGIONS) -> dict[str, Any]:
    body = {"location": regions[0], "properties": {"regionDetails": [{"location": r} for r in regions]}}
    r = api.request("PUT", reg_path(api, rg, name), ML, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def upload(api: Api, owner_path: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    r = api.client.put(api.url(f"{owner_path}/artifacts/blobs/{digest}", ML), content=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code in (200, 201), r.text
    return digest


def model_body(digest: str, size: int, **props: Any) -> dict[str, Any]:
    return {"properties": {"modelType": "custom_model", "description": "m",
                           "artifacts": [{"path": "model/w.bin", "sha256": digest, "size": size}], **props}}


def wait_replicated(api: Api, version_url: str, timeout: float = 30.0, want: str = "Succeeded") -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = api.request("GET", version_url, ML).json()
        states = {r["location"]: r["state"] for r in body["properties"]["replication"]}
        if all(s == want for s in states.values()) or time.monotonic() > deadline:
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)


def replica_file(api: Api, reg: dict[str, Any], region: str, digest: str) -> Path:
    account = next(d["storageAccountDetails"][0]["systemCreatedStorageAccount"]["storageAccountName"]
                   for d in reg["properties"]["regionDetails"] if d["location"] == region)
    registry_id = reg["properties"].get("registryId") or _registry_id(api, reg["name"])
    store = api.container.deps.blobs(region)
    return store.root / account / f"azureml-registry-{registry_id}" / blob_key(digest)  # type: ignore[attr-defined,no-any-return]


def _registry_id(api: Api, name: str) -> str:
    with api.container.deps.uow() as uow:
        return uow.registries.by_name(api.tenant, name).registry_id  # type: ignore[no-any-return]


@pytest.fixture
def setup(api: Api, name: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """A resource group with a workspace (westus) and a three-region registry (eastus primary)."""
    api.create_group(name)
    api.create_workspace(name, f"ws{name}", location="westus")
    reg = make_registry(api, name, f"reg-{name}")
    yield name, f"reg-{name}", reg


def test_registry_version_replicates_to_every_region_with_verified_copies(api: Api, setup: Any) -> None:
    rg, reg_name, reg = setup
    path = reg_path(api, rg, reg_name)
    data = b"weights " * 50_000
    digest = upload(api, path, data)
    r = api.request("PUT", f"{path}/models/m/versions/1", ML, json=model_body(digest, len(data)))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["type"] == "Microsoft.MachineLearningServices/registries/models/versions"
    assert created["properties"]["modelUri"] == f"azureml://registries/{reg_name}/models/m/versions/1"
    first = {x["location"]: x["state"] for x in created["properties"]["replication"]}
    assert first["eastus"] == "Succeeded" and set(first) == set(REGIONS)  # usable at once from the primary
    body = wait_replicated(api, f"{path}/models/m/versions/1")
    assert [x["state"] for x in body["properties"]["replication"]] == ["Succeeded"] * 3, body
    for region in REGIONS:
        copy = replica_file(api, reg, region, digest)
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest
        assert not list(copy.parents[3].glob(".partial/*"))  # nothing left half-written
    listed = api.request("GET", f"{path}/models/m/versions", ML).json()["value"]
    assert [v["name"] for v in listed] == ["1"] and listed[0]["properties"]["replication"]
    containers = api.request("GET", f"{path}/models", ML).json()["value"]
    assert containers[0]["properties"]["latestVersion"] == "1"


def test_reads_are_served_from_the_callers_region(api: Api, setup: Any) -> None:
    rg, reg_name, _ = setup
    path = reg_path(api, rg, reg_name)
    data = b"regional bytes"
    digest = upload(api, path, data)
    api.request("PUT", f"{path}/models/r/versions/1", ML, json=model_body(digest, len(data)))
    wait_replicated(api, f"{path}/models/r/versions/1")
    blob = f"{path}/artifacts/blobs/{digest}"
    for caller_region, served in (("westus", "westus"), ("East US 2", "eastus2"), ("northeurope", "eastus"), (None, "eastus")):
        query = f"callerRegion={caller_region}&{ML}" if caller_region else ML
        got = api.client.get(f"{blob}?{query}")
        assert got.status_code == 200 and got.content == data
        assert got.headers["x-ms-served-region"] == served, (caller_region, got.headers)


def test_share_from_a_workspace_keeps_lineage_and_copies_only_missing_bytes(api: Api, setup: Any) -> None:
    rg, reg_name, _ = setup
    ws = api.ws_path(rg, f"ws{rg}")
    data = b"dev model " * 1000
    digest = upload(api, ws, data)
    source = api.request("PUT", f"{ws}/models/dev/versions/3", ML, json=model_body(digest, len(data), jobName="job1"))
    assert source.status_code == 201
    share = {"registryName": reg_name.upper(), "shareWithName": "prod", "shareWithVersion": "1"}
    r = api.request("POST", f"{ws}/models/dev/versions/3/share", ML, json=share)
    assert r.status_code == 201, r.text
    assert r.headers["x-ms-copied-blobs"] == "1" and r.headers["x-ms-copied-bytes"] == str(len(data))
    shared = r.json()
    assert shared["id"] == f"{reg_path(api, rg, reg_name)}/models/prod/versions/1"
    assert shared["properties"]["lineage"] == {"sourceAssetId": f"{ws}/models/dev/versions/3",
                                               "sourceWorkspaceId": ws, "sourceJobName": "job1"}
    assert shared["properties"]["artifacts"] == source.json()["properties"]["artifacts"]
    # The same share again is idempotent; sharing the same bytes under another name copies nothing.
    again = api.request("POST", f"{ws}/models/dev/versions/3/share", ML, json=share)
    assert again.status_code == 200 and again.headers["x-ms-copied-blobs"] == "0"
    other = api.request("POST", f"{ws}/models/dev/versions/3/share", ML,
                        json={**share, "shareWithName": "prod-copy"})
    assert other.status_code == 201 and other.headers["x-ms-copied-blobs"] == "0"
    got = api.request("GET", f"{reg_path(api, rg, reg_name)}/models/prod/versions/1", ML).json()
    assert got["properties"]["lineage"]["sourceAssetId"].endswith("/models/dev/versions/3")


def test_share_environment_and_reference_it_from_another_workspace(api: Api, setup: Any, name: str) -> None:
    rg, reg_name, _ = setup
    ws = api.ws_path(rg, f"ws{rg}")
    env = {"properties": {"image": "python:3.11", "osType": "Linux"}}
    assert api.request("PUT", f"{ws}/environments/env/versions/1", ML, json=env).status_code == 201
    r = api.request("POST", f"{ws}/environments/env/versions/1/share", ML,
                    json={"registryName": reg_name, "shareWithName": "shared-env", "shareWithVersion": "7"})
    assert r.status_code == 201, r.text
    other_rg = f"o{name}"
    api.create_group(other_rg, location="westus")
    other = api.ws_path(other_rg, "consumer")
    api.create_workspace(other_rg, "consumer", location="westus")
    for ref in (f"azureml://registries/{reg_name}/environments/shared-env/versions/7",
                f"azureml://registries/{reg_name}/environments/shared-env/labels/latest"):
        comp = {"properties": {"componentSpec": {"type": "command", "command": "echo hi", "environment": ref}}}
        made = api.request("POST", f"{other}/components/c/versions", ML, json=comp)
        assert made.status_code == 201, made.text
    missing = {"properties": {"componentSpec": {"type": "command", "command": "x",
                                                "environment": f"azureml://registries/{reg_name}/environments/shared-env/versions/8"}}}
    refused = api.request("PUT", f"{other}/components/c2/versions/1", ML, json=missing)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "AssetReferenceNotFound"


@pytest.mark.parametrize("case", ["missing-version", "unknown-registry", "different-content", "no-registry-name"])
def test_bad_shares_change_nothing(api: Api, setup: Any, case: str) -> None:
    rg, reg_name, _ = setup
    ws = api.ws_path(rg, f"ws{rg}")
    a, b = b"content A", b"content B"
    da, db = upload(api, ws, a), upload(api, ws, b)
    api.request("PUT", f"{ws}/models/a/versions/1", ML, json=model_body(da, len(a)))
    api.request("PUT", f"{ws}/models/b/versions/1", ML, json=model_body(db, len(b)))
    share = {"registryName": reg_name, "shareWithName": "taken", "shareWithVersion": "1"}
    assert api.request("POST", f"{ws}/models/a/versions/1/share", ML, json=share).status_code == 201
    wait_replicated(api, f"{reg_path(api, rg, reg_name)}/models/taken/versions/1")
    before = api.snapshot()
    registry_dir = replica_file(api, setup[2], "eastus", db)
    url, body, status, code = {
        "missing-version": (f"{ws}/models/a/versions/9/share", {**share, "shareWithVersion": "2"}, 404, "ResourceNotFound"),
        "unknown-registry": (f"{ws}/models/b/versions/1/share", {**share, "registryName": "nope-reg"}, 404,
                             "ResourceNotFound"),
        "different-content": (f"{ws}/models/b/versions/1/share", share, 409, "AssetVersionConflict"),
        "no-registry-name": (f"{ws}/models/b/versions/1/share", {"shareWithName": "x", "shareWithVersion": "1"}, 400,
                             "InvalidRequestContent"),
    }[case]
    r = api.request("POST", url, ML, json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert api.snapshot() == before
    assert not registry_dir.exists()  # refused before any byte moved


class _Outage:
    """A region's object storage that refuses every write (as an unreachable account would)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.region = inner.region

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def copy_blob(self, *args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable("StorageError", "The storage account could not be reached (connection refused).")


def test_a_region_that_is_down_is_retried_with_backoff_while_others_succeed(api: Api, setup: Any) -> None:
    rg, reg_name, _ = setup
    path = reg_path(api, rg, reg_name)
    stores = api.container.deps.blob_stores
    healthy = stores["westus"]
    stores["westus"] = _Outage(healthy)  # type: ignore[assignment]
    try:
        data = b"outage test"
        digest = upload(api, path, data)
        api.request("PUT", f"{path}/models/o/versions/1", ML, json=model_body(digest, len(data)))
        deadline = time.monotonic() + 20
        while True:
            rep = {x["location"]: x for x in
                   api.request("GET", f"{path}/models/o/versions/1", ML).json()["properties"]["replication"]}
            if (rep["westus"]["state"] == "Failed" and rep["westus"]["attempts"] >= 2
                    and rep["eastus2"]["state"] == "Succeeded") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert rep["eastus2"]["state"] == "Succeeded", rep
        assert rep["westus"]["state"] == "Failed" and "could not be reached" in rep["westus"]["reason"], rep
        assert rep["westus"]["attempts"] >= 2 and "nextAttemptTime" in rep["westus"]
        with api.container.deps.uow() as uow:
            version_key = uow.registry_asset_versions.get(
                uow.registry_asset_containers.get(_key(api, reg_name), AssetKind.MODELS, "o").key, "1").key
            [task] = [t for t in uow.tasks.of_subjects(REPLICATE, [version_key])[version_key]
                      if t.payload["region"] == "westus"]
        assert task.next_run_at is not None and task.last_run_at is not None
        assert task.next_run_at > task.last_run_at  # backoff: not retried at once
    finally:
        stores["westus"] = healthy
    body = wait_replicated(api, f"{path}/models/o/versions/1", timeout=30)
    assert {x["location"]: x["state"] for x in body["properties"]["replication"]}["westus"] == "Succeeded", body


class _Slow:
    """A region's object storage that takes ``seconds`` to store each blob (a far, slow account)."""

    def __init__(self, inner: Any, seconds: float) -> None:
        self._inner = inner
        self._seconds = seconds
        self.region = inner.region

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def copy_blob(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(self._seconds)
        return self._inner.copy_blob(*args, **kwargs)


def test_a_copy_that_outlasts_its_lease_keeps_its_claim(api: Api, setup: Any) -> None:
    """One blob into a slow region takes four times the lease: the worker renews its claim while it
    copies, so a second worker never takes the copy over and it counts one attempt."""
    rg, reg_name, _ = setup
    path = reg_path(api, rg, reg_name)
    container = api.container
    container.worker.stop()  # only the two workers below run copies
    stores = container.deps.blob_stores
    healthy = stores["westus"]
    stores["westus"] = _Slow(healthy, 1.6)  # type: ignore[assignment]
    service = TaskEngine(container.deps)  # an engine of its own, where copies hold a short lease
    ReplicationService(container.deps, service, lease=timedelta(seconds=0.4))
    try:
        data = b"slow region"
        digest = upload(api, path, data)
        api.request("PUT", f"{path}/models/slow/versions/1", ML, json=model_body(digest, len(data)))
        first = threading.Thread(target=lambda: [None for _ in iter(lambda: service.run_next("first"), False)])
        first.start()
        deadline = time.monotonic() + 10
        while _westus_task(api, reg_name, "slow").lease_owner != "first":  # the slow copy is under way
            assert time.monotonic() < deadline and first.is_alive(), _westus_task(api, reg_name, "slow")
            time.sleep(0.01)
        taken_over = 0
        while first.is_alive():  # the second worker keeps asking for work while the first copies
            if service.run_next("second"):
                taken_over += 1
            time.sleep(0.05)
        first.join()
    finally:
        stores["westus"] = healthy
        container.worker.start()
    rep = {x["location"]: x for x in
           api.request("GET", f"{path}/models/slow/versions/1", ML).json()["properties"]["replication"]}
    assert rep["westus"]["state"] == "Succeeded" and rep["westus"]["attempts"] == 1, rep
    assert rep["eastus2"]["state"] == "Succeeded" and taken_over <= 1, (rep, taken_over)


def _westus_task(api: Api, reg_name: str, model: str) -> Any:
    with api.container.deps.uow() as uow:
        version_key = uow.registry_asset_versions.get(
            uow.registry_asset_containers.get(_key(api, reg_name), AssetKind.MODELS, model).key, "1").key
        return next(t for t in uow.tasks.of_subjects(REPLICATE, [version_key])[version_key]
                    if t.payload["region"] == "westus")


def _key(api: Api, reg_name: str) -> str:
    with api.container.deps.uow() as uow:
        return uow.registries.by_name(api.tenant, reg_name).key  # type: ignore[no-any-return]


def test_adding_a_region_backfills_every_version_and_removing_one_stops_reads(api: Api, setup: Any) -> None:
    rg, reg_name, _ = setup
    path = reg_path(api, rg, reg_name)
    digests = []
    for i in range(100):
        data = f"version {i}".encode()
        digest = upload(api, path, data)
        digests.append(digest)
        r = api.request("PUT", f"{path}/data/d{i % 5}/versions/{i}", ML,
                        json={"properties": {"dataType": "uri_file",
                                             "artifacts": [{"path": "f.txt", "sha256": digest, "size": len(data)}]}})
        assert r.status_code == 201, r.text
    reg = make_registry(api, rg, reg_name, REGIONS + ["northeurope"])
    deadline = time.monotonic() + 60
    while True:
        with api.container.deps.uow() as uow:
            key = uow.registries.by_name(api.tenant, reg_name).key
            counts = uow.tasks.count_by_state(REPLICATE, key)
        if counts.get("Succeeded", 0) == 300 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert counts == {"Succeeded": 300}, counts
    for digest in digests:
        assert replica_file(api, reg, "northeurope", digest).is_file()
    one = api.request("GET", f"{path}/data/d0/versions/0", ML).json()["properties"]["replication"]
    assert [x["location"] for x in one] == ["eastus", "eastus2", "westus", "northeurope"]
    blob = f"{path}/artifacts/blobs/{digests[0]}"
    assert api.client.get(f"{blob}?callerRegion=westus&{ML}").headers["x-ms-served-region"] == "westus"
    make_registry(api, rg, reg_name, ["eastus", "eastus2", "northeurope"])  # westus removed
    got = api.client.get(f"{blob}?callerRegion=westus&{ML}")
    assert got.status_code == 200 and got.headers["x-ms-served-region"] == "eastus"
    one = api.request("GET", f"{path}/data/d0/versions/0", ML).json()["properties"]["replication"]
    assert [x["location"] for x in one] == ["eastus", "eastus2", "northeurope"]


def test_sdk_registry_client_creates_shares_and_downloads_from_its_region(api: Api, setup: Any,
                                                                             tmp_path: Path) -> None:
    from amlite import MLClient, Model
    from tests.integration.test_artifacts import _Token

    rg, reg_name, _ = setup
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "w.bin").write_bytes(b"sdk weights" * 100)
    transport = api.client._transport
    ws_client = MLClient(_Token(api.token), api.sub, rg, f"ws{rg}", endpoint="http://127.0.0.1:8600",
                         transport=transport)
    reg_client = MLClient(_Token(api.token), api.sub, rg, f"ws{rg}", registry_name=reg_name,
                          endpoint="http://127.0.0.1:8600", transport=transport)
    made = reg_client.models.create_or_update(Model(name="direct", version="1", path=str(folder)))
    assert made.id.endswith(f"/registries/{reg_name}/models/direct/versions/1")
    ws_client.models.create_or_update(Model(name="dev", version="1", path=str(folder)))
    shared = ws_client.models.share("dev", "1", registry_name=reg_name, share_with_name="promoted",
                                    share_with_version="1")
    assert shared.id.endswith(f"/registries/{reg_name}/models/promoted/versions/1")
    wait_replicated(api, f"{reg_path(api, rg, reg_name)}/models/promoted/versions/1")
    dest = reg_client.models.download("promoted", "1", tmp_path / "out")
    assert (dest / "model" / "w.bin").read_bytes() == (folder / "w.bin").read_bytes()
    assert reg_client.models.last_served_regions == ["westus"]  # the workspace in context is in westus
    assert [m.name for m in reg_client.models.list()] == ["direct", "promoted"]
    ws_client.close()
    reg_client.close()


def test_deleting_a_registry_removes_its_assets_and_tasks(api: Api, setup: Any) -> None:
    import sqlalchemy as sa

    from amlite.store import tables as t

    rg, reg_name, _ = setup
    path = reg_path(api, rg, reg_name)
    data = b"to be deleted"
    digest = upload(api, path, data)
    api.request("PUT", f"{path}/models/gone/versions/1", ML, json=model_body(digest, len(data)))
    with api.container.deps.uow() as uow:
        key = uow.registries.by_name(api.tenant, reg_name).key
    assert api.wait(api.request("DELETE", path, ML))["status"] == "Succeeded"  # soft delete: kept, hidden
    assert api.request("GET", f"{path}/models/gone/versions/1", ML).status_code == 404
    assert api.wait(api.client.delete(f"{path}?forceToPurge=true&{ML}"))["status"] == "Succeeded"
    with api.container.engine.connect() as conn:
        containers = t.registry_asset_containers
        assert conn.execute(sa.select(sa.func.count()).select_from(containers)
                            .where(containers.c.registry_key == key)).scalar() == 0
        tasks = t.tasks
        assert conn.execute(sa.select(sa.func.count()).select_from(tasks)
                            .where(tasks.c.scope_key == key)).scalar() == 0
    assert api.request("GET", f"{path}/models/gone/versions/1", ML).status_code == 404


@pytest.fixture
def two_registries(api: Api, setup: Any) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """``setup`` plus a target registry in other regions (westus primary), so a registry→registry
    share really moves bytes between storage accounts; the source registry holds ``staged:1``,
    shared from the workspace's ``dev:3`` (made by ``job1``)."""
    rg, src_name, _ = setup
    ws = api.ws_path(rg, f"ws{rg}")
    dst_name = f"dst-{rg}"
    dst = make_registry(api, rg, dst_name, ["westus", "northeurope"])
    data = b"staged model " * 1000
    digest = upload(api, ws, data)
    api.request("PUT", f"{ws}/models/dev/versions/3", ML, json=model_body(digest, len(data), jobName="job1"))
    r = api.request("POST", f"{ws}/models/dev/versions/3/share", ML,
                    json={"registryName": src_name, "shareWithName": "staged", "shareWithVersion": "1"})
    assert r.status_code == 201, r.text
    # settled, so a test comparing snapshots sees only its own changes, not this copy finishing
    wait_replicated(api, f"{reg_path(api, rg, src_name)}/models/staged/versions/1")
    yield src_name, dst_name, digest, dst


def test_share_from_a_registry_copies_once_keeps_lineage_and_replicates(api: Api, setup: Any,
                                                                         two_registries: Any) -> None:
    rg = setup[0]
    src_name, dst_name, digest, dst = two_registries
    ws = api.ws_path(rg, f"ws{rg}")
    src, target = reg_path(api, rg, src_name), reg_path(api, rg, dst_name)
    share = {"registryName": dst_name, "shareWithName": "prod", "shareWithVersion": "1"}
    r = api.request("POST", f"{src}/models/staged/versions/1/share", ML, json=share)
    assert r.status_code == 201, r.text
    assert r.headers["x-ms-copied-blobs"] == "1" and r.headers["x-ms-copied-bytes"] == str(len(b"staged model ") * 1000)
    shared = r.json()
    assert shared["id"] == f"{target}/models/prod/versions/1"
    assert shared["properties"]["modelUri"] == f"azureml://registries/{dst_name}/models/prod/versions/1"
    # Lineage points at the registry version it was copied from and still reaches the dev workspace.
    assert shared["properties"]["lineage"] == {"sourceAssetId": f"{src}/models/staged/versions/1",
                                               "sourceWorkspaceId": ws, "sourceJobName": "job1"}
    again = api.request("POST", f"{src}/models/staged/versions/1/share", ML, json=share)
    assert again.status_code == 200 and again.headers["x-ms-copied-blobs"] == "0"
    other = api.request("POST", f"{src}/models/staged/versions/1/share", ML, json={**share, "shareWithName": "p2"})
    assert other.status_code == 201 and other.headers["x-ms-copied-blobs"] == "0"
    body = wait_replicated(api, f"{target}/models/prod/versions/1")
    assert {x["location"]: x["state"] for x in body["properties"]["replication"]} == {
        "westus": "Succeeded", "northeurope": "Succeeded"}, body
    for region in ("westus", "northeurope"):
        assert hashlib.sha256(replica_file(api, dst, region, digest).read_bytes()).hexdigest() == digest
    # A version made directly in a registry has no workspace: its copy's lineage says only where it came from.
    data = b"made in the registry"
    direct = upload(api, src, data)
    api.request("PUT", f"{src}/models/direct/versions/1", ML, json=model_body(direct, len(data)))
    r = api.request("POST", f"{src}/models/direct/versions/1/share", ML,
                    json={"registryName": dst_name, "shareWithName": "direct", "shareWithVersion": "1"})
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["lineage"] == {"sourceAssetId": f"{src}/models/direct/versions/1"}


@pytest.mark.parametrize("case", ["missing-version", "unknown-registry", "different-content"])
def test_bad_registry_to_registry_shares_change_nothing(api: Api, setup: Any, two_registries: Any,
                                                         case: str) -> None:
    rg = setup[0]
    src_name, dst_name, digest, dst = two_registries
    src, target = reg_path(api, rg, src_name), reg_path(api, rg, dst_name)
    data = b"taken content"
    taken = upload(api, target, data)
    assert api.request("PUT", f"{target}/models/taken/versions/1", ML,
                       json=model_body(taken, len(data))).status_code == 201
    wait_replicated(api, f"{target}/models/taken/versions/1")
    before = api.snapshot()
    share = {"registryName": dst_name, "shareWithName": "taken", "shareWithVersion": "1"}
    url, body, status, code = {
        "missing-version": (f"{src}/models/staged/versions/9/share", {**share, "shareWithVersion": "2"}, 404,
                            "ResourceNotFound"),
        "unknown-registry": (f"{src}/models/staged/versions/1/share", {**share, "registryName": "nope-reg"}, 404,
                             "ResourceNotFound"),
        "different-content": (f"{src}/models/staged/versions/1/share", share, 409, "AssetVersionConflict"),
    }[case]
    r = api.request("POST", url, ML, json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert api.snapshot() == before
    assert not replica_file(api, dst, "westus", digest).exists()  # refused before any byte moved


def test_sdk_shares_from_a_registry_client_into_another_registry(api: Api, setup: Any, two_registries: Any) -> None:
    from amlite import MLClient
    from tests.integration.test_artifacts import _Token

    rg = setup[0]
    src_name, dst_name, _, _ = two_registries
    client = MLClient(_Token(api.token), api.sub, rg, f"ws{rg}", registry_name=src_name,
                      endpoint="http://127.0.0.1:8600", transport=api.client._transport)
    shared = client.models.share("staged", "1", registry_name=dst_name, share_with_name="prod",
                                 share_with_version="2")
    assert shared.id.endswith(f"/registries/{dst_name}/models/prod/versions/2")
    assert [m.name for m in client.models.list()] == ["staged"]  # the source registry is unchanged
    client.close()


def registry_fingerprint(api: Api, reg_name: str, asset: str, version: str) -> str:
    with api.container.deps.uow() as uow:
        reg = uow.registries.by_name(api.tenant, reg_name)
        container = uow.registry_asset_containers.get(reg.key, AssetKind.MODELS, asset)
        found = uow.registry_asset_versions.get(container.key, version)
        assert found is not None
        return found.fingerprint  # type: ignore[no-any-return]


def test_the_same_content_has_one_fingerprint_in_workspaces_and_registries(api: Api, setup: Any, name: str) -> None:
    """The same YAML and bytes in two registries, and a workspace version shared into a registry
    under another name, are one content: their fingerprints are equal, and each is shown with the
    URI of where it is."""
    rg, reg_name, _ = setup
    other_rg, other_name = f"o{name}", f"other-{name}"
    api.create_group(other_rg)
    make_registry(api, other_rg, other_name, ["eastus"])
    data = b"registry weights"
    for path in (reg_path(api, rg, reg_name), reg_path(api, other_rg, other_name)):
        digest = upload(api, path, data)
        made = api.request("PUT", f"{path}/models/m/versions/1", ML, json=model_body(digest, len(data)))
        assert made.status_code == 201, made.text
    assert registry_fingerprint(api, reg_name, "m", "1") == registry_fingerprint(api, other_name, "m", "1")
    ws = api.ws_path(rg, f"ws{rg}")
    upload(api, ws, data)
    assert api.request("PUT", f"{ws}/models/dev/versions/3", ML, json=model_body(digest, len(data))).status_code == 201
    share = {"registryName": reg_name, "shareWithName": "prod", "shareWithVersion": "9"}
    shared = api.request("POST", f"{ws}/models/dev/versions/3/share", ML, json=share)
    assert shared.status_code == 201, shared.text
    assert shared.json()["properties"]["modelUri"] == f"azureml://registries/{reg_name}/models/prod/versions/9"
    assert registry_fingerprint(api, reg_name, "prod", "9") == registry_fingerprint(api, reg_name, "m", "1")
    assert api.request("POST", f"{ws}/models/dev/versions/3/share", ML, json=share).status_code == 200
