"""Blobs by path in the storage accounts amlite serves (``domain.storage_paths``)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from amlite.domain.storage_paths import StoredPath
from amlite.store import tables as t

T = t.storage_paths


def _path_hash(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8")).hexdigest()


class StoragePathRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, account: str, container: str, path: str) -> StoredPath | None:
        row = self._conn.execute(sa.select(T).where(
            T.c.account == account, T.c.container == container, T.c.path_hash == _path_hash(path))).first()
        return _stored(row) if row else None

    def put(self, item: StoredPath) -> None:
        """Create or replace the path's row (a blob PUT replaces the blob and its metadata)."""
        key = (T.c.account == item.account, T.c.container == item.container, T.c.path_hash == _path_hash(item.path))
        values = {"path": item.path, "sha256": item.sha256, "size": item.size, "content_type": item.content_type,
                  "blob_metadata": item.metadata, "etag": item.etag, "modified_at": item.modified_at}
        if self._conn.execute(T.update().where(*key).values(**values)).rowcount == 0:
            self._conn.execute(T.insert().values(account=item.account, container=item.container,
                                                 path_hash=_path_hash(item.path), **values))

    def under(self, account: str, container: str, prefix: str, limit: int) -> list[StoredPath]:
        """The container's paths starting with ``prefix``, in path order (at most ``limit``)."""
        query = sa.select(T).where(T.c.account == account, T.c.container == container)
        if prefix:
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(T.c.path.like(escaped + "%", escape="\\"))
        return [_stored(r) for r in self._conn.execute(query.order_by(T.c.path).limit(limit))]


def _stored(row: sa.Row) -> StoredPath:  # type: ignore[type-arg]
    return StoredPath(account=row.account, container=row.container, path=row.path, sha256=row.sha256, size=row.size,
                      content_type=row.content_type, metadata=dict(row.blob_metadata or {}), etag=row.etag,
                      modified_at=row.modified_at)
