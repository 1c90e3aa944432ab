"""Versioned assets: models, environments, components and data.

Every kind has one shape: a **container** per name that tracks the next integer version, and
**versions** under it. A version's content (its kind's fields, its ``properties`` and its artifact
manifest) is immutable and summarised by a fingerprint; only its description, tags and archived
flag change. ``@latest`` is the newest version, by creation order, that is not archived.

Pure functions and frozen values only: the clock and the ids are passed in by the services.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from amlite.domain.errors import NotFound, invalid
from amlite.domain.resources import AuditStamp, SoftDelete
from amlite.schemas.rules import asset_name_problem, version_problem


class AssetKind(str, Enum):
    """The path segment of each kind, as Azure ML's REST API spells it."""

    MODELS = "models"
    ENVIRONMENTS = "environments"
    COMPONENTS = "components"
    DATA = "data"
    #: A component's code folder, as azure-ai-ml uploads it before the component (its own kind in
    #: Azure ML, named by the component's ``code``).
    CODES = "codes"

    @property
    def singular(self) -> str:
        return {"models": "model", "environments": "environment", "components": "component", "data": "data",
                "codes": "code"}[self.value]

    @property
    def label(self) -> str:
        """The singular, capitalised, as messages start with it ("Model"); not ``title``, which
        would hide ``str.title``."""
        return self.singular.capitalize()


class ListViewType(str, Enum):
    ACTIVE_ONLY = "ActiveOnly"
    ARCHIVED_ONLY = "ArchivedOnly"
    ALL = "All"

    @classmethod
    def parse(cls, value: str | None) -> "ListViewType":
        if value is None or value == "":
            return cls.ACTIVE_ONLY
        # azure-ai-ml's registry client sends the enum's str(), ``ListViewType.ACTIVE_ONLY``: one value.
        wanted = value.removeprefix("ListViewType.").replace("_", "").lower()
        for view in cls:
            if view.value.lower() == wanted:
                return view
        raise invalid("InvalidParameter",
                      f"listViewType '{value}' is not valid; use ActiveOnly, ArchivedOnly or All.", "listViewType")


LATEST_LABEL = "latest"


def check_asset_name(name: object, kind: AssetKind) -> str:
    """Azure ML's asset names (:func:`amlite.schemas.rules.asset_name_problem`, the SDK's rule too)."""
    if not isinstance(name, str) or not name:
        raise invalid("InvalidAssetName", f"A {kind.singular} needs a name.", "name")
    problem = asset_name_problem(name)
    if problem is not None:
        raise invalid("InvalidAssetName", f"{problem}.", "name")
    return name


def check_version(version: object, kind: AssetKind) -> str:
    """Versions are strings: ``1`` and ``"1"`` are the same version
    (:func:`amlite.schemas.rules.version_problem`, the SDK's rule too)."""
    if isinstance(version, bool) or version is None:
        raise invalid("InvalidAssetVersion", f"A {kind.singular} version must be a string.", "version")
    if isinstance(version, int):
        version = str(version)
    if not isinstance(version, str):
        raise invalid("InvalidAssetVersion", f"A {kind.singular} version must be a string.", "version")
    problem = version_problem(version)
    if problem is not None:
        raise invalid("InvalidAssetVersion", f"{problem}.", "version")
    return version


def integer_version(version: str) -> int | None:
    """The version as a whole number when it is one (``"7"``), so explicit versions move the
    container's ``nextVersion`` past them."""
    return int(version) if version.isdigit() and len(version) < 19 else None


def next_version_after(current_next: int, created: str) -> int:
    """The container's ``nextVersion`` once ``created`` exists."""
    number = integer_version(created)
    return max(current_next, number + 1) if number is not None else current_next


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a version's artifacts: where it sits in the tree, and which blob holds it."""

    path: str
    sha256: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class AssetContainer:
    """A name's versions and what they share. ``owner_key`` is the workspace's or the registry's
    key (``domain.asset_owners``): the same rules hold whoever owns the asset."""

    key: str
    owner_key: str
    kind: AssetKind
    name: str
    description: str
    tags: dict[str, str]
    properties: dict[str, str]
    is_archived: bool
    next_version: int
    etag: str
    stamp: AuditStamp


@dataclass(frozen=True)
class AssetVersion:
    key: str
    container_key: str
    version: str
    seq: int
    spec: dict[str, Any]
    manifest: tuple[ManifestEntry, ...]
    fingerprint: str
    description: str
    tags: dict[str, str]
    is_archived: bool
    etag: str
    stamp: AuditStamp
    # Registry versions shared from a workspace: {sourceAssetId, sourceWorkspaceId, sourceJobName?}.
    lineage: dict[str, str] | None = None
    # Set while soft-deleted (amlite's addition): hidden, recoverable until its purge date.
    soft_delete: SoftDelete | None = None

    def archived_in(self, container: AssetContainer) -> bool:
        """Archiving a container hides all its versions (Azure ML's rule)."""
        return self.is_archived or container.is_archived


@dataclass(frozen=True)
class VersionContent:
    """What a request says a version is: immutable content plus the mutable fields it names
    (``None`` means "not given")."""

    spec: dict[str, Any]
    manifest: tuple[ManifestEntry, ...] = ()
    description: str | None = None
    tags: dict[str, str] | None = None
    is_archived: bool | None = None
    lineage: dict[str, str] | None = None  # not content: a shared copy keeps its source's fingerprint

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.spec, self.manifest)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(spec: dict[str, Any], manifest: tuple[ManifestEntry, ...]) -> str:
    """A digest of everything immutable: the spec and the manifest sorted by path, so two requests
    describing the same content hash alike whatever order they list it in."""
    body = {"spec": spec, "artifacts": [m.as_json() for m in sorted(manifest, key=lambda m: m.path)]}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def differing_fields(existing: AssetVersion, content: VersionContent) -> list[str]:
    """The immutable fields in which ``content`` differs from an existing version, by wire name."""
    keys = sorted(set(existing.spec) | set(content.spec))
    diff = [k for k in keys if canonical_json(existing.spec.get(k)) != canonical_json(content.spec.get(k))]
    if sorted(existing.manifest, key=lambda m: m.path) != sorted(content.manifest, key=lambda m: m.path):
        diff.append("artifacts")
    return diff


def check_manifest(raw: object, target: str = "properties.artifacts") -> tuple[ManifestEntry, ...]:
    """A manifest is a list of ``{path, sha256, size}`` with distinct POSIX relative paths that
    stay inside the asset's tree: no absolute paths, no ``..``, no empty segments."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise invalid("InvalidRequestContent", "artifacts must be a list of {path, sha256, size}.", target)
    entries: list[ManifestEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"{target}[{index}]"
        if not isinstance(item, dict):
            raise invalid("InvalidRequestContent", "Each artifact must be an object {path, sha256, size}.", where)
        path = check_relative_path(item.get("path"), f"{where}.path")
        digest = item.get("sha256")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
            raise invalid("InvalidBlobDigest", f"Artifact '{path}' has no valid sha256 (64 hexadecimal characters).",
                          f"{where}.sha256")
        size = item.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise invalid("InvalidRequestContent", f"Artifact '{path}' needs a size in bytes (a whole number >= 0).",
                          f"{where}.size")
        if path in seen:
            raise invalid("InvalidRequestContent", f"Artifact path '{path}' is listed twice.", f"{where}.path")
        seen.add(path)
        entries.append(ManifestEntry(path, digest.lower(), size))
    folders = {path.rsplit("/", i)[0] for path in seen for i in range(1, path.count("/") + 1)}
    clash = sorted(seen & folders)
    if clash:
        raise invalid("InvalidArtifactPath", f"Artifact path '{clash[0]}' is both a file and a folder of other "
                      "files; a tree cannot hold both.", target)
    return tuple(sorted(entries, key=lambda m: m.path))


def check_relative_path(value: object, target: str) -> str:
    if not isinstance(value, str) or not value:
        raise invalid("InvalidRequestContent", "An artifact path must be a non-empty string.", target)
    if "\\" in value or any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise invalid("InvalidArtifactPath",
                      f"Artifact path {value!r} must use '/' and no '\\' or control characters (newline, NUL...).",
                      target)
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        raise invalid("InvalidArtifactPath", f"Artifact path '{value}' must be relative to the upload root.", target)
    parts = value.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise invalid("InvalidArtifactPath",
                      f"Artifact path '{value}' escapes or does not name a file inside the upload root.", target)
    return value


# -- containers and versions ---------------------------------------------------------------------


def new_container(key: str, owner_key: str, kind: AssetKind, name: str, etag: str, stamp: AuditStamp) -> AssetContainer:
    return AssetContainer(key=key, owner_key=owner_key, kind=kind, name=name, description="", tags={},
                          properties={}, is_archived=False, next_version=1, etag=etag, stamp=stamp)


def updated_version(version: AssetVersion, content: VersionContent, etag: str, stamp: AuditStamp) -> AssetVersion | None:
    """The version with the mutable fields ``content`` names applied, or ``None`` when nothing changes."""
    description = version.description if content.description is None else content.description
    tags = version.tags if content.tags is None else content.tags
    archived = version.is_archived if content.is_archived is None else content.is_archived
    if (description, tags, archived) == (version.description, version.tags, version.is_archived):
        return None
    return replace(version, description=description, tags=tags, is_archived=archived, etag=etag, stamp=stamp)


def asset_not_found(kind: AssetKind, name: str, version: str | None = None) -> NotFound:
    if version is None:
        return NotFound("ResourceNotFound", f"The {kind.singular} container '{name}' was not found.")
    if version == "@" + LATEST_LABEL:
        return NotFound("ResourceNotFound",
                        f"The {kind.singular} '{name}' has no version that is not archived, so it has no latest version.")
    return NotFound("ResourceNotFound", f"The {kind.singular} '{name}' has no version '{version}'.")


def parse_tag_filter(text: str | None) -> dict[str, str | None]:
    """Azure ML's ``tags`` list filter: ``k1=v1,k2`` keeps items tagged k1=v1 that also carry k2."""
    if not text:
        return {}
    wanted: dict[str, str | None] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not key:
            raise invalid("InvalidParameter", f"The tags filter '{text}' names an empty tag.", "tags")
        wanted[key] = value.strip() if sep else None
    return wanted
