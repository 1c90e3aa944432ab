"""The workspace's secret namespace (what Azure keeps in the workspace's key vault).

Secrets are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under one
key made on first start and kept, readable by the owner only, in the data directory, as the token
signing key is. The metadata store only ever holds ciphertext, so a copy of the database (a
backup, a dump attached to a bug report) reveals no credential without the key file.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from amlite.domain.errors import AmliteError
from amlite.ports import UnitOfWork
from amlite.services.context import Deps
from amlite.services.key_files import load_or_create


class SecretKeyMismatch(AmliteError):
    """A stored secret cannot be decrypted: the key file is not the one it was encrypted with."""


class SecretBox:
    """Encrypts and decrypts secret values under the server's secret key."""

    def __init__(self, key_file: Path) -> None:
        self._fernet = Fernet(load_or_create(key_file, Fernet.generate_key).strip())

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretKeyMismatch(
                "SecretDecryptionFailed",
                "A stored secret cannot be decrypted with this server's secret key (was the data directory's "
                "secrets.key replaced?).",
            ) from None


class SecretNamespace:
    """Putting, reading and removing a workspace's secrets inside a caller's unit of work, so a
    secret and the record that names it are committed together."""

    def __init__(self, deps: Deps, box: SecretBox) -> None:
        self._deps = deps
        self._box = box

    def put(self, uow: UnitOfWork, workspace_key: str, name: str, value: str) -> None:
        uow.secrets.put(self._deps.ids.new_id(), workspace_key, name, self._box.seal(value), self._deps.clock.now())

    def get(self, uow: UnitOfWork, workspace_key: str, name: str) -> str | None:
        ciphertext = uow.secrets.get(workspace_key, name)
        return None if ciphertext is None else self._box.open(ciphertext)

    def delete(self, uow: UnitOfWork, workspace_key: str, name: str) -> None:
        uow.secrets.delete(workspace_key, name)
