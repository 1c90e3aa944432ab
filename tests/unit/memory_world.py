"""Services wired on the in-memory unit of work, a fake clock and in-memory blob stores: what the
unit tests of service rules run on, with no database and no waiting."""

from __future__ import annotations

from datetime import datetime

from amlite.blobs.memory import MemoryBlobStore
from amlite.domain.regions import Region, RegionCatalog
from amlite.domain.resources import AuditStamp, ResourceGroup
from amlite.services.context import Deps, FakeClock, UuidGenerator
from amlite.store.memory import InMemoryUnitOfWorkFactory

REGIONS = ("eastus", "westus", "eastus2")


def memory_deps(clock: FakeClock | None = None, regions: tuple[str, ...] = REGIONS) -> Deps:
    return Deps(
        uow=InMemoryUnitOfWorkFactory(), clock=clock or FakeClock(), ids=UuidGenerator(),
        regions=RegionCatalog([Region(name, name, None) for name in regions]),
        blob_stores={name: MemoryBlobStore(name) for name in regions}, endpoint="https://amlite.test",
    )


def stamp(at: datetime, by: str = "tester") -> AuditStamp:
    return AuditStamp(by, "User", at, by, "User", at)


def resource_group_row(deps: Deps, sub_id: str, name: str) -> ResourceGroup:
    return ResourceGroup(key=deps.ids.new_id(), subscription_id=sub_id, name=name, location="eastus", tags={},
                         etag='"1"', stamp=stamp(deps.clock.now()))


def resource_group(deps: Deps, sub_id: str, name: str) -> ResourceGroup:
    """A committed resource group (what a registry or workspace row points at)."""
    rg = resource_group_row(deps, sub_id, name)
    with deps.uow(write=True) as uow:
        uow.resource_groups.add(rg)
        uow.commit()
    return rg
