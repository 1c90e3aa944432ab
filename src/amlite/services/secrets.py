"""The workspace's secret namespace (what Azure keeps in the workspace's key vault).

Secrets are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under one
key made on first start and kept in the store with the token signing key (``services.server_keys``,
which says what protects it). The secrets table only ever holds ciphertext; with a key-encryption
key configured, a copy of the database (a backup, a dump attached to a bug report) reveals no
credential without that key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from amlite.domain.errors import AmliteError
from amlite.ports import UnitOfWork
from amlite.services.context import Deps


class SecretKeyMismatch(AmliteError):
    """A stored secret cannot be decrypted: the secrets key is not the one it was encrypted with."""


def new_secrets_key() -> bytes:
    """A fresh secrets key (a Fernet key: 32 random bytes, url-safe base64)."""
    return Fernet.generate_key()


class SecretBox:
    """Encrypts and decrypts secret values under the server's secret key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key.strip())

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretKeyMismatch(
                "SecretDecryptionFailed",
                "A stored secret cannot be decrypted with this server's secrets key (was the store's "
                "server_keys row replaced?).",
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

    def sealed(self, uow: UnitOfWork, workspace_key: str, name: str) -> str | None:
        """The secret as stored, still encrypted under the server's key (a backup carries it so)."""
        return uow.secrets.get(workspace_key, name)

    def put_sealed(self, uow: UnitOfWork, workspace_key: str, name: str, ciphertext: str) -> bool:
        """Store a secret sealed by ``sealed`` (on this deployment or one sharing its secrets key);
        False, storing nothing, when this server's key cannot open it."""
        try:
            self._box.open(ciphertext)
        except SecretKeyMismatch:
            return False
        uow.secrets.put(self._deps.ids.new_id(), workspace_key, name, ciphertext, self._deps.clock.now())
        return True
