"""The embedded BlobStore: one directory per region, ``{root}/{account}/{container}/...``.

Deleting a container first renames it into a trash folder, so a crash mid-delete never leaves a
half-emptied container visible under its name; whatever is left in the trash is removed at the
next delete or start.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

_TRASH = ".trash"


class LocalBlobStore:
    def __init__(self, region: str, root: Path) -> None:
        self.region = region
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _container(self, account: str, container: str) -> Path:
        for part in (account, container):
            if not part or "/" in part or "\\" in part or part in {".", ".."} or part.startswith("."):
                raise ValueError(f"invalid storage name {part!r}")
        return self.root / account / container

    def ensure_container(self, account: str, container: str) -> None:
        self._container(account, container).mkdir(parents=True, exist_ok=True)

    def delete_container(self, account: str, container: str) -> None:
        path = self._container(account, container)
        if path.exists():
            trash = self.root / _TRASH
            trash.mkdir(exist_ok=True)
            target = trash / f"{account}.{container}.{uuid.uuid4().hex}"
            os.replace(path, target)
        self.empty_trash()

    def delete_account(self, account: str) -> None:
        for container in list(self.list_containers(account)):
            self.delete_container(account, container)
        base = self._account(account)
        if base.is_dir():
            base.rmdir()

    def _account(self, account: str) -> Path:
        if not account or "/" in account or "\\" in account or account.startswith("."):
            raise ValueError(f"invalid storage name {account!r}")
        return self.root / account

    def container_exists(self, account: str, container: str) -> bool:
        return self._container(account, container).is_dir()

    def list_containers(self, account: str) -> Iterator[str]:
        base = self.root / account
        if base.is_dir():
            yield from sorted(p.name for p in base.iterdir() if p.is_dir())

    def list_accounts(self) -> Iterator[str]:
        yield from sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def empty_trash(self) -> None:
        trash = self.root / _TRASH
        if trash.is_dir():
            for entry in trash.iterdir():
                shutil.rmtree(entry, ignore_errors=True)
