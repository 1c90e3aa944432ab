"""Replication's rules without a database: a new registry version is queued for each replica
region, the reconciler restores a lost copy task and drops unwanted ones, and running a copy moves
the blobs into the region's store."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from amlite.domain.assets import AssetContainer, AssetKind, AssetVersion, ManifestEntry
from amlite.domain.registries import Registry, RegistryRegion, StorageConfig
from amlite.domain.replication import REPLICATE, copy_key
from amlite.domain.tasks import TaskState
from amlite.services.asset_owners import registry_owner
from amlite.services.context import Deps, FakeClock
from amlite.services.replication import ReplicationService
from amlite.services.tasks import TaskEngine
from tests.unit.memory_world import memory_deps, resource_group, stamp

DATA = b"replicated bytes " * 100
DIGEST = hashlib.sha256(DATA).hexdigest()


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.deps: Deps = memory_deps(self.clock)
        self.engine = TaskEngine(self.deps)
        self.replication = ReplicationService(self.deps, self.engine)
        rg = resource_group(self.deps, "sub", "rg")
        now = self.clock.now()
        self.registry = Registry(
            key="reg-1", tenant_id="tenant", resource_group_key=rg.key, subscription_id="sub",
            resource_group_name="rg", name="shared", location="eastus", registry_id="0" * 32, description="",
            tags={}, etag='"1"', stamp=stamp(now),
            regions=tuple(RegistryRegion(name, i, f"acct{name}", StorageConfig(), f"res-{name}", now)
                          for i, name in enumerate(("eastus", "westus", "eastus2"))),
        )
        with self.deps.uow(write=True) as uow:
            uow.registries.add(self.registry)
            uow.commit()
        owner = registry_owner(self.registry)
        for region in owner.regions:
            self.deps.blobs(region.region).ensure_container(region.account, region.container)
        primary = owner.primary
        self.deps.blobs(primary.region).put_stream(primary.account, primary.container, [DATA])

    def add_version(self, name: str, plan: bool = True) -> str:
        """A registry version, committed with its copy tasks as the asset use case writes them
        (or without, ``plan=False``: the hook was lost)."""
        now = self.clock.now()
        container = AssetContainer(key=f"c-{name}", owner_key=self.registry.key, kind=AssetKind.MODELS, name=name,
                                   description="", tags={}, properties={}, is_archived=False, next_version=2,
                                   etag='"1"', stamp=stamp(now))
        version = AssetVersion(key=f"v-{name}", container_key=container.key, version="1", seq=1, spec={},
                               manifest=(ManifestEntry("model.bin", DIGEST, len(DATA)),), fingerprint="f",
                               description="", tags={}, is_archived=False, etag='"1"', stamp=stamp(now))
        with self.deps.uow(write=True) as uow:
            uow.registry_asset_containers.add_if_missing(container)
            uow.registry_asset_versions.add(version)
            if plan:
                assert self.replication.plan(uow, registry_owner(self.registry), version.key) == 2
            uow.commit()
        return version.key

    def copies(self) -> dict[str, TaskState]:
        with self.deps.uow() as uow:
            tasks = uow.tasks.of_subjects(REPLICATE, [f"v-{n}" for n in ("a", "b")])
        return {t.dedupe_key: t.state for found in tasks.values() for t in found}


@pytest.fixture()
def world() -> World:
    return World()


def test_a_new_version_is_queued_for_every_region_but_the_primary(world: World) -> None:
    key = world.add_version("a")
    assert set(world.copies()) == {copy_key(key, "westus"), copy_key(key, "eastus2")}
    assert world.replication.reconcile() == 0  # nothing is missing


def test_the_reconciler_restores_a_copy_task_deleted_by_hand(world: World) -> None:
    key = world.add_version("a")
    with world.deps.uow(write=True) as uow:
        assert uow.tasks.delete_by_dedupe_keys([copy_key(key, "westus")]) == 1
        uow.commit()
    assert world.replication.reconcile() == 1
    assert world.copies() == {copy_key(key, "westus"): TaskState.PENDING, copy_key(key, "eastus2"): TaskState.PENDING}
    assert world.replication.reconcile() == 0  # idempotent


def test_the_reconciler_queues_copies_of_a_version_whose_hook_was_lost(world: World) -> None:
    queued_key = world.add_version("a")
    lost_key = world.add_version("b", plan=False)
    assert world.replication.reconcile() == 2
    assert set(world.copies()) == {copy_key(k, r) for k in (queued_key, lost_key) for r in ("westus", "eastus2")}


def test_the_reconciler_drops_copies_of_a_removed_region(world: World) -> None:
    key = world.add_version("a")
    smaller = replace(world.registry, regions=world.registry.regions[:2])
    with world.deps.uow(write=True) as uow:
        uow.registries.save(smaller)
        uow.commit()
    assert world.replication.reconcile() == 1
    assert set(world.copies()) == {copy_key(key, "westus")}


def test_running_the_copies_puts_the_blobs_in_each_region(world: World) -> None:
    world.add_version("a")
    assert world.engine.run_next("w1") and world.engine.run_next("w1")
    assert set(world.copies().values()) == {TaskState.SUCCEEDED}
    for region in registry_owner(world.registry).regions:
        store = world.deps.blobs(region.region)
        assert b"".join(store.open_chunks(region.account, region.container, DIGEST)) == DATA


def test_a_region_whose_storage_fails_is_retried_after_a_backoff(world: World) -> None:
    world.add_version("a")
    owner = registry_owner(world.registry)
    westus = owner.region("westus")
    assert westus is not None
    world.deps.blobs("westus").delete_container(westus.account, westus.container)  # the copy fails there
    while world.engine.run_next("w1"):
        pass
    states = world.copies()
    assert sorted(states.values()) == [TaskState.PENDING, TaskState.SUCCEEDED]
    with world.deps.uow() as uow:
        (task,) = [t for t in uow.tasks.of_subjects(REPLICATE, ["v-a"])["v-a"] if t.payload["region"] == "westus"]
    assert task.last_error is not None and "westus" in task.last_error
    world.deps.blobs("westus").ensure_container(westus.account, westus.container)
    assert world.engine.run_next("w1") is False  # waits its backoff
    world.clock.advance(2)
    assert world.engine.run_next("w1")
    assert set(world.copies().values()) == {TaskState.SUCCEEDED}
