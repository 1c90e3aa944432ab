"""The job runner's port on computes (``ComputeService.acquire_slot``/``renew_slot``/``release_slot``)
on the in-memory store with a fake clock: a cluster of max 2 nodes runs at most 2 jobs at once, a
lease that runs out frees its node, and a compute that cannot run jobs says so."""

from __future__ import annotations

from dataclasses import replace

import pytest

from amlite.domain.computes import Compute, ComputeType, PowerAction
from amlite.domain.errors import Conflict, NotFound
from amlite.domain.resources import Workspace, WorkspaceKind
from amlite.domain.vm_sizes import find_vm_size
from amlite.services.computes import ComputeService
from amlite.services.context import Deps, FakeClock
from amlite.services.operations import OperationService
from amlite.services.tasks import TaskEngine
from tests.unit.memory_world import memory_deps, resource_group, stamp

SUB = "00000000-0000-0000-0000-000000000001"


def world(kind: ComputeType = ComputeType.AML_COMPUTE, max_nodes: int = 2) -> tuple[Deps, FakeClock, ComputeService, Compute]:
    clock = FakeClock()
    deps = memory_deps(clock)
    service = ComputeService(deps, OperationService(deps, TaskEngine(deps)))
    rg = resource_group(deps, SUB, "rg")
    ws = Workspace(key="ws-1", resource_group_key=rg.key, subscription_id=SUB, resource_group_name="rg", name="ws1",
                   kind=WorkspaceKind.DEFAULT, location="eastus", workspace_id="wid", tags={}, etag='"1"',
                   stamp=stamp(clock.now()))
    size = find_vm_size("Standard_DS3_v2")
    assert size is not None
    compute = Compute(key="c-1", workspace_key=ws.key, name="cpu", compute_type=kind, location="eastus", vm_size=size,
                      stamp=stamp(clock.now()), max_nodes=max_nodes).provisioned(clock.now())
    with deps.uow(write=True) as uow:
        uow.workspaces.add(ws)
        uow.computes.add(compute)
        uow.commit()
    return deps, clock, service, compute


def test_a_cluster_of_two_nodes_runs_two_jobs_at_once() -> None:
    _, _, service, _ = world(max_nodes=2)
    first = service.acquire_slot("ws-1", "cpu", "job-a")
    second = service.acquire_slot("ws-1", "CPU", "job-b")
    assert first is not None and second is not None and {first.index, second.index} == {0, 1}
    assert service.acquire_slot("ws-1", "cpu", "job-c") is None
    service.release_slot(first)
    service.release_slot(first)  # idempotent
    third = service.acquire_slot("ws-1", "cpu", "job-c")
    assert third is not None and third.index == first.index


def test_a_lease_that_runs_out_frees_the_node_and_its_holder_learns_it_lost_it() -> None:
    _, clock, service, _ = world(max_nodes=1)
    held = service.acquire_slot("ws-1", "cpu", "job-a")
    assert held is not None
    clock.advance(30)
    renewed = service.renew_slot(held)
    assert renewed is not None and renewed.expires_at > held.expires_at
    clock.advance(61)  # the holder died: no renewal
    taker = service.acquire_slot("ws-1", "cpu", "job-b")
    assert taker is not None and taker.index == 0
    assert service.renew_slot(held) is None
    service.release_slot(held)  # the lost holder's release leaves the new holder alone
    assert service.acquire_slot("ws-1", "cpu", "job-c") is None


def test_a_stopped_instance_refuses_and_a_deleted_compute_is_lost() -> None:
    deps, clock, service, compute = world(ComputeType.COMPUTE_INSTANCE)
    held = service.acquire_slot("ws-1", "cpu", "job-a")
    assert held is not None and service.acquire_slot("ws-1", "cpu", "job-b") is None
    with deps.uow(write=True) as uow:
        uow.computes.save(compute.powering(PowerAction.STOP).powered(PowerAction.STOP, clock.now()))
        uow.commit()
    assert service.renew_slot(held) is None
    with pytest.raises(Conflict, match="Stopped"):
        service.acquire_slot("ws-1", "cpu", "job-b")
    with deps.uow(write=True) as uow:
        uow.computes.delete(compute.key)
        uow.commit()
    with pytest.raises(NotFound):
        service.acquire_slot("ws-1", "cpu", "job-b")


def test_a_compute_still_creating_asks_the_runner_to_wait() -> None:
    deps, _, service, compute = world()
    with deps.uow(write=True) as uow:
        uow.computes.save(replace(compute, provisioning_state=type(compute.provisioning_state)("Creating")))
        uow.commit()
    assert service.acquire_slot("ws-1", "cpu", "job-a") is None


def test_removing_the_workspace_removes_its_computes_and_slots() -> None:
    deps, _, service, _ = world()
    assert service.acquire_slot("ws-1", "cpu", "job-a") is not None
    with deps.uow(write=True) as uow:
        uow.workspaces.delete("ws-1")
        uow.commit()
    with deps.uow() as uow:
        assert uow.computes.by_key("c-1") is None and uow.node_slots.of_compute("c-1") == []
    assert service.release_all_slots() == 0
