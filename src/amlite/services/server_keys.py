"""The server's own keys (the token signing key, the secrets key), kept in the store so that every
server process on one database uses the same ones and needs nothing else shared: N processes on
one PostgreSQL database and one Azure Blob account sign tokens the others accept and open the
secrets the others sealed.

What protects a key at rest: a **key-encryption key** always wraps each key in the store
(Fernet: AES-128-CBC with HMAC-SHA256), so a copy of the database (a dump, a backup, a SQLite file
attached to a bug report) reveals neither key, and no workspace secret, without it.

- Configured (``AMLITE_KEY_ENCRYPTION_KEY``, or ``key_encryption_key_env`` / ``key_encryption_key``
  in the settings file; a Fernet key): every process given the same one shares the keys, with
  nothing but the database and that setting in common.
- Not configured: the server makes one on its first start, ``key-encryption.key`` in its data
  directory (owner-only), and uses it from then on. A second server on the same database with
  another data directory and no key-encryption key refuses to start (``KeyEncryptionKeyMismatch``)
  instead of making keys of its own: give every replica that file's content as
  ``AMLITE_KEY_ENCRYPTION_KEY``.

Keys stored in clear (by no release, but a hand-made row) are wrapped at the next start.

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
import os
import secrets
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

    def __init__(self, deps: Deps, key_encryption_key: str) -> None:
        self._deps = deps
        self._kek = Fernet(key_encryption_key.encode())
        self._kek_id = key_encryption_key_id(key_encryption_key)

    def load_or_create(self, name: str, make: Callable[[], bytes], legacy_file: Path | None = None) -> bytes:
        """The key called ``name``: the stored one; else the data directory's ``legacy_file``
        (imported); else ``make()``. Stored wrapped by the key-encryption key."""
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
            if stored.wrapped_by is None:  # stored in clear (a hand-made row): wrap it now
                uow.server_keys.save(self._stored(name, key), now)
                uow.commit()
                log.info("the %s key in the store is now wrapped by the key-encryption key", name)
        on_disk = _read(legacy_file)
        if on_disk is not None and on_disk.strip() != key.strip():
            log.warning("%s is not the store's %s key; the store's key is used", legacy_file, name)
        return key

    def _stored(self, name: str, key: bytes) -> StoredKey:
        return StoredKey(name, self._kek.encrypt(key).decode("ascii"), self._kek_id)

    def _unwrapped(self, stored: StoredKey) -> bytes:
        if stored.wrapped_by is None:
            return stored.material.encode("ascii")
        try:
            if stored.wrapped_by != self._kek_id:
                raise InvalidToken
            return self._kek.decrypt(stored.material.encode("ascii"))
        except InvalidToken:
            raise ServerKeyUnavailable(
                "KeyEncryptionKeyMismatch",
                f"The store's {stored.name} key is wrapped by another key-encryption key (fingerprint "
                f"{stored.wrapped_by}; this server's is {self._kek_id}). Start every server on this database with "
                "the same key in AMLITE_KEY_ENCRYPTION_KEY (a first server without one made it in its data "
                "directory: key-encryption.key).",
            ) from None


def local_key_encryption_key(path: Path) -> str:
    """The key-encryption key kept in the data directory (made, owner-only, if there is none), for
    a server whose settings name none. Published with link(2), which fails if the name exists: of
    two processes sharing a data directory and starting at once, one key wins and both use it."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                log.debug("another process made %s first; its key is used", path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def _read(path: Path | None) -> bytes | None:
    if path is None or not path.exists():
        return None
    return path.read_bytes()
