"""The server's own keys (the token signing key, the secrets key), kept in the store so that every
server process on one database uses the same ones and needs nothing else shared: N processes on
one PostgreSQL database and one Azure Blob account sign tokens the others accept and open the
secrets the others sealed.

What protects a key at rest:

- With a **key-encryption key** (``AMLITE_KEY_ENCRYPTION_KEY``, or ``key_encryption_key_env`` /
  ``key_encryption_key`` in the settings file; a Fernet key), each key is stored wrapped by it
  (Fernet: AES-128-CBC with HMAC-SHA256), so a copy of the database reveals neither key, and no
  workspace secret, without the key-encryption key. Keys stored in clear by an earlier start are
  wrapped at the first start that is given one.
- Without one, the keys are stored **in clear** and only the database's own access control
  protects them: whoever can read the ``server_keys`` table (a dump, a backup, a SQLite file) can
  sign tokens and open every workspace secret. Give a key-encryption key whenever the database or
  its backups are reachable by anyone who must not have that power.

A deployment from before the keys moved keeps its keys: on the first start of this version the
data directory's ``signing-key.pem`` and ``secrets.key`` are imported (the same bytes), so tokens
already issued and secrets already sealed stay valid. Afterwards the store is the source of
truth; the files are no longer read and may be removed.

Servers starting together agree on one key: the first to insert a key wins (its primary key),
and a start that loses the race reads the winner's (on PostgreSQL the start-up lock already
serializes starts; on SQLite the write lock does).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from amlite.domain.errors import AmliteError, Conflict
from amlite.domain.server_keys import StoredKey
from amlite.services.context import Deps

log = logging.getLogger(__name__)


class ServerKeyUnavailable(AmliteError):
    """A key in the store cannot be unwrapped with the key-encryption key this server was given
    (or was given none): the server must not start, or it would make keys of its own."""


def key_encryption_key_id(key_encryption_key: str) -> str:
    """A fingerprint naming a key-encryption key without revealing it (stored with wrapped keys)."""
    return hashlib.sha256(b"amlite-key-encryption-key:" + key_encryption_key.encode()).hexdigest()[:16]


class ServerKeyStore:
    """Loads the server's keys from the store, making or importing each on the first start."""

    def __init__(self, deps: Deps, key_encryption_key: str | None = None) -> None:
        self._deps = deps
        self._kek = Fernet(key_encryption_key.encode()) if key_encryption_key else None
        self._kek_id = key_encryption_key_id(key_encryption_key) if key_encryption_key else None

    def load_or_create(self, name: str, make: Callable[[], bytes], legacy_file: Path | None = None) -> bytes:
        """The key called ``name``: the stored one; else the data directory's ``legacy_file``
        (imported); else ``make()``. Stored wrapped when a key-encryption key was given."""
        for attempt in range(2):
            try:
                return self._load_or_create(name, make, legacy_file)
            except Conflict:  # another server inserted it first: read theirs
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _load_or_create(self, name: str, make: Callable[[], bytes], legacy_file: Path | None) -> bytes:
        with self._deps.uow(write=True) as uow:
            stored = uow.server_keys.get(name)
            now = self._deps.clock.now()
            if stored is None:
                key = _read(legacy_file)
                if key is not None:
                    log.info("imported the %s key from %s into the store", name, legacy_file)
                else:
                    key = make()
                uow.server_keys.add(self._stored(name, key), now)
                uow.commit()
                return key
            key = self._unwrapped(stored)
            if self._kek_id is not None and stored.wrapped_by is None:  # stored in clear before: wrap it now
                uow.server_keys.save(self._stored(name, key), now)
                uow.commit()
                log.info("the %s key in the store is now wrapped by the key-encryption key", name)
        on_disk = _read(legacy_file)
        if on_disk is not None and on_disk.strip() != key.strip():
            log.warning("%s is not the store's %s key; the store's key is used", legacy_file, name)
        return key

    def _stored(self, name: str, key: bytes) -> StoredKey:
        if self._kek is None:
            return StoredKey(name, key.decode("ascii"), None)
        return StoredKey(name, self._kek.encrypt(key).decode("ascii"), self._kek_id)

    def _unwrapped(self, stored: StoredKey) -> bytes:
        if stored.wrapped_by is None:
            return stored.material.encode("ascii")
        if self._kek is None:
            raise ServerKeyUnavailable(
                "KeyEncryptionKeyRequired",
                f"The store's {stored.name} key is wrapped by a key-encryption key (fingerprint {stored.wrapped_by}); "
                "start the server with the same key in AMLITE_KEY_ENCRYPTION_KEY or key_encryption_key_env.",
            )
        try:
            if stored.wrapped_by != self._kek_id:
                raise InvalidToken
            return self._kek.decrypt(stored.material.encode("ascii"))
        except InvalidToken:
            raise ServerKeyUnavailable(
                "KeyEncryptionKeyMismatch",
                f"The store's {stored.name} key is wrapped by another key-encryption key (fingerprint "
                f"{stored.wrapped_by}; this server's is {self._kek_id}).",
            ) from None


def _read(path: Path | None) -> bytes | None:
    if path is None or not path.exists():
        return None
    return path.read_bytes()
