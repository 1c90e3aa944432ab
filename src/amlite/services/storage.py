"""The storage a workspace brings with it: provisioning it in the workspace's region, releasing
it when its records are gone, and sweeping what a crash left behind.

Containers are created before the metadata that points at them is committed, and removed only
after the metadata is gone; a crash between the two leaves an orphan, never a dangling reference,
and ``sweep_orphans`` (run at every start) removes orphans.
"""

from __future__ import annotations

import logging

from amlite.domain.resources import GenericResource
from amlite.domain.errors import StorageUnavailable
from amlite.ports import UnitOfWork
from amlite.services.context import Deps

log = logging.getLogger(__name__)

STORAGE_TYPE = "Microsoft.Storage/storageAccounts"


class StorageProvisioner:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def provision(self, uow: UnitOfWork, region: str, account: str, containers: list[str]) -> None:
        """Make the containers inside ``uow``, which then commits the record naming them; no
        server sweeps orphans in between (``hold_provisioning_lock``)."""
        uow.hold_provisioning_lock()
        store = self._deps.blobs(region)
        for container in containers:
            store.ensure_container(account, container)

    @staticmethod
    def accounts_of(resources: list[GenericResource]) -> list[dict[str, str]]:
        """The storage accounts among ``resources``, as an operation's payload records them."""
        return [
            {"region": res.location, "account": res.name}
            for res in resources
            if res.full_type.lower() == STORAGE_TYPE.lower()
        ]

    def release(self, accounts: list[dict[str, str]]) -> None:
        """Remove storage accounts whose records are gone; idempotent, so a rerun after a crash
        finishes the job."""
        for item in accounts:
            store = self._deps.blob_stores.get(item["region"])
            if store is not None:
                store.delete_account(item["account"])

    def release_containers(self, containers: list[dict[str, str]]) -> None:
        """Remove containers whose records are gone (a project's, in its hub's storage account);
        idempotent like ``release``."""
        for item in containers:
            store = self._deps.blob_stores.get(item["region"])
            if store is not None:
                store.delete_container(item["account"], item["container"])

    def sweep_orphans(self) -> int:
        """Delete containers of storage accounts that no record names; returns how many accounts.
        The caller holds the start-up lock (``Container.start``), so no record is being written
        for storage already made."""
        with self._deps.uow() as uow:
            known = uow.resources.storage_account_names()
        swept = 0
        for store in self._deps.blob_stores.values():
            try:
                accounts = list(store.list_accounts())
            except StorageUnavailable as exc:  # a failed region (an outage drill): swept at a later start
                log.warning("orphaned storage in %s not swept: %s", store.region, exc.message)
                continue
            for account in accounts:
                if account.lower() in known:
                    continue
                store.delete_account(account)
                swept += 1
                log.info("removed orphaned storage account %s in %s", account, store.region)
        return swept
