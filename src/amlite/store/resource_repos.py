"""Repositories for subscriptions, provider registrations, resource groups and generic resources.

Lookups by name go through the lower-cased column; rows keep the name as it was given.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from amlite.domain.paging import Page
from amlite.domain.resources import (
    AuditStamp,
    GenericResource,
    ProvisioningState,
    ResourceGroup,
    SoftDelete,
    Subscription,
)
from amlite.store import tables as t


def paged(conn: sa.Connection, query: sa.Select, offset: int, limit: int, convert) -> Page:  # type: ignore[type-arg,no-untyped-def]
    rows = list(conn.execute(query.offset(offset).limit(limit + 1)))
    return Page(items=[convert(r) for r in rows[:limit]], more=len(rows) > limit)


#: Read by every request below a subscription, built once (see ``workspace_repos``).
_SUBSCRIPTION_BY_ID = sa.select(t.subscriptions).where(t.subscriptions.c.id == sa.bindparam("id"))


class SubscriptionRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, sub: Subscription, created_at: datetime) -> None:
        self._conn.execute(
            t.subscriptions.insert().values(
                id=sub.id, tenant_id=sub.tenant_id, display_name=sub.display_name, state=sub.state,
                created_at=created_at,
            )
        )

    def get(self, sub_id: str) -> Subscription | None:
        row = self._conn.execute(_SUBSCRIPTION_BY_ID, {"id": sub_id.lower()}).first()
        return _subscription(row) if row else None

    def list_for_tenant(self, tenant_id: str, ids: set[str] | None = None) -> list[Subscription]:
        """``ids`` (when given) keeps only those subscriptions: the caller's visible ones."""
        query = sa.select(t.subscriptions).where(t.subscriptions.c.tenant_id == tenant_id)
        if ids is not None:
            query = query.where(t.subscriptions.c.id.in_(sorted(i.lower() for i in ids)))
        return [_subscription(r) for r in self._conn.execute(query.order_by(t.subscriptions.c.created_at))]

    def add_alias(self, alias: str, sub_id: str) -> None:
        self._conn.execute(t.subscription_aliases.insert().values(name_lower=alias.lower(), name=alias, subscription_id=sub_id))

    def by_alias(self, alias: str) -> Subscription | None:
        row = self._conn.execute(
            sa.select(t.subscriptions)
            .join(t.subscription_aliases, t.subscription_aliases.c.subscription_id == t.subscriptions.c.id)
            .where(t.subscription_aliases.c.name_lower == alias.lower())
        ).first()
        return _subscription(row) if row else None


def _subscription(row: sa.Row) -> Subscription:  # type: ignore[type-arg]
    return Subscription(id=row.id, tenant_id=row.tenant_id, display_name=row.display_name, state=row.state)


class ProviderRegistrationRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def states(self, sub_id: str) -> dict[str, str]:
        """Registration state by lower-cased namespace; namespaces never touched are absent."""
        rows = self._conn.execute(
            sa.select(t.provider_registrations).where(t.provider_registrations.c.subscription_id == sub_id)
        )
        return {r.namespace_lower: r.state for r in rows}

    def set_state(self, sub_id: str, namespace: str, state: str) -> None:
        table = t.provider_registrations
        updated = self._conn.execute(
            table.update()
            .where(table.c.subscription_id == sub_id, table.c.namespace_lower == namespace.lower())
            .values(state=state)
        )
        if not updated.rowcount:
            self._conn.execute(
                table.insert().values(subscription_id=sub_id, namespace_lower=namespace.lower(), namespace=namespace, state=state)
            )


class ResourceGroupRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, rg: ResourceGroup) -> None:
        self._conn.execute(t.resource_groups.insert().values(key=rg.key, **_rg_values(rg)))

    def save(self, rg: ResourceGroup) -> None:
        self._conn.execute(t.resource_groups.update().where(t.resource_groups.c.key == rg.key).values(**_rg_values(rg)))

    def get(self, sub_id: str, name: str) -> ResourceGroup | None:
        row = self._conn.execute(
            sa.select(t.resource_groups).where(
                t.resource_groups.c.subscription_id == sub_id.lower(),
                t.resource_groups.c.name_lower == name.lower(),
            )
        ).first()
        return _resource_group(row) if row else None

    def by_key(self, key: str) -> ResourceGroup | None:
        row = self._conn.execute(sa.select(t.resource_groups).where(t.resource_groups.c.key == key)).first()
        return _resource_group(row) if row else None

    def list(self, sub_id: str, offset: int, limit: int, tag: tuple[str, str | None] | None = None,
             names: set[str] | None = None) -> Page[ResourceGroup]:
        """``names`` (lower-cased, when given) keeps only those groups: the ones the caller may read."""
        query = sa.select(t.resource_groups).where(t.resource_groups.c.subscription_id == sub_id.lower())
        if names is not None:
            query = query.where(t.resource_groups.c.name_lower.in_(sorted(names)))
        if tag is not None:
            # Tags are a JSON column whose query syntax differs between SQLite and PostgreSQL, and a
            # subscription holds few groups: match tags in Python over the subscription's groups.
            rows = [r for r in self._conn.execute(query.order_by(t.resource_groups.c.name_lower)) if _has_tag(r.tags, tag)]
            window = rows[offset: offset + limit + 1]
            return Page(items=[_resource_group(r) for r in window[:limit]], more=len(window) > limit)
        return paged(self._conn, query.order_by(t.resource_groups.c.name_lower), offset, limit, _resource_group)

    def delete(self, key: str) -> None:
        self._conn.execute(t.resource_groups.delete().where(t.resource_groups.c.key == key))


def _has_tag(tags: dict[str, str], tag: tuple[str, str | None]) -> bool:
    name, value = tag
    for key, val in (tags or {}).items():
        if key.lower() == name.lower() and (value is None or val == value):
            return True
    return False


def _rg_values(rg: ResourceGroup) -> dict[str, object]:
    return {
        "subscription_id": rg.subscription_id, "name": rg.name, "name_lower": rg.name.lower(),
        "location": rg.location, "tags": rg.tags, "etag": rg.etag, "managed_by": rg.managed_by,
        "provisioning_state": rg.provisioning_state.value, **stamp_values(rg.stamp),
    }


def stamp_values(stamp: AuditStamp) -> dict[str, object]:
    return {
        "created_by": stamp.created_by, "created_by_type": stamp.created_by_type, "created_at": stamp.created_at,
        "modified_by": stamp.modified_by, "modified_by_type": stamp.modified_by_type, "modified_at": stamp.modified_at,
    }


def stamp_of(row: sa.Row) -> AuditStamp:  # type: ignore[type-arg]
    return AuditStamp(
        created_by=row.created_by, created_by_type=row.created_by_type, created_at=row.created_at,
        modified_by=row.modified_by, modified_by_type=row.modified_by_type, modified_at=row.modified_at,
    )


def _resource_group(row: sa.Row) -> ResourceGroup:  # type: ignore[type-arg]
    return ResourceGroup(
        key=row.key, subscription_id=row.subscription_id, name=row.name, location=row.location,
        tags=dict(row.tags or {}), etag=row.etag, stamp=stamp_of(row), managed_by=row.managed_by,
        provisioning_state=ProvisioningState(row.provisioning_state),
    )


class GenericResourceRepository:
    """Records of the resources a workspace brings with it (storage account, key vault, ...)."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, res: GenericResource) -> None:
        self._conn.execute(
            t.resources.insert().values(
                key=res.key, resource_group_key=res.resource_group_key, namespace=res.namespace, type=res.type,
                type_lower=res.full_type.lower(), name=res.name, name_lower=res.name.lower(), location=res.location,
                properties=res.properties, workspace_key=res.workspace_key,
            )
        )

    def save(self, res: GenericResource) -> None:
        """A record's new location and properties (its group, type and name are its identity)."""
        self._conn.execute(t.resources.update().where(t.resources.c.key == res.key).values(
            location=res.location, properties=res.properties))

    def in_group(self, rg_key: str) -> list[GenericResource]:
        return [_generic(r) for r in self._conn.execute(self._select().where(t.resources.c.resource_group_key == rg_key))]

    def of_type(self, full_type: str) -> list[GenericResource]:
        """Every record of one type, in every group (few: the types amlite keeps only as records)."""
        query = self._select().where(t.resources.c.type_lower == full_type.lower()).order_by(t.resources.c.key)
        return [_generic(r) for r in self._conn.execute(query)]

    def of_workspace(self, ws_key: str) -> list[GenericResource]:
        return [_generic(r) for r in self._conn.execute(self._select().where(t.resources.c.workspace_key == ws_key))]

    def name_taken(self, full_type: str, name: str) -> bool:
        """Storage accounts and registries have names unique across the whole service."""
        query = sa.select(t.resources.c.key).where(
            t.resources.c.type_lower == full_type.lower(), t.resources.c.name_lower == name.lower()
        )
        return self._conn.execute(query).first() is not None

    def by_keys(self, keys: list[str]) -> dict[str, GenericResource]:
        if not keys:
            return {}
        rows = self._conn.execute(self._select().where(t.resources.c.key.in_(keys)))
        return {r.key: _generic(r) for r in rows}

    def storage_account_names(self) -> set[str]:
        """Names of every storage account record, lower-cased (for the orphan sweep)."""
        query = sa.select(t.resources.c.name_lower).where(t.resources.c.type_lower == "microsoft.storage/storageaccounts")
        return {r.name_lower for r in self._conn.execute(query)}

    def delete(self, key: str) -> None:
        self._conn.execute(t.resources.delete().where(t.resources.c.key == key))

    def move_of_workspace(self, ws_key: str, rg_key: str, location: str | None = None) -> int:
        """Re-root a workspace's associated records into another group: one pointer each (and, for
        a move to another region whose storage has been copied there, their location)."""
        values: dict[str, str] = {"resource_group_key": rg_key}
        if location is not None:
            values["location"] = location
        result = self._conn.execute(
            t.resources.update().where(t.resources.c.workspace_key == ws_key).values(**values)
        )
        return int(result.rowcount or 0)

    @staticmethod
    def _select() -> sa.Select:  # type: ignore[type-arg]
        return sa.select(
            t.resources, t.resource_groups.c.subscription_id, t.resource_groups.c.name.label("rg_name")
        ).join(t.resource_groups, t.resource_groups.c.key == t.resources.c.resource_group_key)


def _generic(row: sa.Row) -> GenericResource:  # type: ignore[type-arg]
    return GenericResource(
        key=row.key, resource_group_key=row.resource_group_key, subscription_id=row.subscription_id,
        resource_group_name=row.rg_name, namespace=row.namespace, type=row.type, name=row.name,
        location=row.location, properties=dict(row.properties or {}), workspace_key=row.workspace_key,
    )


def soft_delete_values(state: SoftDelete | None) -> dict[str, object]:
    """The soft-delete columns of a workspace or registry row."""
    if state is None:
        return {"deleted_at": None, "purge_at": None, "purge_dependents": False}
    return {"deleted_at": state.deleted_at, "purge_at": state.purge_at, "purge_dependents": state.delete_dependents}


def soft_delete_of(row: sa.Row) -> SoftDelete | None:  # type: ignore[type-arg]
    if row.deleted_at is None:
        return None
    return SoftDelete(row.deleted_at, row.purge_at, bool(row.purge_dependents))
