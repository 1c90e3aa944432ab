"""The in-memory unit of work keeps the SQL store's transaction rules, so that service rules unit
tested on it hold on the database: nothing is seen before ``commit``, nothing survives a rollback
or an exception, unique names conflict, and a row's joined ids follow the row they come from."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from amlite.domain.errors import Conflict
from amlite.domain.resources import Workspace, WorkspaceKind
from amlite.services.context import Deps
from tests.unit.memory_world import memory_deps, resource_group, resource_group_row, stamp


@pytest.fixture()
def deps() -> Deps:
    return memory_deps()


def test_changes_are_invisible_until_commit(deps: Deps) -> None:
    with deps.uow(write=True) as writer:
        rg = resource_group_row(deps, "sub", "rg-a")
        writer.resource_groups.add(rg)
        assert writer.resource_groups.get("sub", "RG-A") == rg  # its own changes it sees at once
        with deps.uow() as reader:
            assert reader.resource_groups.get("sub", "rg-a") is None
        writer.commit()
    with deps.uow() as reader:
        assert reader.resource_groups.by_key(rg.key) == rg


def test_leaving_without_commit_or_by_an_exception_discards_everything(deps: Deps) -> None:
    with deps.uow(write=True) as uow:
        uow.resource_groups.add(resource_group_row(deps, "sub", "rolled-back"))
    with pytest.raises(RuntimeError):
        with deps.uow(write=True) as uow:
            uow.resource_groups.add(resource_group_row(deps, "sub", "raised"))
            raise RuntimeError("the use case failed half-way")
    with deps.uow() as uow:
        assert uow.resource_groups.list("sub", 0, 10).items == []


def test_a_snapshot_does_not_change_under_a_reader(deps: Deps) -> None:
    rg = resource_group(deps, "sub", "rg-a")
    with deps.uow() as reader:
        with deps.uow(write=True) as writer:
            writer.resource_groups.delete(rg.key)
            writer.commit()
        assert reader.resource_groups.by_key(rg.key) == rg
    with deps.uow() as later:
        assert later.resource_groups.by_key(rg.key) is None


def test_unique_names_conflict_case_insensitively(deps: Deps) -> None:
    resource_group(deps, "sub", "Team")
    with pytest.raises(Conflict):
        resource_group(deps, "sub", "team")
    resource_group(deps, "other-sub", "team")  # unique per subscription only


def test_a_reader_that_writes_over_a_newer_commit_is_refused(deps: Deps) -> None:
    """A unit of work opened for reading takes no write lock; committing changes made on a state
    another commit has replaced would lose that commit, so it is refused as a conflict."""
    with deps.uow() as stale:
        resource_group(deps, "sub", "first")
        stale.resource_groups.add(resource_group_row(deps, "sub", "second"))
        with pytest.raises(Conflict):
            stale.commit()
    with deps.uow() as uow:
        assert [rg.name for rg in uow.resource_groups.list("sub", 0, 10).items] == ["first"]


def test_writers_take_turns(deps: Deps) -> None:
    """Two read-then-write use cases never interleave: the second starts after the first ends."""
    order: list[str] = []
    entered = threading.Event()

    def second() -> None:
        entered.wait()
        with deps.uow(write=True):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with deps.uow(write=True):
        entered.set()
        thread.join(0.2)
        assert thread.is_alive()  # waiting for the first writer
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def test_a_workspace_reads_its_groups_current_ids(deps: Deps) -> None:
    """As the SQL store's join: re-pointing the group changes what every workspace row reads."""
    rg = resource_group(deps, "sub", "rg-a")
    ws = Workspace(key="ws-1", resource_group_key=rg.key, subscription_id="stale", resource_group_name="stale",
                   name="W", kind=WorkspaceKind.DEFAULT, location="eastus", workspace_id="id-1", tags={},
                   etag='"1"', stamp=stamp(deps.clock.now()))
    with deps.uow(write=True) as uow:
        uow.workspaces.add(ws)
        uow.resource_groups.save(replace(rg, subscription_id="sub-2", name="rg-b"))
        uow.commit()
    with deps.uow() as uow:
        found = uow.workspaces.get("SUB-2", "RG-B", "w")
        assert found is not None and (found.subscription_id, found.resource_group_name) == ("sub-2", "rg-b")
        assert uow.workspaces.get("sub", "rg-a", "w") is None

