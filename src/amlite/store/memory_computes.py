"""The in-memory repositories of computes and node slots (``memory``): the SQL store's rules over
the rows of a unit of work, with the cascades its foreign keys make (a workspace's removal takes
its computes and its own quota limits, a compute's its slots: ``drop_of_workspace``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from amlite.domain.computes import Compute, NodeSlot
from amlite.domain.paging import Page
from amlite.store.memory_tx import Tx, page, unique


class MemoryComputes:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, c: Compute) -> None:
        unique(c.key in self._tx.rows.computes or any(
            o.workspace_key == c.workspace_key and o.name.lower() == c.name.lower() for o in self._tx.rows.computes.values()))
        self._tx.write().computes[c.key] = c

    def save(self, c: Compute) -> None:
        if c.key in self._tx.rows.computes:
            self._tx.write().computes[c.key] = c

    def get(self, ws_key: str, name: str) -> Compute | None:
        return next((c for c in self._tx.rows.computes.values()
                     if c.workspace_key == ws_key and c.name.lower() == name.lower()), None)

    def by_key(self, key: str) -> Compute | None:
        return self._tx.rows.computes.get(key)

    def lock(self, key: str) -> Compute | None:
        return self.by_key(key)

    def lock_quota(self, sub_id: str, location: str) -> None:
        """A writer holds the whole store already (``memory``'s writer lock)."""

    def usage(self, sub_id: str, location: str) -> dict[str, int]:
        rows = self._tx.rows
        usage: dict[str, int] = {}
        for c in rows.computes.values():
            ws = rows.workspaces.get(c.workspace_key)
            rg = rows.resource_groups.get(ws.resource_group_key) if ws else None
            if rg is None or rg.subscription_id != sub_id.lower() or c.location.lower() != location.lower():
                continue
            if c.reserved_vcpus:
                usage[c.family] = usage.get(c.family, 0) + c.reserved_vcpus
        return usage

    def usage_of(self, ws_keys: Sequence[str]) -> dict[str, int]:
        usage: dict[str, int] = {}
        for c in self._tx.rows.computes.values():
            if c.workspace_key in ws_keys and c.reserved_vcpus:
                usage[c.family] = usage.get(c.family, 0) + c.reserved_vcpus
        return usage

    def lock_workspace_quota(self, ws_key: str) -> None:
        """A writer holds the whole store already (``memory``'s writer lock)."""

    def workspace_limits(self, ws_keys: Sequence[str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (ws_key, family), limit in sorted(self._tx.rows.workspace_quotas.items()):
            if ws_key in ws_keys:
                out.setdefault(ws_key, {})[family] = limit
        return out

    def limits_in(self, sub_id: str, location: str) -> dict[str, dict[str, int]]:
        rows = self._tx.rows
        keys = []
        for ws in rows.workspaces.values():
            rg = rows.resource_groups.get(ws.resource_group_key)
            if rg is not None and rg.subscription_id == sub_id.lower() and ws.location.lower() == location.lower():
                keys.append(ws.key)
        return self.workspace_limits(keys)

    def set_workspace_limit(self, ws_key: str, family: str, limit: int) -> None:
        self._tx.write().workspace_quotas[(ws_key, family)] = limit

    def of_workspace(self, ws_key: str) -> list[Compute]:
        return sorted((c for c in self._tx.rows.computes.values() if c.workspace_key == ws_key),
                      key=lambda c: c.name.lower())

    def delete(self, key: str) -> None:
        rows = self._tx.write()
        rows.computes.pop(key, None)
        rows.node_slots = {k: s for k, s in rows.node_slots.items() if s.compute_key != key}

    def list(self, ws_key: str, offset: int, limit: int) -> Page[Compute]:
        return page(self.of_workspace(ws_key), offset, limit)


def drop_of_workspace(tx: Tx, ws_key: str) -> None:
    """What ``ON DELETE CASCADE`` does in SQL when a workspace row goes."""
    for c in [c for c in tx.rows.computes.values() if c.workspace_key == ws_key]:
        MemoryComputes(tx).delete(c.key)
    if any(k == ws_key for k, _ in tx.rows.workspace_quotas):
        rows = tx.write()
        rows.workspace_quotas = {k: v for k, v in rows.workspace_quotas.items() if k[0] != ws_key}


class MemoryNodeSlots:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, slot: NodeSlot) -> None:
        unique(slot.key in self._tx.rows.node_slots or any(
            s.compute_key == slot.compute_key and s.index == slot.index for s in self._tx.rows.node_slots.values()))
        self._tx.write().node_slots[slot.key] = slot

    def save(self, slot: NodeSlot) -> None:
        if slot.key in self._tx.rows.node_slots:
            self._tx.write().node_slots[slot.key] = slot

    def get(self, key: str) -> NodeSlot | None:
        return self._tx.rows.node_slots.get(key)

    def of_compute(self, compute_key: str) -> list[NodeSlot]:
        return sorted((s for s in self._tx.rows.node_slots.values() if s.compute_key == compute_key),
                      key=lambda s: s.index)

    def delete(self, key: str) -> None:
        self._tx.write().node_slots.pop(key, None)

    def delete_expired(self, compute_key: str, now: datetime) -> int:
        gone = [s.key for s in self.of_compute(compute_key) if not s.live(now)]
        for key in gone:
            self.delete(key)
        return len(gone)

    def release_all(self) -> int:
        count = len(self._tx.rows.node_slots)
        if count:
            self._tx.write().node_slots = {}
        return count
