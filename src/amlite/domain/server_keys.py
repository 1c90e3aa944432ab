"""The server's own keys as the store keeps them: the token signing key and the secrets key.

Every server process on one store reads them from there, so processes share nothing but the
database and the object storage. ``material`` is the key itself, or (when ``wrapped_by`` names a
key-encryption key) a Fernet token of it under that key; the store never decides which.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The RSA private key (PKCS#8 PEM) that signs bearer tokens.
TOKEN_SIGNING_KEY = "token-signing"
#: The Fernet key that seals workspace secrets (datastore credentials).
SECRETS_KEY = "secrets"


@dataclass(frozen=True)
class StoredKey:
    name: str
    material: str
    #: None: ``material`` is the key in clear. Otherwise the fingerprint of the key-encryption key
    #: that wraps it, so a server given another one says so instead of failing to decrypt.
    wrapped_by: str | None
