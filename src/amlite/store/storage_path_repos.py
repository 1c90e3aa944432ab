"""Blobs by path in the storage accounts amlite serves (``domain.storage_paths``)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from amlite.domain.storage_paths import StagedBlock, StoredPath
from amlite.store import tables as t

T = t.storage_paths
B = t.storage_blocks


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


class StorageBlockRepository:
    """Uncommitted blocks, by path and block id (``tables.storage_blocks``)."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def put(self, account: str, container: str, path: str, block: StagedBlock) -> None:
        """Stage the block, replacing one staged before with the same id (as Azure does)."""
        key = {"account": account, "container": container, "path_hash": _path_hash(path), "block_id": block.block_id}
        self._conn.execute(B.delete().where(*(B.c[k] == v for k, v in key.items())))
        self._conn.execute(B.insert().values(**key, sha256=block.sha256, size=block.size, created_at=block.created_at))

    def of_path(self, account: str, container: str, path: str) -> dict[str, StagedBlock]:
        rows = self._conn.execute(sa.select(B).where(B.c.account == account, B.c.container == container,
                                                     B.c.path_hash == _path_hash(path)))
        return {r.block_id: StagedBlock(r.block_id, r.sha256, r.size, r.created_at) for r in rows}

    def clear(self, account: str, container: str, path: str) -> None:
        self._conn.execute(B.delete().where(B.c.account == account, B.c.container == container,
                                            B.c.path_hash == _path_hash(path)))


def _stored(row: sa.Row) -> StoredPath:  # type: ignore[type-arg]
    return StoredPath(account=row.account, container=row.container, path=row.path, sha256=row.sha256, size=row.size,
                      content_type=row.content_type, metadata=dict(row.blob_metadata or {}), etag=row.etag,
                      modified_at=row.modified_at)
