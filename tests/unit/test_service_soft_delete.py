"""Soft delete on the in-memory store with a fake clock: a deleted workspace or registry is
hidden and recoverable until its retention ends; then the reconciler's pass starts its purge, an
operation of the one task engine, which frees the name. Nothing is purged a second early, and a
recovered one is never purged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amlite.domain.errors import InvalidInput, Conflict, NotFound
from amlite.schemas.arm_resources import RegistryBody, ResourceGroupBody, WorkspaceBody
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, FakeClock
from amlite.services.identity import IdentityService
from amlite.services.operations import OperationService
from amlite.services.registries import RegistryService
from amlite.services.resource_groups import ResourceGroupService
from amlite.services.storage import StorageProvisioner
from amlite.services.tasks import TaskEngine
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from amlite.services.workspaces import WorkspaceService
from amlite.worker.reconciler import Reconciler
from tests.unit.memory_world import memory_deps

RETENTION = timedelta(days=14)
DAY = 24 * 3600.0


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.deps = memory_deps(self.clock)
        identity = IdentityService(self.deps, TokenService(SigningKey(new_private_key_pem()), self.deps.endpoint))
        first = identity.initialize()
        assert first is not None
        with self.deps.uow() as uow:
            admin = uow.principals.by_user_principal_name(first.tenant_id, first.username)
        assert admin is not None
        self.admin = Caller(first.tenant_id, admin.id, admin.display_name, "User")
        self.sub = first.subscription_id
        self.tasks = TaskEngine(self.deps)
        operations = OperationService(self.deps, self.tasks)
        storage = StorageProvisioner(self.deps)
        self.groups = ResourceGroupService(self.deps, operations, storage)
        self.workspaces = WorkspaceService(self.deps, operations, storage, retention=RETENTION)
        self.registries = RegistryService(self.deps, operations, storage, Authorizer(self.deps), RETENTION)
        self.reconciler = Reconciler([self.workspaces.purge_expired, self.registries.purge_expired])
        for group in ("rg-a", "rg-b"):
            self.groups.create_or_update(self.admin, self.sub, group, ResourceGroupBody.model_validate({"location": "eastus"}))

    def workspace(self, name: str, group: str = "rg-a") -> str:
        view, _ = self.workspaces.create_or_update(self.admin, self.sub, group, name,
                                                   WorkspaceBody.model_validate({"location": "eastus"}))
        return view.workspace.workspace_id

    def run_tasks(self) -> None:
        while self.tasks.run_next("test"):
            pass

    def delete(self, name: str, purge: bool = False) -> None:
        self.workspaces.begin_delete(self.admin, self.sub, "rg-a", name, purge=purge)
        self.run_tasks()


@pytest.fixture
def world() -> World:
    return World()


def test_a_deleted_workspace_is_purged_by_the_reconciler_when_its_retention_ends(world: World) -> None:
    ws_id = world.workspace("ws-one")
    world.delete("ws-one")
    with pytest.raises(NotFound):
        world.workspaces.get(world.admin, world.sub, "rg-a", "ws-one")
    assert world.workspaces.list_in_group(world.admin, world.sub, "rg-a", 0, 10).items == []
    (deleted,) = world.workspaces.list_deleted(world.admin, world.sub, 0, 10).items
    assert deleted.workspace.soft_delete is not None
    assert deleted.workspace.soft_delete.purge_at == world.clock.now() + RETENTION
    world.clock.advance(RETENTION.total_seconds() - 1)
    assert world.reconciler.run_once() == 0
    world.run_tasks()
    assert world.workspaces.list_deleted(world.admin, world.sub, 0, 10).items  # still recoverable
    world.clock.advance(1)
    assert world.reconciler.run_once() == 1
    assert world.reconciler.run_once() == 0  # already being purged: not started twice
    world.run_tasks()
    assert world.workspaces.list_deleted(world.admin, world.sub, 0, 10).items == []
    with world.deps.uow() as uow:
        assert uow.workspaces.any_by_key(deleted.workspace.key) is None
        assert uow.operations.open_for_target(deleted.workspace.key) is None
    assert world.workspace("ws-one") != ws_id  # the name is free: a new workspace


def test_a_recovered_workspace_is_never_purged(world: World) -> None:
    ws_id = world.workspace("ws-two")
    world.delete("ws-two")
    world.clock.advance(DAY)
    view = world.workspaces.recover(world.admin, world.sub, "rg-a", "ws-two")
    assert view.workspace.workspace_id == ws_id and view.workspace.soft_delete is None
    world.clock.advance(30 * DAY)
    assert world.reconciler.run_once() == 0
    assert world.workspaces.get(world.admin, world.sub, "rg-a", "ws-two").workspace.workspace_id == ws_id


def test_the_name_is_reserved_in_its_group_and_recreate_there_recovers(world: World) -> None:
    ws_id = world.workspace("ws-three")
    world.delete("ws-three")
    with pytest.raises(InvalidInput) as refused:  # another region: Azure's "purge or recover it"
        world.workspaces.create_or_update(world.admin, world.sub, "rg-a", "ws-three",
                                          WorkspaceBody.model_validate({"location": "westus"}))
    assert refused.value.code == "BadRequest"
    assert world.workspace("ws-three", group="rg-b") != ws_id  # names are unique per group
    assert world.workspace("ws-three") == ws_id


def test_purge_on_demand_and_no_recovery_while_purging(world: World) -> None:
    world.workspace("ws-four")
    world.delete("ws-four")
    world.workspaces.begin_delete(world.admin, world.sub, "rg-a", "ws-four", purge=True)
    with pytest.raises(Conflict):  # the purge is queued: too late to recover
        world.workspaces.recover(world.admin, world.sub, "rg-a", "ws-four")
    world.run_tasks()
    with pytest.raises(NotFound):
        world.workspaces.recover(world.admin, world.sub, "rg-a", "ws-four")


def test_a_deleted_registry_is_purged_when_its_retention_ends(world: World) -> None:
    body = RegistryBody.model_validate({"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}})
    reg, _ = world.registries.create_or_update(world.admin, world.sub, "rg-a", "reg-one", body)
    world.registries.begin_delete(world.admin, world.sub, "rg-a", "reg-one")
    world.run_tasks()
    with pytest.raises(NotFound):
        world.registries.get(world.admin, world.sub, "rg-a", "reg-one")
    with pytest.raises(Conflict):  # the name stays the tenant's
        world.registries.create_or_update(world.admin, world.sub, "rg-b", "reg-one", body)
    world.clock.advance(RETENTION.total_seconds())
    assert world.reconciler.run_once() == 1
    world.run_tasks()
    assert world.registries.list_deleted(world.admin, world.sub, 0, 10).items == []
    again, created = world.registries.create_or_update(world.admin, world.sub, "rg-b", "reg-one", body)
    assert created and again.registry_id != reg.registry_id


def test_a_deleted_version_is_purged_when_its_retention_ends() -> None:
    from amlite.domain.assets import AssetKind
    from amlite.services.assets import AssetPath
    from tests.unit.test_service_assets import World as AssetWorld

    world = AssetWorld()
    world.workspace("rg-a", "ws-a")
    world.put("rg-a", "ws-a", "1")
    world.put("rg-a", "ws-a", "2", description="two")
    at = AssetPath(world.sub, "rg-a", "ws-a", AssetKind.MODELS, "sentiment")
    world.assets.delete_version(world.admin, at, "2")
    assert world.versions("rg-a", "ws-a") == ["1"]
    clock = world.deps.clock
    assert isinstance(clock, FakeClock)
    clock.advance(RETENTION.total_seconds() - 1)
    assert world.assets.purge_expired() == 0
    assert world.assets.recover_version(world.admin, at, "2").version.version == "2"
    world.assets.delete_version(world.admin, at, "2")
    clock.advance(RETENTION.total_seconds())
    assert Reconciler([world.assets.purge_expired]).run_once() == 1
    with pytest.raises(NotFound):
        world.assets.recover_version(world.admin, at, "2")
    assert world.versions("rg-a", "ws-a") == ["1"]
