"""Workspace bundles: the layout of a bundle and the rule that proves one whole before anything is
imported from it.

A bundle is a tar archive (optionally gzip-compressed) of:

- ``manifest.json`` — the format, where the bundle came from, and every other member's name,
  size and sha256;
- ``assets.json``, ``jobs.json``, ``runs.json``, ``datastores.json`` — the workspace's records
  (``domain.bundle_records`` says what each holds);
- ``blobs/sha256/<digest>`` — each artifact blob the records name, once (content-addressed, as
  in the workspace's storage: a file shared by ten versions is carried once).

The manifest cannot list its own checksum; it is what every other member is checked against,
and a manifest that does not parse, or names a member twice, refuses the bundle. A blob member's
name is its digest, so its recorded checksum must also equal its name.

``BundleCheck`` is fed every member as it is read (name, size, digest) and refuses the bundle at
the first member that is unknown, repeated, of the wrong size or digest, and at the end for a
member the manifest lists that never came (a truncated archive). Every refusal names the member.
Pure rules, no I/O: the service reads the archive and hashes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from amlite.domain.blobs import check_sha256
from amlite.domain.errors import InvalidInput

FORMAT = "amlite-workspace-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ASSETS = "assets.json"
JOBS = "jobs.json"
RUNS = "runs.json"
DATASTORES = "datastores.json"
DOCUMENTS = (ASSETS, JOBS, RUNS, DATASTORES)
BLOB_PREFIX = "blobs/sha256/"


def bundle_corrupt(member: str, why: str) -> InvalidInput:
    """The one refusal of a bad bundle: ``400 BundleCorrupt`` whose target is the bad member."""
    return InvalidInput("BundleCorrupt", f"The bundle is corrupt or incomplete: member '{member}' {why}. "
                        "Nothing was imported.", member)


def blob_member(sha256: str) -> str:
    return BLOB_PREFIX + check_sha256(sha256)


def blob_digest(member: str) -> str | None:
    """The digest a blob member is named by, or None for a member that is not a blob."""
    if not member.startswith(BLOB_PREFIX):
        return None
    return member[len(BLOB_PREFIX):]


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class BundleManifest:
    """What a bundle holds: ``source`` says where it was exported from (the workspace's id and
    region, for the reader; nothing on import depends on it)."""

    source: dict[str, str]
    created_at: str
    members: tuple[Member, ...]
    counts: dict[str, int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        body = {"format": FORMAT, "formatVersion": FORMAT_VERSION, "createdAt": self.created_at,
                "source": self.source, "counts": self.counts, "members": [m.as_json() for m in self.members]}
        return json.dumps(body, indent=1, sort_keys=True).encode()


def parse_manifest(raw: bytes) -> BundleManifest:
    """The manifest, or ``BundleCorrupt`` naming ``manifest.json`` for anything it should not be."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bundle_corrupt(MANIFEST, f"is not JSON ({exc})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise bundle_corrupt(MANIFEST, f"is not an amlite workspace bundle manifest (format '{FORMAT}')")
    if body.get("formatVersion") != FORMAT_VERSION:
        raise bundle_corrupt(MANIFEST, f"has format version {body.get('formatVersion')!r}; this amlite reads "
                             f"version {FORMAT_VERSION}")
    members: list[Member] = []
    seen: set[str] = set()
    for raw_member in body.get("members") or []:
        try:
            member = Member(str(raw_member["name"]), int(raw_member["size"]), str(raw_member["sha256"]).lower())
            check_sha256(member.sha256)
        except (KeyError, TypeError, ValueError, InvalidInput):
            raise bundle_corrupt(MANIFEST, f"lists a malformed member {raw_member!r}") from None
        if member.name in seen or member.name == MANIFEST:
            raise bundle_corrupt(MANIFEST, f"lists '{member.name}' more than once")
        digest = blob_digest(member.name)
        if digest is not None and digest != member.sha256:
            raise bundle_corrupt(member.name, f"is listed with sha256 {member.sha256}, not the digest it is named by")
        if digest is None and member.name not in DOCUMENTS:
            raise bundle_corrupt(member.name, "is not a member a bundle holds")
        seen.add(member.name)
        members.append(member)
    for doc in DOCUMENTS:
        if doc not in seen:
            raise bundle_corrupt(doc, "is missing from the manifest")
    source = body.get("source")
    counts = body.get("counts")
    source = source if isinstance(source, dict) else {}
    counts = counts if isinstance(counts, dict) else {}
    return BundleManifest({str(k): str(v) for k, v in source.items()}, str(body.get("createdAt", "")),
                          tuple(members), {str(k): int(v) for k, v in counts.items()})


class BundleCheck:
    """Checks an archive's members against its manifest as they are read (see the module)."""

    def __init__(self, manifest: BundleManifest) -> None:
        self._expected = {m.name: m for m in manifest.members}
        self._seen: set[str] = set()

    def observe(self, name: str, size: int, sha256: str) -> None:
        if name == MANIFEST and MANIFEST not in self._seen:
            self._seen.add(MANIFEST)
            return
        expected = self._expected.get(name)
        if expected is None:
            raise bundle_corrupt(name, "is not listed in the manifest")
        if name in self._seen:
            raise bundle_corrupt(name, "appears more than once")
        self._seen.add(name)
        if size != expected.size:
            raise bundle_corrupt(name, f"has {size} bytes, the manifest says {expected.size}")
        if sha256 != expected.sha256:
            raise bundle_corrupt(name, f"has sha256 {sha256}, the manifest says {expected.sha256}")

    def finish(self) -> None:
        for name in sorted(self._expected):
            if name not in self._seen:
                raise bundle_corrupt(name, "is listed in the manifest but missing from the archive (truncated?)")

