"""Repository for registries and their replication regions.

A registry row points at its resource group by key (its ARM id is built from the group's current
subscription and name on every read) and is unique by lower-cased name in the tenant; its regions
are rows of their own, read with it and replaced as a set when it is saved.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from amlite.domain.paging import Page
from amlite.domain.registries import Registry, RegistryRegion, StorageConfig
from amlite.domain.resources import ProvisioningState
from amlite.store import tables as t
from amlite.store.resource_repos import soft_delete_of, soft_delete_values, stamp_of, stamp_values

_reg = t.registries
_rr = t.registry_regions
_rg = t.resource_groups


class RegistryRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, reg: Registry) -> None:
        self._conn.execute(_reg.insert().values(key=reg.key, tenant_id=reg.tenant_id, **_values(reg)))
        self._write_regions(reg)

    def save(self, reg: Registry) -> None:
        """Update the row and make the stored regions exactly ``reg.regions``."""
        self._conn.execute(_reg.update().where(_reg.c.key == reg.key).values(**_values(reg)))
        wanted = {r.region for r in reg.regions}
        self._conn.execute(_rr.delete().where(_rr.c.registry_key == reg.key, _rr.c.region.not_in(sorted(wanted))))
        stored = {row.region for row in self._conn.execute(sa.select(_rr.c.region).where(_rr.c.registry_key == reg.key))}
        self._write_regions(reg, skip=stored)

    def _write_regions(self, reg: Registry, skip: set[str] | None = None) -> None:
        rows = [
            {"key": r.resource_key, "registry_key": reg.key, "region": r.region, "position": r.position,
             "storage_account_name": r.storage_account_name, "storage_account_type": r.storage.account_type,
             "hns": r.storage.hns, "resource_key": r.resource_key, "added_at": r.added_at}
            for r in reg.regions if r.region not in (skip or set())
        ]
        if rows:
            self._conn.execute(_rr.insert(), rows)

    def get(self, sub_id: str, rg_name: str, name: str) -> Registry | None:
        rows = self._conn.execute(_select().where(
            _rg.c.subscription_id == sub_id.lower(), _rg.c.name_lower == rg_name.lower(), _reg.c.name_lower == name.lower(),
        )).all()
        return self._with_regions(rows)[0] if rows else None

    def by_name(self, tenant_id: str, name: str) -> Registry | None:
        """The tenant's registry called ``name`` (case-insensitive), wherever it lives."""
        rows = self._conn.execute(_select().where(_reg.c.tenant_id == tenant_id, _reg.c.name_lower == name.lower())).all()
        return self._with_regions(rows)[0] if rows else None

    def by_key(self, key: str) -> Registry | None:
        """The live registry with that key; ``any_by_key`` finds a soft-deleted one too."""
        rows = self._conn.execute(_select().where(_reg.c.key == key)).all()
        return self._with_regions(rows)[0] if rows else None

    def any_by_key(self, key: str) -> Registry | None:
        rows = self._conn.execute(_select(None).where(_reg.c.key == key)).all()
        return self._with_regions(rows)[0] if rows else None

    def deleted_by_name(self, tenant_id: str, name: str) -> Registry | None:
        """The tenant's soft-deleted registry called ``name``: its name stays reserved."""
        rows = self._conn.execute(_select(True).where(_reg.c.tenant_id == tenant_id,
                                                      _reg.c.name_lower == name.lower())).all()
        return self._with_regions(rows)[0] if rows else None

    def list_deleted(self, sub_id: str, offset: int, limit: int) -> Page[Registry]:
        query = _select(True).where(_rg.c.subscription_id == sub_id.lower())
        return self._page(query.order_by(_rg.c.name_lower, _reg.c.name_lower), offset, limit)

    def purge_due(self, now: datetime, limit: int) -> list[Registry]:
        """Soft-deleted registries whose retention ended by ``now``, the oldest first."""
        rows = self._conn.execute(_select(True).where(_reg.c.purge_at <= now).order_by(_reg.c.purge_at)
                                  .limit(limit)).all()
        return self._with_regions(list(rows))

    def list_in_group(self, rg_key: str, offset: int, limit: int, names: set[str] | None = None,
                      include_deleted: bool = False) -> Page[Registry]:
        """``names`` (lower-cased, when given) keeps only those registries: the caller's readable ones.
        ``include_deleted``: soft-deleted ones too (the group's own delete purges them)."""
        query = _select(None if include_deleted else False).where(_reg.c.resource_group_key == rg_key)
        if names is not None:
            query = query.where(_reg.c.name_lower.in_(sorted(names)))
        return self._page(query.order_by(_reg.c.name_lower), offset, limit)

    def list_in_subscription(self, sub_id: str, offset: int, limit: int, groups: set[str] | None = None,
                             pairs: set[tuple[str, str]] | None = None) -> Page[Registry]:
        """With ``groups``/``pairs`` (lower-cased) only the registries in those groups, or those
        (group, registry) pairs; ``None`` for both: every registry of the subscription."""
        query = _select().where(_rg.c.subscription_id == sub_id.lower())
        if groups is not None or pairs is not None:
            query = query.where(sa.or_(
                sa.false(), _rg.c.name_lower.in_(sorted(groups or ())),
                *(sa.and_(_rg.c.name_lower == g, _reg.c.name_lower == n) for g, n in sorted(pairs or ())),
            ))
        return self._page(query.order_by(_rg.c.name_lower, _reg.c.name_lower), offset, limit)

    def names_in_group(self, rg_key: str) -> list[str]:
        query = sa.select(_reg.c.name).where(_reg.c.resource_group_key == rg_key, _reg.c.deleted_at.is_(None)).order_by(
            _reg.c.name_lower)
        return [r.name for r in self._conn.execute(query)]

    def all_keys(self) -> list[str]:
        """Every registry's key (the reconciler's round)."""
        return [row.key for row in self._conn.execute(sa.select(t.registries.c.key))]

    def count_in_subscription(self, sub_id: str) -> int:
        query = sa.select(sa.func.count()).select_from(_reg.join(_rg, _rg.c.key == _reg.c.resource_group_key)).where(
            _rg.c.subscription_id == sub_id.lower(), _reg.c.deleted_at.is_(None)
        )
        return int(self._conn.execute(query).scalar_one())

    def delete(self, key: str) -> None:
        self._conn.execute(_rr.delete().where(_rr.c.registry_key == key))
        self._conn.execute(_reg.delete().where(_reg.c.key == key))

    def _page(self, query: sa.Select, offset: int, limit: int) -> Page[Registry]:  # type: ignore[type-arg]
        rows = list(self._conn.execute(query.offset(offset).limit(limit + 1)))
        return Page(items=self._with_regions(rows[:limit]), more=len(rows) > limit)

    def _with_regions(self, rows: list[sa.Row]) -> list[Registry]:  # type: ignore[type-arg]
        if not rows:
            return []
        regions: dict[str, list[RegistryRegion]] = defaultdict(list)
        query = sa.select(_rr).where(_rr.c.registry_key.in_([r.key for r in rows])).order_by(_rr.c.position)
        for row in self._conn.execute(query):
            regions[row.registry_key].append(RegistryRegion(
                region=row.region, position=row.position, storage_account_name=row.storage_account_name,
                storage=StorageConfig(row.storage_account_type, bool(row.hns)), resource_key=row.resource_key,
                added_at=row.added_at,
            ))
        return [_registry(row, tuple(regions[row.key])) for row in rows]


def _select(deleted: bool | None = False) -> sa.Select:  # type: ignore[type-arg]
    """Registries joined with their group: the live ones, the soft-deleted ones (``deleted``), or
    both (``None``)."""
    query = sa.select(_reg, _rg.c.subscription_id, _rg.c.name.label("rg_name")).join(
        _rg, _rg.c.key == _reg.c.resource_group_key
    )
    if deleted is None:
        return query
    return query.where(_reg.c.deleted_at.is_not(None) if deleted else _reg.c.deleted_at.is_(None))


def _values(reg: Registry) -> dict[str, object]:
    return {
        "resource_group_key": reg.resource_group_key, "name": reg.name, "name_lower": reg.name.lower(),
        "location": reg.location, "registry_id": reg.registry_id, "description": reg.description, "tags": reg.tags,
        "etag": reg.etag, "provisioning_state": reg.provisioning_state.value, **stamp_values(reg.stamp),
        **soft_delete_values(reg.soft_delete),
    }


def _registry(row: sa.Row, regions: tuple[RegistryRegion, ...]) -> Registry:  # type: ignore[type-arg]
    return Registry(
        key=row.key, tenant_id=row.tenant_id, resource_group_key=row.resource_group_key,
        subscription_id=row.subscription_id, resource_group_name=row.rg_name, name=row.name, location=row.location,
        registry_id=row.registry_id, description=row.description, tags=dict(row.tags or {}), etag=row.etag,
        stamp=stamp_of(row), regions=regions, provisioning_state=ProvisioningState(row.provisioning_state),
        soft_delete=soft_delete_of(row),
    )
