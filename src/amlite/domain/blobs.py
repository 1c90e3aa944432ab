"""Content-addressed blobs: the digest rule, the key layout and the errors every BlobStore shares.

A blob is named by the sha256 of its bytes, so the same bytes uploaded twice (even for different
assets) are stored once, and a key can never point at bytes other than the ones it names. Keys are
``sha256/<aa>/<bb>/<hexdigest>``: the two levels of fan-out keep any one directory (or listing
page) small on a local disk, as git's object store does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amlite.domain.errors import BlobHashMismatch, BlobNotFound, InvalidInput

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")

#: How much a store reads or writes at a time: large enough that per-chunk overhead vanishes,
#: small enough that a multi-GB upload holds only a few of these in memory.
CHUNK_SIZE = 1 << 20
#: How much a store-to-store copy moves at a time. Copies run on worker threads beside the server's
#: event loop; every chunk is a few hand-overs of Python's GIL (read, hash, write), and each may
#: wait for a thread running Python code, so fewer, larger chunks keep a busy server's copies near
#: the disk's speed. Three copies at once hold about six of these.
COPY_CHUNK_SIZE = 4 << 20


@dataclass(frozen=True)
class StoredBlob:
    """What a write left in the store: the blob's digest and size, and whether the same bytes were
    there already (then nothing new was stored)."""

    sha256: str
    size: int
    existed: bool = False


def check_sha256(value: str, target: str = "sha256") -> str:
    """The digest in canonical (lower-case hex) form; anything else is ``400 InvalidBlobDigest``."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidInput(
            "InvalidBlobDigest", f"'{value}' is not a sha256 digest: expected 64 hexadecimal characters.", target
        )
    return value.lower()


def is_digest(name: str) -> bool:
    """Whether a blob's name (the last part of its key) is a canonical digest."""
    return bool(_SHA256.fullmatch(name)) and name == name.lower()


def blob_key(sha256: str) -> str:
    """The blob's key inside its container: ``sha256/<aa>/<bb>/<hexdigest>``."""
    digest = check_sha256(sha256)
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


def hash_mismatch(expected: str, actual: str, size: int) -> BlobHashMismatch:
    return BlobHashMismatch(
        "BlobHashMismatch",
        f"The uploaded content ({size} bytes) has sha256 {actual}, not the expected {expected}; nothing was stored.",
        "sha256",
    )


def blob_not_found(account: str, container: str, sha256: str) -> BlobNotFound:
    return BlobNotFound("BlobNotFound", f"The blob sha256:{sha256} does not exist in {account}/{container}.")


def container_not_found(account: str, container: str) -> BlobNotFound:
    return BlobNotFound("ContainerNotFound", f"The storage container {account}/{container} does not exist.")
