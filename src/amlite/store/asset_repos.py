"""Repositories for asset containers and versions, and the workspace's secret namespace.

The same two repositories serve both owners of assets: bound to ``WORKSPACE_TABLES`` they read
and write a workspace's assets, bound to ``REGISTRY_TABLES`` a registry's. The tables have one
shape (the registry's versions add ``lineage``), so the rules are written once.

Version numbers are allocated under a lock on the container row: on SQLite the write unit of work
already holds the database's write lock (``BEGIN IMMEDIATE``); on PostgreSQL ``lock`` takes
``SELECT ... FOR UPDATE`` on the row, so concurrent writers of one asset queue there and each sees
the ``next_version`` the previous one left. A container is created with ``INSERT ... ON CONFLICT
DO NOTHING`` so that two first writers of a new name meet on the same row instead of one failing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from amlite.domain.assets import AssetContainer, AssetKind, AssetVersion, ListViewType, ManifestEntry
from amlite.domain.paging import Page
from amlite.domain.resources import SoftDelete
from amlite.store import tables as t
from amlite.store.resource_repos import paged, stamp_of, stamp_values



@dataclass(frozen=True)
class AssetTables:
    """The container and version tables of one kind of owner, and the owner's column."""

    containers: sa.Table
    versions: sa.Table
    owner_column: str


WORKSPACE_TABLES = AssetTables(t.asset_containers, t.asset_versions, "workspace_key")
REGISTRY_TABLES = AssetTables(t.registry_asset_containers, t.registry_asset_versions, "registry_key")


@dataclass(frozen=True)
class _Statements:
    """The statements a version write and a version read run, built once per pair of tables with
    bound parameters: building and keying a statement per call cost more than running it.
    Bound parameters are named ``b_*`` where an update also sets the column of that name."""

    container_by_name: sa.Select  # type: ignore[type-arg]
    container_locked: sa.Select  # type: ignore[type-arg]
    container_owner: sa.Select  # type: ignore[type-arg]
    container_update: sa.Update
    version_insert: sa.Insert
    version_update: sa.Update
    version_by_key: sa.Select  # type: ignore[type-arg]
    version_by_name: sa.Select  # type: ignore[type-arg]
    version_latest: sa.Select  # type: ignore[type-arg]
    version_max_seq: sa.Select  # type: ignore[type-arg]


@cache
def _statements(tables: AssetTables) -> _Statements:
    c, v = tables.containers, tables.versions
    by_name = sa.select(c).where(c.c[tables.owner_column] == sa.bindparam("b_owner"), c.c.kind == sa.bindparam("b_kind"),
                                 c.c.name_lower == sa.bindparam("b_name"))
    return _Statements(
        container_by_name=by_name,
        container_locked=by_name.with_for_update(),
        container_owner=sa.select(c.c[tables.owner_column].label("owner_key"), c.c.kind).where(c.c.key == sa.bindparam("b_key")),
        container_update=c.update().where(c.c.key == sa.bindparam("b_key")),
        version_insert=v.insert(),
        version_update=v.update().where(v.c.key == sa.bindparam("b_key")),
        version_by_key=sa.select(v).where(v.c.key == sa.bindparam("b_key")),
        version_by_name=sa.select(v).where(v.c.container_key == sa.bindparam("b_container"),
                                           v.c.version_lower == sa.bindparam("b_version")),
        version_latest=sa.select(v).where(v.c.container_key == sa.bindparam("b_container"), v.c.is_archived == sa.false(),
                                         v.c.deleted_at.is_(None))
        .order_by(v.c.seq.desc()).limit(1),
        version_max_seq=sa.select(sa.func.max(v.c.seq)).where(v.c.container_key == sa.bindparam("b_container")),
    )


_TAGS_INSERT = t.asset_version_tags.insert()
_TAGS_DELETE = t.asset_version_tags.delete().where(t.asset_version_tags.c.version_key == sa.bindparam("b_key"))


def _container_values(c: AssetContainer, owner_column: str) -> dict[str, Any]:
    return {
        owner_column: c.owner_key, "kind": c.kind.value, "name": c.name, "name_lower": c.name.lower(),
        "description": c.description, "tags": c.tags, "properties": c.properties, "is_archived": c.is_archived,
        "next_version": c.next_version, "etag": c.etag, **stamp_values(c.stamp),
    }


def _container(row: sa.Row, owner_column: str) -> AssetContainer:  # type: ignore[type-arg]
    return AssetContainer(
        key=row.key, owner_key=getattr(row, owner_column), kind=AssetKind(row.kind), name=row.name,
        description=row.description, tags=dict(row.tags or {}), properties=dict(row.properties or {}),
        is_archived=bool(row.is_archived), next_version=int(row.next_version), etag=row.etag, stamp=stamp_of(row),
    )


class AssetContainerRepository:
    def __init__(self, conn: sa.Connection, tables: AssetTables = WORKSPACE_TABLES) -> None:
        self._conn = conn
        self._t = tables
        self._c = tables.containers
        self._v = tables.versions
        self._s = _statements(tables)

    def _row(self, row: sa.Row) -> AssetContainer:  # type: ignore[type-arg]
        return _container(row, self._t.owner_column)

    def get(self, owner_key: str, kind: AssetKind, name: str) -> AssetContainer | None:
        row = self._conn.execute(self._s.container_by_name, _name_params(owner_key, kind, name)).first()
        return self._row(row) if row else None

    def lock(self, owner_key: str, kind: AssetKind, name: str) -> AssetContainer | None:
        """The container, locked against other writers until the unit of work ends."""
        query = self._s.container_locked if self._conn.dialect.name == "postgresql" else self._s.container_by_name
        row = self._conn.execute(query, _name_params(owner_key, kind, name)).first()
        return self._row(row) if row else None

    def add_if_missing(self, c: AssetContainer) -> None:
        """Insert the container unless one of that kind and name exists; never fails on a race."""
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(self._c).values(key=c.key, **_container_values(c, self._t.owner_column))
        self._conn.execute(stmt.on_conflict_do_nothing(index_elements=[self._t.owner_column, "kind", "name_lower"]))

    def save(self, c: AssetContainer) -> None:
        self._conn.execute(self._s.container_update, {"b_key": c.key, **_container_values(c, self._t.owner_column)})

    def list(self, owner_key: str, kind: AssetKind, view: ListViewType, offset: int, limit: int) -> Page[AssetContainer]:
        _c = self._c
        query = sa.select(_c).where(_c.c[self._t.owner_column] == owner_key, _c.c.kind == kind.value)
        if view is ListViewType.ACTIVE_ONLY:
            query = query.where(_c.c.is_archived == sa.false())
        elif view is ListViewType.ARCHIVED_ONLY:
            query = query.where(_c.c.is_archived == sa.true())
        return paged(self._conn, query.order_by(_c.c.name_lower), offset, limit, self._row)  # type: ignore[no-any-return]

    def latest_versions(self, container_keys: list[str]) -> dict[str, str]:
        """The ``@latest`` version string of each container (absent: none live)."""
        _v = self._v
        if not container_keys:
            return {}
        newest = (
            sa.select(_v.c.container_key, sa.func.max(_v.c.seq).label("seq"))
            .where(_v.c.container_key.in_(container_keys), _v.c.is_archived == sa.false(), _v.c.deleted_at.is_(None))
            .group_by(_v.c.container_key)
            .subquery()
        )
        query = sa.select(_v.c.container_key, _v.c.version).join(
            newest, sa.and_(newest.c.container_key == _v.c.container_key, newest.c.seq == _v.c.seq)
        )
        return {row.container_key: row.version for row in self._conn.execute(query)}


def _name_params(owner_key: str, kind: AssetKind, name: str) -> dict[str, str]:
    return {"b_owner": owner_key, "b_kind": kind.value, "b_name": name.lower()}


def _version_values(v: AssetVersion) -> dict[str, Any]:
    return {
        "container_key": v.container_key, "version": v.version, "version_lower": v.version.lower(), "seq": v.seq,
        "spec": v.spec, "manifest": [m.as_json() for m in v.manifest], "fingerprint": v.fingerprint,
        "description": v.description, "tags": v.tags, "is_archived": v.is_archived, "etag": v.etag,
        **stamp_values(v.stamp),
        "deleted_at": v.soft_delete.deleted_at if v.soft_delete else None,
        "purge_at": v.soft_delete.purge_at if v.soft_delete else None,
    }


def _version(row: sa.Row) -> AssetVersion:  # type: ignore[type-arg]
    lineage = getattr(row, "lineage", None)
    return AssetVersion(
        key=row.key, container_key=row.container_key, version=row.version, seq=int(row.seq), spec=dict(row.spec),
        manifest=tuple(ManifestEntry(m["path"], m["sha256"], int(m["size"])) for m in row.manifest or []),
        fingerprint=row.fingerprint, description=row.description, tags=dict(row.tags or {}),
        is_archived=bool(row.is_archived), etag=row.etag, stamp=stamp_of(row),
        lineage=dict(lineage) if lineage else None,
        soft_delete=SoftDelete(row.deleted_at, row.purge_at) if row.deleted_at is not None else None,
    )


class AssetVersionRepository:
    def __init__(self, conn: sa.Connection, tables: AssetTables = WORKSPACE_TABLES) -> None:
        self._conn = conn
        self._v = tables.versions
        self._tables = tables
        self._s = _statements(tables)

    def _values(self, v: AssetVersion) -> dict[str, Any]:
        values = _version_values(v)
        if "lineage" in self._v.c:
            values["lineage"] = v.lineage
        return values

    def add(self, v: AssetVersion) -> None:
        self._conn.execute(self._s.version_insert, {"key": v.key, **self._values(v)})
        self._index_tags(v, replace=False)

    def relink_lineage(self, old_workspace_id: str, new_workspace_id: str) -> int:
        if "lineage" not in self._v.c:
            return 0
        old = old_workspace_id.lower()
        # The JSON's text is a cheap pre-filter (names hold no '%' or '_' that matter: exact match follows).
        query = sa.select(self._v.c.key, self._v.c.lineage).where(
            sa.func.lower(sa.cast(self._v.c.lineage, sa.Text)).contains(old, autoescape=True))
        changed = 0
        for row in self._conn.execute(query).all():
            lineage = dict(row.lineage or {})
            if str(lineage.get("sourceWorkspaceId", "")).lower() != old:
                continue
            asset = str(lineage.get("sourceAssetId", ""))
            if asset.lower().startswith(old + "/"):
                lineage["sourceAssetId"] = new_workspace_id + asset[len(old):]
            lineage["sourceWorkspaceId"] = new_workspace_id
            self._conn.execute(self._v.update().where(self._v.c.key == row.key).values(lineage=lineage))
            changed += 1
        return changed

    def save(self, v: AssetVersion) -> None:
        self._conn.execute(self._s.version_update, {"b_key": v.key, **self._values(v)})
        self._index_tags(v, replace=True)

    def _index_tags(self, v: AssetVersion, *, replace: bool) -> None:
        """Keep a workspace version's entries in ``asset_version_tags`` equal to its tags, in the
        same unit of work as the version (registries' versions are not searched by tag)."""
        if self._tables is not WORKSPACE_TABLES:
            return
        if replace:
            self._conn.execute(_TAGS_DELETE, {"b_key": v.key})
        if not v.tags:
            return
        owner = self._conn.execute(self._s.container_owner, {"b_key": v.container_key}).one()
        self._conn.execute(_TAGS_INSERT, [
            {"version_key": v.key, "name_hash": tag_digest(name), "workspace_key": owner.owner_key,
             "kind": owner.kind, "value_hash": tag_digest(value), "name": name, "value": value,
             "created_at": v.stamp.created_at}
            for name, value in v.tags.items()
        ])

    def search_by_tags(self, owner_key: str, kind: AssetKind, tags: dict[str, str | None], view: ListViewType,
                       offset: int, limit: int) -> Page[tuple[AssetContainer, AssetVersion]]:
        """Versions of every ``kind`` asset of a workspace carrying each of ``tags`` (with that
        value, unless it is ``None``), newest first. The first tag is looked up in
        ``ix_asset_version_tags_lookup``; the others are checked per match by primary key."""
        assert self._tables is WORKSPACE_TABLES and tags, "a workspace's versions, by at least one tag"
        index, c, _v = t.asset_version_tags, self._tables.containers, self._v
        (first, first_value), *rest = sorted(tags.items())
        query = (
            sa.select(_v, *(col.label(f"c_{col.name}") for col in c.c))
            .select_from(index)
            .join(_v, _v.c.key == index.c.version_key)
            .join(c, c.c.key == _v.c.container_key)
            .where(index.c.workspace_key == owner_key, index.c.kind == kind.value, *_tag_is(index, first, first_value),
                   _v.c.deleted_at.is_(None))
        )
        for name, value in rest:
            other = index.alias()
            query = query.where(sa.exists().where(other.c.version_key == index.c.version_key,
                                                   *_tag_is(other, name, value)))
        if view is ListViewType.ACTIVE_ONLY:
            query = query.where(_v.c.is_archived == sa.false(), c.c.is_archived == sa.false())
        elif view is ListViewType.ARCHIVED_ONLY:
            query = query.where(sa.or_(_v.c.is_archived == sa.true(), c.c.is_archived == sa.true()))
        query = query.order_by(index.c.created_at.desc(), index.c.version_key.desc())
        owner_column = self._tables.owner_column

        def both(row: sa.Row) -> tuple[AssetContainer, AssetVersion]:  # type: ignore[type-arg]
            values = row._mapping
            container = _container(_Prefixed(values, "c_"), owner_column)  # type: ignore[arg-type]
            return container, _version(row)

        return paged(self._conn, query, offset, limit, both)  # type: ignore[no-any-return]

    def get_by_key(self, key: str) -> AssetVersion | None:
        """By key, soft-deleted or not (replication copies a recoverable version too)."""
        row = self._conn.execute(self._s.version_by_key, {"b_key": key}).first()
        return _version(row) if row else None

    def get(self, container_key: str, version: str) -> AssetVersion | None:
        """The live version (a soft-deleted one is not found: ``any_get``)."""
        found = self.any_get(container_key, version)
        return found if found is not None and found.soft_delete is None else None

    def any_get(self, container_key: str, version: str) -> AssetVersion | None:
        row = self._conn.execute(self._s.version_by_name, {"b_container": container_key,
                                                           "b_version": version.lower()}).first()
        return _version(row) if row else None

    def purge_due(self, now: datetime, limit: int) -> list[AssetVersion]:
        """Soft-deleted versions whose retention ended by ``now``, the oldest first."""
        _v = self._v
        query = sa.select(_v).where(_v.c.purge_at <= now).order_by(_v.c.purge_at).limit(limit)
        return [_version(row) for row in self._conn.execute(query)]

    def delete(self, key: str) -> None:
        """Purge a version's row (its tag index entries go with it)."""
        if self._tables is WORKSPACE_TABLES:
            self._conn.execute(t.asset_version_tags.delete().where(t.asset_version_tags.c.version_key == key))
        self._conn.execute(self._v.delete().where(self._v.c.key == key))

    def latest(self, container_key: str) -> AssetVersion | None:
        """The newest version that is not archived itself (the container's flag is the caller's)."""
        row = self._conn.execute(self._s.version_latest, {"b_container": container_key}).first()
        return _version(row) if row else None

    def keys_of_owner(self, owner_key: str) -> list[str]:
        """Every version key of one owner (a registry's versions, which its regions replicate)."""
        c = self._tables.containers
        query = sa.select(self._v.c.key).join(c, c.c.key == self._v.c.container_key).where(
            c.c[self._tables.owner_column] == owner_key)
        return [row.key for row in self._conn.execute(query)]

    def next_seq(self, container_key: str) -> int:
        current = self._conn.execute(self._s.version_max_seq, {"b_container": container_key}).scalar()
        return int(current or 0) + 1

    def list(self, container_key: str, view: ListViewType, container_archived: bool, tags: dict[str, str | None],
             offset: int, limit: int) -> Page[AssetVersion]:
        """Newest first. A version counts as archived when it or its container is; ``tags`` keeps
        versions carrying each tag (with that value, unless the value is ``None``)."""
        _v = self._v
        query = sa.select(_v).where(_v.c.container_key == container_key, _v.c.deleted_at.is_(None))
        if view is ListViewType.ACTIVE_ONLY:
            query = query.where(sa.false() if container_archived else _v.c.is_archived == sa.false())
        elif view is ListViewType.ARCHIVED_ONLY and not container_archived:
            query = query.where(_v.c.is_archived == sa.true())
        for key, value in sorted(tags.items()):
            element = _v.c.tags[key].as_string()
            query = query.where(element.is_not(None) if value is None else element == value)
        return paged(self._conn, query.order_by(_v.c.seq.desc()), offset, limit, _version)  # type: ignore[no-any-return]


def tag_digest(text: str) -> str:
    """How ``asset_version_tags`` finds a tag name or value: a fixed-size digest of its text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _tag_is(index: Any, name: str, value: str | None) -> tuple[sa.ColumnElement[bool], ...]:
    where = (index.c.name_hash == tag_digest(name), index.c.name == name)
    if value is None:
        return where
    return (*where, index.c.value_hash == tag_digest(value), index.c.value == value)


class _Prefixed:
    """The columns of a joined row that carry ``prefix``, read as attributes without it."""

    def __init__(self, mapping: Any, prefix: str) -> None:
        self._mapping = mapping
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return self._mapping[self._prefix + name]


class SecretRepository:
    """The workspace's secret namespace (its key vault): names to ciphertexts. Encryption and
    decryption are the service's; this table never sees a plaintext."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def put(self, key: str, ws_key: str, name: str, ciphertext: str, at: datetime) -> None:
        table = t.secrets
        updated = self._conn.execute(
            table.update().where(table.c.workspace_key == ws_key, table.c.name_lower == name.lower())
            .values(ciphertext=ciphertext, updated_at=at)
        )
        if not updated.rowcount:
            self._conn.execute(table.insert().values(
                key=key, workspace_key=ws_key, name=name, name_lower=name.lower(), ciphertext=ciphertext,
                created_at=at, updated_at=at,
            ))

    def get(self, ws_key: str, name: str) -> str | None:
        table = t.secrets
        row = self._conn.execute(
            sa.select(table.c.ciphertext).where(table.c.workspace_key == ws_key, table.c.name_lower == name.lower())
        ).first()
        return str(row.ciphertext) if row else None

    def delete(self, ws_key: str, name: str) -> None:
        table = t.secrets
        self._conn.execute(table.delete().where(table.c.workspace_key == ws_key, table.c.name_lower == name.lower()))
