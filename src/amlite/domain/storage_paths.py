"""Blobs by path, as Azure Blob Storage clients see a container, and the SAS tokens that admit them.

amlite serves its storage accounts itself (``https://{account}.blob.{storage suffix}``), so that
azure-ai-ml's uploads land where amlite can use them. A client names blobs by path
(``LocalUpload/<hash>/model.pkl``); the bytes are stored once, content-addressed, in the owner's
object storage, and a ``StoredPath`` row maps the path to them, with the blob's metadata.

Access is by shared access signature (SAS), as Azure's ``listSecrets`` (``expirableSecret``) and
registry ``tempdatarefs`` hand out: a token amlite signs with a key of its own, for one container
of one account in one region, with permissions and an expiry. The region travels signed in the
token (its signed identifier, ``si``), so the storage endpoint needs no lookup to find the bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode

from amlite.domain.errors import AuthorizationFailed

#: The storage service version amlite answers as (azure-storage-blob sends newer; they agree on
#: every call amlite serves).
SERVICE_VERSION = "2021-08-06"
SAS_KEY = "storage-sas"
#: Read, add, create, write, delete, list.
ALL_PERMISSIONS = "racwdl"


@dataclass(frozen=True)
class StoredPath:
    """One blob of a container, by path: its bytes' digest and size, and what the client set."""

    account: str
    container: str
    path: str
    sha256: str
    size: int
    content_type: str
    metadata: dict[str, str]
    etag: str
    modified_at: datetime


@dataclass(frozen=True)
class StagedBlock:
    """A block of a block upload, staged and not yet part of a blob: its bytes' digest and size."""

    block_id: str
    sha256: str
    size: int
    created_at: datetime


#: Azure's limits: a block id is at most 64 bytes before base64, a blob at most 50,000 blocks.
MAX_BLOCK_ID = 88
MAX_BLOCKS = 50_000


@dataclass(frozen=True)
class SasGrant:
    """What a valid SAS admits: one container of one account, in one region's storage."""

    account: str
    container: str
    region: str
    permissions: str
    expires: datetime


def _string_to_sign(account: str, container: str, region: str, permissions: str, expiry: str) -> bytes:
    return "\n".join((account.lower(), container, region, permissions, expiry, SERVICE_VERSION)).encode()


def _signature(key: bytes, account: str, container: str, region: str, permissions: str, expiry: str) -> str:
    """Hex, not base64: nothing in it for a client to quote or unquote differently."""
    return hmac.new(key, _string_to_sign(account, container, region, permissions, expiry), hashlib.sha256).hexdigest()


def sign_sas(key: bytes, account: str, container: str, region: str, permissions: str, expires: datetime) -> str:
    """The query string of a container SAS (Azure's ``sv, sr, sp, se, sig``; its signed identifier ``si`` names the region: clients pass on only the parameters Azure defines)."""
    expiry = expires.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sig = _signature(key, account, container, region, permissions, expiry)
    return urlencode({"sv": SERVICE_VERSION, "sr": "c", "sp": permissions, "se": expiry, "si": region, "sig": sig})


def check_sas(key: bytes, account: str, container: str, query: dict[str, str], needed: str,
              now: datetime) -> SasGrant:
    """The grant of the request's SAS, which must be amlite's, for this container, unexpired and
    carrying ``needed``; otherwise ``403 AuthenticationFailed`` (Azure Storage's code)."""
    sig, expiry, permissions, region = (query.get(k, "") for k in ("sig", "se", "sp", "si"))
    if not sig:
        raise _refused("The request carries no shared access signature; ask listSecrets (or tempdatarefs) for one.")
    wanted = _signature(key, account, container, region, permissions, expiry)
    if query.get("sv") != SERVICE_VERSION or not hmac.compare_digest(wanted, sig):
        raise _refused("The shared access signature is not valid for this container.")
    try:
        expires = datetime.strptime(expiry, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise _refused("The shared access signature has no valid expiry.") from None
    if expires <= now:
        raise _refused("The shared access signature has expired.")
    if not set(needed) <= set(permissions):
        raise _refused(f"The shared access signature does not grant '{needed}'.")
    return SasGrant(account.lower(), container, region, permissions, expires)


def _refused(message: str) -> AuthorizationFailed:
    return AuthorizationFailed("AuthenticationFailed", message)
