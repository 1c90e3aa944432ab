"""Repositories for computes and the node slots jobs hold on them.

A compute stores its size's name with the family and vCPUs it reserves, so that a subscription's
usage in a region is one query. Two creates racing for the last vCPUs must not both pass: on
SQLite every writer holds the database (``BEGIN IMMEDIATE``); on PostgreSQL ``lock_quota`` takes a
transaction-scoped advisory lock on (subscription, region) before the usage is read (and
``lock_workspace_quota`` one on the workspace whose own limit applies, a project's hub), and
``lock`` takes a compute's row (``FOR UPDATE``) before its slots are counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from amlite.domain.computes import (
    Compute,
    ComputeProvisioningState,
    ComputeType,
    InstanceState,
    NodeSlot,
)
from amlite.domain.paging import Page
from amlite.domain.vm_sizes import VmSize, find_vm_size
from amlite.store import tables as t
from amlite.store.resource_repos import paged, stamp_of, stamp_values

_c = t.computes
_s = t.compute_node_slots
_ws = t.workspaces
_rg = t.resource_groups
_q = t.workspace_quotas


def quota_lock_key(sub_id: str, location: str) -> int:
    """A signed 63-bit advisory lock key for one subscription's quota in one region."""
    digest = hashlib.sha256(f"quota:{sub_id.lower()}:{location.lower()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def workspace_quota_lock_key(ws_key: str) -> int:
    """A signed 63-bit advisory lock key for one workspace's own quota (a hub's: its projects' too)."""
    digest = hashlib.sha256(f"workspace-quota:{ws_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class ComputeRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, c: Compute) -> None:
        self._conn.execute(_c.insert().values(key=c.key, **_values(c)))

    def save(self, c: Compute) -> None:
        self._conn.execute(_c.update().where(_c.c.key == c.key).values(**_values(c)))

    def get(self, ws_key: str, name: str) -> Compute | None:
        row = self._conn.execute(sa.select(_c).where(_c.c.workspace_key == ws_key, _c.c.name_lower == name.lower())).first()
        return _compute(row) if row else None

    def by_key(self, key: str) -> Compute | None:
        row = self._conn.execute(sa.select(_c).where(_c.c.key == key)).first()
        return _compute(row) if row else None

    def lock(self, key: str) -> Compute | None:
        """The compute, its row locked to the end of the transaction (PostgreSQL; SQLite's writer
        holds the whole database already)."""
        row = self._conn.execute(sa.select(_c).where(_c.c.key == key).with_for_update()).first()
        return _compute(row) if row else None

    def lock_quota(self, sub_id: str, location: str) -> None:
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": quota_lock_key(sub_id, location)})

    def usage(self, sub_id: str, location: str) -> dict[str, int]:
        """vCPUs reserved by the subscription's computes in the region, by family."""
        query = (sa.select(_c.c.family, _c.c.vcpus, _c.c.max_nodes, _c.c.compute_type, _c.c.provisioning_state)
                 .select_from(_c.join(_ws, _ws.c.key == _c.c.workspace_key).join(_rg, _rg.c.key == _ws.c.resource_group_key))
                 .where(_rg.c.subscription_id == sub_id.lower(), sa.func.lower(_c.c.location) == location.lower()))
        return _reserved(self._conn.execute(query))

    def usage_of(self, ws_keys: Sequence[str]) -> dict[str, int]:
        """vCPUs reserved by the computes of these workspaces (a hub and its projects), by family."""
        query = (sa.select(_c.c.family, _c.c.vcpus, _c.c.max_nodes, _c.c.compute_type, _c.c.provisioning_state)
                 .where(_c.c.workspace_key.in_(list(ws_keys))))
        return _reserved(self._conn.execute(query))

    def lock_workspace_quota(self, ws_key: str) -> None:
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": workspace_quota_lock_key(ws_key)})

    def workspace_limits(self, ws_keys: Sequence[str]) -> dict[str, dict[str, int]]:
        """The workspace-level limits of these workspaces: workspace key -> family -> vCPUs."""
        out: dict[str, dict[str, int]] = {}
        for row in self._conn.execute(sa.select(_q).where(_q.c.workspace_key.in_(list(ws_keys)))
                                      .order_by(_q.c.workspace_key, _q.c.family)):
            out.setdefault(row.workspace_key, {})[row.family] = row.vcpu_limit
        return out

    def limits_in(self, sub_id: str, location: str) -> dict[str, dict[str, int]]:
        """The workspace-level limits of the subscription's workspaces in the region, as ``workspace_limits``."""
        query = (sa.select(_q).select_from(_q.join(_ws, _ws.c.key == _q.c.workspace_key)
                                           .join(_rg, _rg.c.key == _ws.c.resource_group_key))
                 .where(_rg.c.subscription_id == sub_id.lower(), sa.func.lower(_ws.c.location) == location.lower())
                 .order_by(_q.c.workspace_key, _q.c.family))
        out: dict[str, dict[str, int]] = {}
        for row in self._conn.execute(query):
            out.setdefault(row.workspace_key, {})[row.family] = row.vcpu_limit
        return out

    def set_workspace_limit(self, ws_key: str, family: str, limit: int) -> None:
        self._conn.execute(_q.delete().where(_q.c.workspace_key == ws_key, _q.c.family == family))
        self._conn.execute(_q.insert().values(workspace_key=ws_key, family=family, vcpu_limit=limit))

    def of_workspace(self, ws_key: str) -> list[Compute]:
        query = sa.select(_c).where(_c.c.workspace_key == ws_key).order_by(_c.c.name_lower)
        return [_compute(r) for r in self._conn.execute(query)]

    def delete(self, key: str) -> None:
        self._conn.execute(_c.delete().where(_c.c.key == key))

    def list(self, ws_key: str, offset: int, limit: int) -> Page[Compute]:
        query = sa.select(_c).where(_c.c.workspace_key == ws_key).order_by(_c.c.name_lower)
        return paged(self._conn, query, offset, limit, _compute)  # type: ignore[no-any-return]


def _reserved(rows: Iterable[sa.Row]) -> dict[str, int]:  # type: ignore[type-arg]
    usage: dict[str, int] = {}
    for row in rows:
        if row.provisioning_state == ComputeProvisioningState.FAILED.value or not row.vcpus:
            continue  # a failed create reserves nothing, nor does a Ray compute (no size of amlite's)
        nodes = 1 if row.compute_type == ComputeType.COMPUTE_INSTANCE.value else row.max_nodes
        usage[row.family] = usage.get(row.family, 0) + row.vcpus * nodes
    return usage


def _values(c: Compute) -> dict[str, object]:
    return {
        "workspace_key": c.workspace_key, "name": c.name, "name_lower": c.name.lower(),
        "compute_type": c.compute_type.value, "location": c.location, "vm_size": c.vm_size.name,
        "family": c.vm_size.family, "vcpus": c.vm_size.vcpus, "min_nodes": c.min_nodes, "max_nodes": c.max_nodes,
        "tier": c.tier, "idle_seconds": c.idle_seconds, "description": c.description, "tags": c.tags,
        "provisioning_state": c.provisioning_state.value, "state": c.state.value if c.state else None,
        "settings": c.settings, "errors": c.errors, "last_operation": c.last_operation, **stamp_values(c.stamp),
    }


def _compute(row: sa.Row) -> Compute:  # type: ignore[type-arg]
    size = find_vm_size(row.vm_size) or VmSize(row.vm_size, row.family, row.vcpus, 0)
    return Compute(
        key=row.key, workspace_key=row.workspace_key, name=row.name, compute_type=ComputeType(row.compute_type),
        location=row.location, vm_size=size, stamp=stamp_of(row), min_nodes=row.min_nodes, max_nodes=row.max_nodes,
        tier=row.tier, idle_seconds=row.idle_seconds, description=row.description, tags=dict(row.tags or {}),
        provisioning_state=ComputeProvisioningState(row.provisioning_state),
        state=InstanceState(row.state) if row.state else None, settings=dict(row.settings or {}),
        errors=list(row.errors or []), last_operation=dict(row.last_operation) if row.last_operation else None,
    )


class NodeSlotRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, slot: NodeSlot) -> None:
        self._conn.execute(_s.insert().values(key=slot.key, **_slot_values(slot)))

    def save(self, slot: NodeSlot) -> None:
        self._conn.execute(_s.update().where(_s.c.key == slot.key).values(**_slot_values(slot)))

    def get(self, key: str) -> NodeSlot | None:
        row = self._conn.execute(sa.select(_s).where(_s.c.key == key)).first()
        return _slot(row) if row else None

    def of_compute(self, compute_key: str) -> list[NodeSlot]:
        query = sa.select(_s).where(_s.c.compute_key == compute_key).order_by(_s.c.slot_index)
        return [_slot(r) for r in self._conn.execute(query)]

    def delete(self, key: str) -> None:
        self._conn.execute(_s.delete().where(_s.c.key == key))

    def delete_expired(self, compute_key: str, now: datetime) -> int:
        result = self._conn.execute(_s.delete().where(_s.c.compute_key == compute_key, _s.c.expires_at <= now))
        return int(result.rowcount or 0)

    def release_all(self) -> int:
        return int(self._conn.execute(_s.delete()).rowcount or 0)


def _slot_values(slot: NodeSlot) -> dict[str, object]:
    return {"compute_key": slot.compute_key, "slot_index": slot.index, "holder": slot.holder,
            "acquired_at": slot.acquired_at, "expires_at": slot.expires_at}


def _slot(row: sa.Row) -> NodeSlot:  # type: ignore[type-arg]
    return NodeSlot(key=row.key, compute_key=row.compute_key, index=row.slot_index, holder=row.holder,
                    acquired_at=row.acquired_at, expires_at=row.expires_at)
