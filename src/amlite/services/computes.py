"""Compute use cases: create (long-running, under the vCPU quota), read, list, start, stop, restart,
delete (long-running), list nodes, VM sizes, usage and quotas; and the node slots the job runner
holds on a compute (``acquire_slot``/``renew_slot``/``release_slot``, see docs/computes.md).

A create writes the compute (``Creating``) and its operation in one transaction, after checking
the subscription's quota in the region under a lock that serializes every quota decision there
(``Computes.lock_quota``), then the workspace-level limit of its balance (a project's hub's, see
services/workspace_quotas.py) under that workspace's lock, so two creates racing for the last
vCPUs cannot both pass. The
operation's task (the one task engine) ends the creation: ``Succeeded``, and an instance
``Running``. Start, stop, restart and delete go the same way: the state that announces the work
and its operation are committed together, and the handler ends both in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from amlite.domain.computes import (
    Compute,
    ComputeProvisioningState,
    ComputeType,
    InstanceState,
    NodeSlot,
    PowerAction,
    QuotaLimits,
    TOTAL,
    check_compute_name,
    check_quota,
    free_slot,
    node_id,
)
from amlite.domain.errors import Conflict, InvalidInput, NotFound, invalid
from amlite.domain.hubs import byo_vnet_refused, compute_cluster_refused, in_hub_family
from amlite.domain.operations import Operation, OperationKind
from amlite.domain.paging import Page
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.resources import AuditStamp, Workspace
from amlite.domain.vm_sizes import VM_SIZES, VmSize, families, family_display_name
from amlite.ports import RayJobs, UnitOfWork
from amlite.schemas.arm_computes import ComputeBody, QuotaUpdateBody
from amlite.services import workspace_quotas
from amlite.services.audit import record_write
from amlite.services.compute_requests import ComputeRequest, parse_compute
from amlite.services.context import Caller, Deps
from amlite.services.hubs import find_compute
from amlite.services.operations import OperationService
from amlite.services.subscriptions import require_subscription
from amlite.services.workspace_quotas import QuotaEntryResult, WorkspaceQuota, check_balance
from amlite.services.workspace_scope import require_workspace, writable

#: How long a job's hold on a node lasts unless its holder renews it.
DEFAULT_SLOT_LEASE = timedelta(seconds=60)

_POWER_KINDS = {PowerAction.START: OperationKind.START_COMPUTE, PowerAction.STOP: OperationKind.STOP_COMPUTE,
                PowerAction.RESTART: OperationKind.RESTART_COMPUTE}


@dataclass(frozen=True)
class ComputeView:
    """A compute with its workspace (for its ARM id) and how many of its nodes run jobs now."""

    workspace: Workspace
    compute: Compute
    busy_nodes: int = 0

    @property
    def arm_id(self) -> str:
        return f"{self.workspace.arm_id}/computes/{self.compute.name}"

    @property
    def current_nodes(self) -> int:
        """A cluster keeps ``min_nodes`` up and adds a node per running job (scale-down is at once:
        amlite's nodes cost nothing idle)."""
        return max(self.compute.min_nodes, self.busy_nodes) if self.compute.slot_count else 0


@dataclass(frozen=True)
class ComputeNode:
    node_id: str
    state: str  # Azure's nodeState: idle, running
    run_id: str | None
    private_ip_address: str


@dataclass(frozen=True)
class UsageLine:
    """One line of ``locations/{loc}/usages``: a family's (or the region's total) vCPUs used and allowed."""

    name: str
    display_name: str
    current: int
    limit: int
    is_total: bool = False


class ComputeService:
    def __init__(self, deps: Deps, operations: OperationService, quota: QuotaLimits | None = None,
                 slot_lease: timedelta = DEFAULT_SLOT_LEASE, ray: RayJobs | None = None) -> None:
        self._deps = deps
        self._ray = ray
        self._ops = operations
        self._quota = quota or QuotaLimits()
        self._slot_lease = slot_lease
        operations.register(OperationKind.CREATE_COMPUTE, self._run_create)
        operations.register(OperationKind.DELETE_COMPUTE, self._run_delete)
        for action, kind in _POWER_KINDS.items():
            operations.register(kind, lambda op, a=action: self._run_power(op, a))  # type: ignore[misc]

    @property
    def quota(self) -> QuotaLimits:
        return self._quota

    @property
    def slot_lease(self) -> timedelta:
        """How long a node slot is held without renewal (holders renew every third of it)."""
        return self._slot_lease

    # -- create / update -----------------------------------------------------------------------------

    def create_or_update(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                         body: ComputeBody) -> tuple[ComputeView, Operation | None]:
        """A new compute (``Creating``, with the operation that ends its creation) or an update of an
        existing one (description, tags, a cluster's scale settings; no operation)."""
        with self._deps.uow() as uow:  # a missing workspace is 404 before the body is judged
            target = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            location = target.location
        if in_hub_family(target):
            _support_matrix(target, body)
        req = parse_compute(body, location)
        check_compute_name(name, req.compute_type)
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            existing = uow.computes.get(ws.key, name)
            if existing is not None:
                updated = self._updated(uow, caller, ws, existing, req)
                uow.computes.save(updated)
                view = ComputeView(ws, updated, _busy(uow, updated, d))
                record_write(d, uow, caller, scope=view.arm_id)
                uow.commit()
                return view, None
            uow.computes.lock_quota(ws.subscription_id, ws.location)
            more = req.vm_size.vcpus * (1 if req.compute_type.value == "ComputeInstance" else req.max_nodes)
            try:
                check_quota(self._quota, uow.computes.usage(ws.subscription_id, ws.location), req.vm_size.family,
                            more, ws.location)
            except InvalidInput as exc:
                raise _hub_quota(uow, ws, exc) from None
            check_balance(uow, ws, req.vm_size.family, more)
            now = d.clock.now()
            compute = Compute(
                key=d.ids.new_id(), workspace_key=ws.key, name=name, compute_type=req.compute_type,
                location=ws.location, vm_size=req.vm_size,
                stamp=AuditStamp(caller.name, caller.stamp_type, now, caller.name, caller.stamp_type, now),
                min_nodes=req.min_nodes, max_nodes=req.max_nodes, tier=req.tier, idle_seconds=req.idle_seconds,
                description=req.description, tags=req.tags, settings=req.settings,
                state=InstanceState.CREATING if req.compute_type.value == "ComputeInstance" else None,
            )
            uow.computes.add(compute)
            view = ComputeView(ws, compute)
            op = self._ops.new(uow, kind=OperationKind.CREATE_COMPUTE, caller=caller, subscription_id=ws.subscription_id,
                               namespace=ML_NAMESPACE, location=ws.location, target_id=view.arm_id,
                               target_key=compute.key)
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return view, op

    def _updated(self, uow: UnitOfWork, caller: Caller, ws: Workspace, c: Compute, req: ComputeRequest) -> Compute:
        if req.compute_type is not c.compute_type:
            raise Conflict("ComputeTypeCannotChange",
                           f"Compute '{c.name}' is a {c.compute_type.value}; its type cannot change.")
        if c.is_ray and req.settings.get("address") != c.ray_address:
            raise invalid("PropertyCannotBeUpdated", f"Compute '{c.name}' is attached to the Ray cluster at "
                          f"{c.ray_address} and cannot change cluster; create another compute.",
                          "properties.properties.address")
        if req.vm_size.name != c.vm_size.name:
            raise invalid("PropertyCannotBeUpdated", f"The VM size of compute '{c.name}' is '{c.vm_size.name}' and "
                          "cannot change; create another compute.", "properties.properties.vmSize")
        if req.tier != c.tier:
            raise invalid("PropertyCannotBeUpdated", f"The VM priority of compute '{c.name}' is '{c.tier}' and cannot "
                          "change.", "properties.properties.vmPriority")
        if c.provisioning_state is not ComputeProvisioningState.SUCCEEDED:
            raise Conflict("ComputeBusy", f"Compute '{c.name}' is {c.provisioning_state.value} and cannot be updated.")
        more = c.vm_size.vcpus * (req.max_nodes - c.max_nodes) if not c.is_instance else 0
        if more > 0:
            uow.computes.lock_quota(ws.subscription_id, ws.location)
            check_quota(self._quota, uow.computes.usage(ws.subscription_id, ws.location), c.family, more, ws.location)
            check_balance(uow, ws, c.family, more)
        d = self._deps
        scaled = c if c.is_instance else c.scaled(req.min_nodes, req.max_nodes, req.idle_seconds)
        return replace(scaled, description=req.description, tags=req.tags, settings=req.settings,
                       stamp=c.stamp.touched(caller.name, caller.stamp_type, d.clock.now()))

    # -- read --------------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> ComputeView:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            compute = _require(uow, ws, name)
            return ComputeView(ws, compute, _busy(uow, compute, self._deps))

    def list_nodes(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> list[ComputeNode]:
        """The compute's nodes: one per running job, then idle ones up to ``min_nodes``."""
        d = self._deps
        with d.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            compute = _require(uow, ws, name)
            live = [s for s in uow.node_slots.of_compute(compute.key) if s.live(d.clock.now())]
        nodes = [ComputeNode(s.node_id, "running", s.holder, _ip(s.index)) for s in live]
        taken = {s.index for s in live}
        idle = (i for i in range(compute.slot_count) if i not in taken)
        for index in idle:
            if len(nodes) >= max(compute.min_nodes, len(live)) and not compute.is_instance:
                break
            if compute.is_instance and nodes:
                break
            nodes.append(ComputeNode(node_id(compute.key, index), "idle", None, _ip(index)))
        return nodes

    # -- delete, start, stop, restart ----------------------------------------------------------------

    def begin_delete(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str) -> Operation | None:
        """The delete's operation, or None when there is no such compute (ARM answers 204)."""
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            compute = uow.computes.get(ws.key, name)
            if compute is None:
                return None
            view = ComputeView(ws, compute)
            uow.computes.save(compute.deleting())
            op = self._ops.new(uow, kind=OperationKind.DELETE_COMPUTE, caller=caller, subscription_id=ws.subscription_id,
                               namespace=ML_NAMESPACE, location=ws.location, target_id=view.arm_id,
                               target_key=compute.key)
            record_write(d, uow, caller, scope=view.arm_id)
            uow.commit()
        return op

    def begin_power(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, name: str,
                    action: PowerAction) -> Operation:
        """Start, stop or restart a compute instance (long-running); a 409 in a state that forbids it."""
        d = self._deps
        with d.uow(write=True) as uow:
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
            compute = _require(uow, ws, name)
            view = ComputeView(ws, compute)
            uow.computes.save(compute.powering(action))
            op = self._ops.new(uow, kind=_POWER_KINDS[action], caller=caller, subscription_id=ws.subscription_id,
                               namespace=ML_NAMESPACE, location=ws.location, target_id=view.arm_id,
                               target_key=compute.key)
            record_write(d, uow, caller, scope=view.arm_id, action=_POWER_KINDS[action].action)
            uow.commit()
        return op

    # -- the operations' handlers (idempotent: a rerun after a crash finds the work done) -------------

    def _run_create(self, op: Operation) -> None:
        """The compute is ready; a Ray compute only once its cluster answers (else it is Failed, saying why)."""
        d = self._deps
        with d.uow() as uow:
            found = uow.computes.by_key(op.target_key)
        unreachable = self._probe(found.ray_address) if found is not None and found.is_ray else None
        with d.uow(write=True) as uow:
            compute = uow.computes.by_key(op.target_key)
            if compute is not None and unreachable:
                if compute.provisioning_state is ComputeProvisioningState.CREATING:
                    uow.computes.save(compute.creation_failed("RayClusterUnreachable", unreachable))
            elif compute is not None:
                uow.computes.save(compute.provisioned(d.clock.now()))
            self._ops.finish(uow, op.id)
            uow.commit()

    def _probe(self, address: str) -> str | None:
        if self._ray is None:
            return "This server has no Ray client configured."
        return self._ray.probe(address)

    def _run_delete(self, op: Operation) -> None:
        with self._deps.uow(write=True) as uow:
            if uow.computes.by_key(op.target_key) is not None:
                uow.computes.delete(op.target_key)  # its node slots go with it
            self._ops.finish(uow, op.id)
            uow.commit()

    def _run_power(self, op: Operation, action: PowerAction) -> None:
        d = self._deps
        with d.uow(write=True) as uow:
            compute = uow.computes.by_key(op.target_key)
            if compute is not None:
                uow.computes.save(compute.powered(action, d.clock.now()))
            self._ops.finish(uow, op.id)
            uow.commit()

    # -- sizes, usage, quotas ----------------------------------------------------------------------

    def list_sizes(self, caller: Caller, sub_id: str, location: str) -> list[VmSize]:
        self._location(caller, sub_id, location)
        return list(VM_SIZES)

    def list_usage(self, caller: Caller, sub_id: str, location: str) -> tuple[str, list[UsageLine]]:
        """The region's name and, first, its total, then every family's vCPUs in use and allowed."""
        sub, region = self._location(caller, sub_id, location)
        with self._deps.uow() as uow:
            usage = uow.computes.usage(sub, region)
        lines = [UsageLine("TotalCores", TOTAL, sum(usage.values()), self._quota.total_vcpus, is_total=True)]
        for family in dict.fromkeys([*families(), *usage]):
            lines.append(UsageLine(family, family_display_name(family), usage.get(family, 0),
                                   self._quota.limit_for(family)))
        return region, lines

    def update_quotas(self, caller: Caller, sub_id: str, location: str,
                      body: QuotaUpdateBody) -> list[QuotaEntryResult]:
        """Workspace-level limits (``updateQuotas``), judged against the subscription's (services/workspace_quotas.py)."""
        return workspace_quotas.update(self._deps, self._quota, caller, sub_id, location, body)

    def list_workspace_quotas(self, caller: Caller, sub_id: str, location: str) -> list[WorkspaceQuota]:
        return workspace_quotas.list_in(self._deps, caller, sub_id, location)

    def _location(self, caller: Caller, sub_id: str, location: str) -> tuple[str, str]:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
        return sub.id, self._deps.regions.resolve(location).name

    # -- node slots: the job runner's port (docs/computes.md) ----------------------------------------

    def acquire_slot(self, workspace_key: str, compute_name: str, holder: str,
                     lease: timedelta | None = None) -> NodeSlot | None:
        """Hold one free node of the compute for ``holder`` (a job) until the lease runs out; None
        while every node is busy or the compute is still coming up (``Creating``, an instance
        ``Starting``/``Restarting``): wait and ask again. A compute that cannot run jobs (being
        deleted, failed, a stopped instance) or does not exist raises."""
        d = self._deps
        with d.uow(write=True) as uow:
            found = find_compute(uow, workspace_key, compute_name)
            compute = uow.computes.lock(found.key) if found is not None else None
            if compute is None:
                raise NotFound("ComputeNotFound", f"The compute '{compute_name}' does not exist in the workspace.")
            _require_usable(compute)
            now = d.clock.now()
            uow.node_slots.delete_expired(compute.key, now)
            index = free_slot(compute, uow.node_slots.of_compute(compute.key), now)
            if index is None:
                return None
            slot = NodeSlot(key=d.ids.new_id(), compute_key=compute.key, index=index, holder=holder, acquired_at=now,
                            expires_at=now + (lease or self._slot_lease))
            uow.node_slots.add(slot)
            uow.commit()
        return slot

    def renew_slot(self, slot: NodeSlot, lease: timedelta | None = None) -> NodeSlot | None:
        """Extend the hold; None when it is lost (its lease ran out and the node went to another job,
        the compute was deleted, stopped or scaled below it): the holder should stop its work."""
        d = self._deps
        with d.uow(write=True) as uow:
            current = uow.node_slots.get(slot.key)
            compute = uow.computes.by_key(slot.compute_key)
            now = d.clock.now()
            if current is None or current.holder != slot.holder or compute is None \
                    or current.index >= compute.slot_count:
                if current is not None and current.holder == slot.holder:
                    uow.node_slots.delete(current.key)
                    uow.commit()
                return None
            renewed = current.renewed(now, lease or self._slot_lease)
            uow.node_slots.save(renewed)
            uow.commit()
        return renewed

    def release_slot(self, slot: NodeSlot) -> None:
        """Give the node back; idempotent (a slot already lost or released is left alone)."""
        with self._deps.uow(write=True) as uow:
            current = uow.node_slots.get(slot.key)
            if current is not None and current.holder == slot.holder:
                uow.node_slots.delete(slot.key)
                uow.commit()

    def release_slots_of(self, workspace_key: str, compute_name: str, holder: str) -> int:
        """Free every node ``holder`` holds on the compute: a job found interrupted (its server died)
        gives its node back at once rather than when the lease runs out."""
        with self._deps.uow(write=True) as uow:
            compute = find_compute(uow, workspace_key, compute_name)
            held = [s for s in uow.node_slots.of_compute(compute.key) if s.holder == holder] if compute else []
            for slot in held:
                uow.node_slots.delete(slot.key)
            uow.commit()
        return len(held)

    def release_all_slots(self) -> int:
        """At start on SQLite (one server per file): every held node is a dead process's."""
        with self._deps.uow(write=True) as uow:
            released = uow.node_slots.release_all()
            uow.commit()
        return released


    # Last: below it, ``list[...]`` in the class body would name this method.
    def list(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, offset: int,
             limit: int) -> Page[ComputeView]:
        with self._deps.uow() as uow:
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            found = uow.computes.list(ws.key, offset, limit)
            return Page([ComputeView(ws, c, _busy(uow, c, self._deps)) for c in found.items], found.more)


def _hub_quota(uow: UnitOfWork, ws: Workspace, exc: InvalidInput) -> InvalidInput:
    """A hub's and its projects' computes draw on the hub's balance: the refusal says so."""
    hub = uow.workspaces.by_key(ws.hub_key) if ws.hub_key else ws if in_hub_family(ws) else None
    if hub is None:
        return exc
    return InvalidInput(exc.code, f"{exc.message} The computes of hub '{hub.name}' and its projects draw on the "
                        "hub's balance.", exc.target)


def _support_matrix(ws: Workspace, body: ComputeBody) -> None:
    """What a hub or project refuses: compute clusters (serverless instead) and bring-your-own
    virtual networks (the hub's managed network instead)."""
    kind = ComputeType.parse(body.properties.compute_type or "")
    if kind is ComputeType.AML_COMPUTE:
        raise compute_cluster_refused(ws)
    extra = body.properties.properties.model_extra or {}
    if extra.get("subnet") not in (None, "", {}):
        raise byo_vnet_refused(ws)


def _require(uow: UnitOfWork, ws: Workspace, name: str) -> Compute:
    compute = uow.computes.get(ws.key, name)
    if compute is None:
        raise NotFound("ResourceNotFound", f"The compute '{name}' does not exist in workspace '{ws.name}'.")
    return compute


def _require_usable(compute: Compute) -> None:
    waiting = compute.provisioning_state is ComputeProvisioningState.CREATING or compute.state in (
        InstanceState.STARTING, InstanceState.RESTARTING)
    if waiting or compute.slot_count:
        return
    state = compute.state.value if compute.is_instance and compute.state else compute.provisioning_state.value
    raise Conflict("ComputeNotAvailable", f"Compute '{compute.name}' is {state} and cannot run jobs.")


def _busy(uow: UnitOfWork, compute: Compute, deps: Deps) -> int:
    now = deps.clock.now()
    return sum(1 for s in uow.node_slots.of_compute(compute.key) if s.live(now))


def _ip(index: int) -> str:
    return f"10.0.{index // 250}.{index % 250 + 4}"
