"""The in-memory store's blob-endpoint index: paths and staged blocks of the containers amlite
serves (the SQL store's ``storage_path_repos``), for service tests without a database."""

from __future__ import annotations

from amlite.domain.storage_paths import StagedBlock, StoredPath
from amlite.store.memory_tx import Tx


class MemoryStoragePaths:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, account: str, container: str, path: str) -> StoredPath | None:
        return self._tx.rows.storage_paths.get((account, container, path))

    def put(self, item: StoredPath) -> None:
        self._tx.write().storage_paths[(item.account, item.container, item.path)] = item

    def under(self, account: str, container: str, prefix: str, limit: int) -> list[StoredPath]:
        found = [item for (a, c, p), item in self._tx.rows.storage_paths.items()
                 if a == account and c == container and p.startswith(prefix)]
        return sorted(found, key=lambda item: item.path)[:limit]


class MemoryStorageBlocks:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def put(self, account: str, container: str, path: str, block: StagedBlock) -> None:
        self._tx.write().storage_blocks.setdefault((account, container, path), {})[block.block_id] = block

    def of_path(self, account: str, container: str, path: str) -> dict[str, StagedBlock]:
        return dict(self._tx.rows.storage_blocks.get((account, container, path), {}))

    def clear(self, account: str, container: str, path: str) -> None:
        self._tx.write().storage_blocks.pop((account, container, path), None)
