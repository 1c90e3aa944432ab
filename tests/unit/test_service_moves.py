"""The move's rules on the in-memory store: a move request's body is judged before any lookup; a
workspace turns Moving in the transaction that accepts the move and answers WorkspaceMoving until
its task commits; the task re-roots it with its associated records and leaves its old ids
resolvable; a destination deleted in between rolls the move back."""

from __future__ import annotations

from typing import Any

import pytest

from amlite.blobs.memory import MemoryBlobStore
from amlite.domain.errors import Conflict, InvalidInput, StorageUnavailable
from amlite.domain.move_ids import move_request, request_from_json, request_json
from amlite.domain.operations import OperationStatus
from amlite.domain.resources import ProvisioningState
from amlite.schemas.arm_resources import ResourceGroupBody, WorkspaceBody
from amlite.services.context import Caller
from amlite.services.identity import IdentityService
from amlite.services.move_storage import MoveStorage
from amlite.services.moves import MoveService
from amlite.services.operations import OperationService
from amlite.services.resource_groups import ResourceGroupService
from amlite.services.storage import StorageProvisioner
from amlite.services.tasks import TaskEngine
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from amlite.services.workspace_scope import require_workspace
from amlite.services.workspaces import WorkspaceService
from tests.unit.memory_world import memory_deps


class World:
    def __init__(self) -> None:
        self.deps = memory_deps()
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
        self.workspaces = WorkspaceService(self.deps, operations, storage)
        self.moves = MoveService(self.deps, operations, MoveStorage(self.deps, self.tasks))
        for group in ("src", "dst"):
            self.groups.create_or_update(self.admin, self.sub, group, ResourceGroupBody.model_validate({"location": "eastus"}))
        self.workspaces.create_or_update(self.admin, self.sub, "src", "ws1", WorkspaceBody.model_validate({"location": "eastus"}))
        self.ws_id = f"/subscriptions/{self.sub}/resourceGroups/src/providers/Microsoft.MachineLearningServices/workspaces/ws1"

    def body(self, target: str = "dst") -> dict[str, Any]:
        return {"resources": [self.ws_id], "targetResourceGroup": f"/subscriptions/{self.sub}/resourceGroups/{target}"}

    def run_tasks(self) -> None:
        while self.tasks.run_next("unit"):
            pass


@pytest.mark.parametrize("body, code", [
    (None, "InvalidRequestContent"),
    ({"resources": "x", "targetResourceGroup": "/subscriptions/s/resourceGroups/g"}, "InvalidRequestContent"),
    ({"resources": ["/subscriptions/s/resourceGroups/src"], "targetResourceGroup": "/subscriptions/s/resourceGroups/g"},
     "InvalidResourceId"),
    ({"resources": ["/subscriptions/s/resourceGroups/src/providers/A.B/c/d"], "targetResourceGroup": "/subscriptions/s/resourceGroups/src"},
     "InvalidTargetResourceGroup"),
])
def test_bad_move_bodies_are_refused_before_any_lookup(body: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        move_request("s", "src", body)
    assert refused.value.code == code


TARGET = "/subscriptions/s/resourceGroups/g"
RESOURCE = "/subscriptions/s/resourceGroups/src/providers/A.B/c/d"
OID, OID2 = "0f5c8a4e-6b9f-4a55-9d1a-9a0b7d9e3a11", "1A2B3C4D-0000-4000-8000-000000000001"


@pytest.mark.parametrize("extra", [
    {"allowRegionChange": "yes"},
    {"allowTenantChange": 1},
    {"principalMap": {OID: OID2}},  # without allowTenantChange
    {"allowTenantChange": True, "principalMap": [OID, OID2]},
    {"allowTenantChange": True, "principalMap": {OID: "not-a-guid"}},
])
def test_bad_opt_ins_are_refused(extra: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        move_request("s", "src", {"resources": [RESOURCE], "targetResourceGroup": TARGET, **extra})
    assert refused.value.code == "InvalidRequestContent"


def test_opt_ins_are_read_and_kept_by_the_operation() -> None:
    req = move_request("s", "src", {"resources": [RESOURCE], "targetResourceGroup": TARGET, "allowRegionChange": True,
                                    "allowTenantChange": True, "principalMap": {OID: OID2}})
    assert req.cross_region and req.cross_tenant and req.principal_map == ((OID, OID2.lower()),)
    assert request_from_json(request_json(req)) == req
    plain = move_request("s", "src", {"resources": [RESOURCE], "targetResourceGroup": TARGET,
                                      "allowRegionChange": None, "principalMap": None})
    assert not plain.cross_region and not plain.cross_tenant and plain.principal_map == ()


def test_a_move_is_unavailable_until_its_task_commits_then_rehomed() -> None:
    world = World()
    op = world.moves.begin_move(world.admin, world.sub, "src", world.body())
    with world.deps.uow() as uow:
        with pytest.raises(Conflict) as moving:
            require_workspace(uow, world.admin, world.sub, "src", "ws1")
        assert moving.value.code == "WorkspaceMoving"
    world.run_tasks()
    with world.deps.uow() as uow:
        assert uow.operations.get(op.id).status is OperationStatus.SUCCEEDED  # type: ignore[union-attr]
        moved = require_workspace(uow, world.admin, world.sub, "dst", "ws1")
        assert moved.provisioning_state is ProvisioningState.SUCCEEDED
        assert {r.resource_group_name for r in uow.resources.of_workspace(moved.key)} == {"dst"}
        assert uow.workspaces.get(world.sub, "src", "ws1") is None
        former = uow.workspaces.by_former_id(world.sub, "SRC", "WS1")
        assert former is not None and former.key == moved.key


def test_a_destination_deleted_before_the_task_runs_rolls_the_move_back() -> None:
    world = World()
    op = world.moves.begin_move(world.admin, world.sub, "src", world.body())
    with world.deps.uow(write=True) as uow:
        target = uow.resource_groups.get(world.sub, "dst")
        assert target is not None
        uow.resource_groups.delete(target.key)
        uow.commit()
    world.run_tasks()
    with world.deps.uow() as uow:
        ended = uow.operations.get(op.id)
        assert ended is not None and ended.status is OperationStatus.FAILED
        assert ended.error_code == "TargetResourceGroupNotFound"
        back = require_workspace(uow, world.admin, world.sub, "src", "ws1")
        assert back.provisioning_state is ProvisioningState.SUCCEEDED
        assert {r.resource_group_name for r in uow.resources.of_workspace(back.key)} == {"src"}


def test_a_refused_move_changes_nothing_and_carries_the_report() -> None:
    world = World()
    op = world.moves.begin_move(world.admin, world.sub, "src", world.body("absent"))
    with world.deps.uow() as uow:
        ended = uow.operations.get(op.id)
        assert ended is not None and ended.status is OperationStatus.FAILED
        assert [b["code"] for b in ended.payload["report"]["blockers"]] == ["TargetResourceGroupNotFound"]
        assert require_workspace(uow, world.admin, world.sub, "src", "ws1").provisioning_state is ProvisioningState.SUCCEEDED


def test_the_source_group_cannot_be_deleted_while_its_workspace_moves() -> None:
    world = World()
    world.moves.begin_move(world.admin, world.sub, "src", world.body())
    with pytest.raises(Conflict) as refused:
        world.groups.begin_delete(world.admin, world.sub, "src", ["Microsoft.MachineLearningServices/workspaces"])
    assert refused.value.code == "WorkspaceMoving"
    world.run_tasks()
    with world.deps.uow() as uow:
        assert uow.workspaces.get(world.sub, "dst", "ws1") is not None


class RefusingStore(MemoryBlobStore):
    """A region whose storage takes the first copied blob, then refuses (unreachable)."""

    def copy_blob(self, source: Any, src_account: str, src_container: str, dst_account: str, dst_container: str,
                  sha256: str) -> Any:
        if any(True for c in self.list_containers(dst_account) for _ in self.list_blobs(dst_account, c)):
            raise StorageUnavailable("StorageUnavailable", "westus storage is unreachable")
        return super().copy_blob(source, src_account, src_container, dst_account, dst_container, sha256)


def test_a_copy_that_fails_rolls_a_cross_region_move_back_and_discards_the_partial_copy() -> None:
    world = World()
    world.deps.blob_stores["westus"] = RefusingStore("westus")
    world.groups.create_or_update(world.admin, world.sub, "west", ResourceGroupBody.model_validate({"location": "westus"}))
    with world.deps.uow() as uow:
        ws = require_workspace(uow, world.admin, world.sub, "src", "ws1")
        [storage] = [r for r in uow.resources.of_workspace(ws.key) if r.type == "storageAccounts"]
        container = next(ds.container_name for ds in uow.datastores.of_workspace(ws.key) if ds.is_default)
    east = world.deps.blobs("eastus")
    for data in (b"one", b"two", b"three"):
        east.put_stream(storage.name, container, iter([data]))

    op = world.moves.begin_move(world.admin, world.sub, "src", {**world.body("west"), "allowRegionChange": True})
    world.run_tasks()
    with world.deps.uow() as uow:
        ended = uow.operations.get(op.id)
        assert ended is not None and ended.status is OperationStatus.FAILED
        assert ended.error_code == "MoveStorageCopyFailed" and "unreachable" in (ended.error_message or "")
        back = require_workspace(uow, world.admin, world.sub, "src", "ws1")
        assert back.location == "eastus" and back.provisioning_state is ProvisioningState.SUCCEEDED
    assert storage.name not in list(world.deps.blobs("westus").list_accounts())
    assert len(list(east.list_blobs(storage.name, container))) == 3
