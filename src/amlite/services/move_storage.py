"""A workspace's storage going to another region: amlite's explicit cross-region move
(``allowRegionChange``), which Azure does not have.

A workspace's blobs (every asset's files, job outputs, code snapshots: whatever its storage
account holds) live in its region's object store, found by the workspace's location. Moving it
to a group in another region therefore copies the account, every container and every blob, into
the new region's store first (``copy``, with the replication machinery's ``copy_missing``: each
blob verified by its sha256 and published atomically), while the workspace is ``Moving`` and its
metadata still says the old region. Only then does the move's one transaction flip the location
of the workspace and of its associated records, and queue the release of the old region's copy
(a task of the one engine, ``MOVE_RELEASE``), which runs after the commit.

A crash mid-copy leaves the workspace whole in its old region (nothing points at the new copy);
the move's task runs again, skips what is there and goes on. A copy that fails (the new region's
storage refuses) rolls the move back and ``discard`` removes the partial copy. A release checks
that the account is not (again) in the region it is about to empty, so a workspace moved back
before its old copy was released keeps its bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from amlite.domain.tasks import Task
from amlite.ports import UnitOfWork
from amlite.services.context import Deps
from amlite.services.replication import copy_missing
from amlite.services.storage import STORAGE_TYPE
from amlite.services.tasks import TaskEngine, TaskKind

log = logging.getLogger(__name__)

#: The task that empties the old region's copy of a moved workspace's storage account.
MOVE_RELEASE = "move.release-storage"
#: The crash point after each blob copied into the new region (the fault drill's mid-copy kill).
COPY_FAULT = "move.copy.after_blob"


@dataclass(frozen=True)
class AccountCopy:
    """One storage account (a ``resources`` record) going from one region's store to another's."""

    resource_key: str
    account: str
    source_region: str
    target_region: str

    def to_json(self) -> dict[str, str]:
        return {"resourceKey": self.resource_key, "account": self.account, "fromRegion": self.source_region,
                "toRegion": self.target_region}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AccountCopy":
        return cls(data["resourceKey"], data["account"], data["fromRegion"], data["toRegion"])


def accounts_to_copy(uow: UnitOfWork, ws_key: str, target_region: str) -> list[AccountCopy]:
    """The storage accounts of a workspace that are not yet in ``target_region``."""
    return [AccountCopy(r.key, r.name, r.location, target_region) for r in uow.resources.of_workspace(ws_key)
            if r.full_type.lower() == STORAGE_TYPE.lower() and r.location.lower() != target_region.lower()]


class MoveStorage:
    def __init__(self, deps: Deps, engine: TaskEngine) -> None:
        self._deps = deps
        self._engine = engine
        engine.register(TaskKind(MOVE_RELEASE, self._release, lease=timedelta(seconds=60)))

    def copy(self, item: AccountCopy) -> int:
        """Copy every container and blob of the account into the target region; how many blobs the
        target holds for it afterwards. Idempotent (a rerun copies only what is missing)."""
        source, dest = self._deps.blobs(item.source_region), self._deps.blobs(item.target_region)
        total = 0
        for container in list(source.list_containers(item.account)):
            dest.ensure_container(item.account, container)
            digests = list(source.list_blobs(item.account, container))
            copied = copy_missing(source, item.account, container, dest, item.account, container, digests,
                                  fault=COPY_FAULT)
            total += len(digests)
            log.info("move of storage account %s to %s: container %s, %d of %d blobs copied", item.account,
                     item.target_region, container, copied, len(digests))
        return total

    def discard(self, item: AccountCopy) -> None:
        """Remove a copy the move will not use (it rolled back); the old region keeps the original."""
        try:
            self._deps.blobs(item.target_region).delete_account(item.account)
        except Exception as exc:  # noqa: BLE001 - the rollback has committed; a leftover copy is harmless
            log.warning("could not remove the unused copy of %s in %s: %s", item.account, item.target_region, exc)

    def queue_release(self, uow: UnitOfWork, op_id: str, item: AccountCopy) -> None:
        """Queue, inside the move's transaction, the emptying of the old region's copy."""
        self._engine.enqueue(uow, MOVE_RELEASE, dedupe_key=f"{MOVE_RELEASE}:{op_id}:{item.resource_key}",
                             subject_key=item.resource_key, payload=item.to_json())

    def wake(self) -> None:
        self._engine.wake()

    def _release(self, task: Task) -> None:
        item = AccountCopy.from_json(task.payload)
        with self._deps.uow() as uow:
            record = uow.resources.by_keys([item.resource_key]).get(item.resource_key)
        if record is not None and record.location.lower() == item.source_region.lower():
            return  # moved back meanwhile: this region's copy is the one in use
        store = self._deps.blob_stores.get(item.source_region)
        if store is not None:
            store.delete_account(item.account)
            log.info("released storage account %s in %s after its workspace moved to %s", item.account,
                     item.source_region, item.target_region)
