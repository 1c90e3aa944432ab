"""The in-memory repositories of asset containers and versions (``memory`` holds the unit of work).

As in the SQL store, one pair of repositories serves both owners: bound to the workspace table or
to the registry table of ``Rows``. Names and versions are unique case-insensitively within their
container, as the SQL constraints make them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from amlite.domain.assets import AssetContainer, AssetKind, AssetVersion, ListViewType
from amlite.domain.paging import Page
from amlite.domain.registries import Registry
from amlite.domain.replication import REPLICATE, copy_key
from amlite.domain.tasks import Task
from amlite.store.memory_tx import AssetTable, Tx, page, unique


def _table(tx: Tx, workspace: bool) -> AssetTable:
    return tx.rows.workspace_assets if workspace else tx.rows.registry_assets


def _archived_view(view: ListViewType, archived: bool) -> bool:
    if view is ListViewType.ACTIVE_ONLY:
        return not archived
    if view is ListViewType.ARCHIVED_ONLY:
        return archived
    return True


class MemoryAssetContainers:
    def __init__(self, tx: Tx, *, workspace: bool) -> None:
        self._tx = tx
        self._workspace = workspace

    def get(self, owner_key: str, kind: AssetKind, name: str) -> AssetContainer | None:
        return next((c for c in _table(self._tx, self._workspace).containers.values()
                     if c.owner_key == owner_key and c.kind is kind and c.name.lower() == name.lower()), None)

    def lock(self, owner_key: str, kind: AssetKind, name: str) -> AssetContainer | None:
        """A write unit of work already holds the store's one writer lock."""
        return self.get(owner_key, kind, name)

    def add_if_missing(self, c: AssetContainer) -> None:
        if self.get(c.owner_key, c.kind, c.name) is None and c.key not in _table(self._tx, self._workspace).containers:
            self._tx.write()
            _table(self._tx, self._workspace).containers[c.key] = c

    def save(self, c: AssetContainer) -> None:
        if c.key in _table(self._tx, self._workspace).containers:
            self._tx.write()
            _table(self._tx, self._workspace).containers[c.key] = c

    def latest_versions(self, container_keys: list[str]) -> dict[str, str]:
        wanted = set(container_keys)
        newest: dict[str, AssetVersion] = {}
        for v in _table(self._tx, self._workspace).versions.values():
            if v.container_key in wanted and not v.is_archived and v.soft_delete is None:
                if v.container_key not in newest or v.seq > newest[v.container_key].seq:
                    newest[v.container_key] = v
        return {key: v.version for key, v in newest.items()}

    def list(self, owner_key: str, kind: AssetKind, view: ListViewType, offset: int, limit: int) -> Page[AssetContainer]:
        found = [c for c in _table(self._tx, self._workspace).containers.values()
                 if c.owner_key == owner_key and c.kind is kind and _archived_view(view, c.is_archived)]
        return page(sorted(found, key=lambda c: c.name.lower()), offset, limit)


def _has_tags(v: AssetVersion, tags: dict[str, str | None]) -> bool:
    return all(name in v.tags and (value is None or v.tags[name] == value) for name, value in tags.items())


class MemoryAssetVersions:
    def __init__(self, tx: Tx, *, workspace: bool) -> None:
        self._tx = tx
        self._workspace = workspace

    @property
    def _rows(self) -> AssetTable:
        return _table(self._tx, self._workspace)

    def add(self, v: AssetVersion) -> None:
        unique(v.key in self._rows.versions or any(
            o.container_key == v.container_key and (o.version.lower() == v.version.lower() or o.seq == v.seq)
            for o in self._rows.versions.values()))
        self._tx.write()
        self._rows.versions[v.key] = v

    def save(self, v: AssetVersion) -> None:
        if v.key in self._rows.versions:
            self._tx.write()
            self._rows.versions[v.key] = v

    def relink_lineage(self, old_workspace_id: str, new_workspace_id: str) -> int:
        old = old_workspace_id.lower()
        changed = 0
        for v in list(self._rows.versions.values()):
            lineage = dict(v.lineage or {})
            if str(lineage.get("sourceWorkspaceId", "")).lower() != old:
                continue
            asset = str(lineage.get("sourceAssetId", ""))
            if asset.lower().startswith(old + "/"):
                lineage["sourceAssetId"] = new_workspace_id + asset[len(old):]
            lineage["sourceWorkspaceId"] = new_workspace_id
            self.save(replace(v, lineage=lineage))
            changed += 1
        return changed

    def get_by_key(self, key: str) -> AssetVersion | None:
        return self._rows.versions.get(key)

    def get(self, container_key: str, version: str) -> AssetVersion | None:
        found = self.any_get(container_key, version)
        return found if found is not None and found.soft_delete is None else None

    def any_get(self, container_key: str, version: str) -> AssetVersion | None:
        return next((v for v in self._rows.versions.values()
                     if v.container_key == container_key and v.version.lower() == version.lower()), None)

    def purge_due(self, now: datetime, limit: int) -> list[AssetVersion]:
        due = [v for v in self._rows.versions.values() if v.soft_delete is not None and v.soft_delete.due(now)]
        return sorted(due, key=lambda v: v.soft_delete.purge_at if v.soft_delete else now)[:limit]

    def delete(self, key: str) -> None:
        if key in self._rows.versions:
            self._tx.write()
            del self._rows.versions[key]

    def latest(self, container_key: str) -> AssetVersion | None:
        live = [v for v in self._rows.versions.values() if v.container_key == container_key and not v.is_archived
                and v.soft_delete is None]
        return max(live, key=lambda v: v.seq) if live else None

    def next_seq(self, container_key: str) -> int:
        return max((v.seq for v in self._rows.versions.values() if v.container_key == container_key), default=0) + 1

    def keys_of_owner(self, owner_key: str) -> list[str]:
        containers = {k for k, c in self._rows.containers.items() if c.owner_key == owner_key}
        return [v.key for v in self._rows.versions.values() if v.container_key in containers]

    def list(self, container_key: str, view: ListViewType, container_archived: bool, tags: dict[str, str | None],
             offset: int, limit: int) -> Page[AssetVersion]:
        found = [v for v in self._rows.versions.values() if v.container_key == container_key and v.soft_delete is None
                 and _archived_view(view, v.is_archived or container_archived) and _has_tags(v, tags)]
        return page(sorted(found, key=lambda v: v.seq, reverse=True), offset, limit)

    def search_by_tags(self, owner_key: str, kind: AssetKind, tags: dict[str, str | None], view: ListViewType,
                       offset: int, limit: int) -> Page[tuple[AssetContainer, AssetVersion]]:
        found = []
        for v in self._rows.versions.values():
            c = self._rows.containers.get(v.container_key)
            if (c is not None and c.owner_key == owner_key and c.kind is kind and _has_tags(v, tags) and v.soft_delete is None
                    and _archived_view(view, v.is_archived or c.is_archived)):
                found.append((c, v))
        found.sort(key=lambda cv: (cv[1].stamp.created_at, cv[1].key), reverse=True)
        return page(found, offset, limit)


def replication_gaps(registries: dict[str, Registry], assets: AssetTable,
                     tasks: dict[str, Task]) -> tuple[list[tuple[str, str, str]], set[str]]:
    """What the reconciler's queries find: the copies every registry version lacks in a replica
    region, as (registry key, version key, region), and the keys of copy tasks nobody wants."""
    have = {t.dedupe_key: t for t in tasks.values() if t.kind == REPLICATE}
    wanted: set[str] = set()
    missing: list[tuple[str, str, str]] = []
    for v in assets.versions.values():
        c = assets.containers.get(v.container_key)
        reg = registries.get(c.owner_key) if c is not None else None
        if reg is None:
            continue
        for region in (r.region for r in reg.regions if r.region.lower() != reg.location.lower()):
            key = copy_key(v.key, region)
            wanted.add(key)
            if key not in have:
                missing.append((reg.key, v.key, region))
    return missing, {t.key for key, t in have.items() if key not in wanted}
