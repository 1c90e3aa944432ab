"""Asset and datastore references as Azure ML writes them, parsed into values.

Understood forms (``kind`` is known from the field the reference sits in):

    azureml:<name>:<version>                      a version in the same workspace
    azureml:<name>@<label>                        a managed label: ``latest`` (its newest non-archived
                                                  version), ``default`` for components; any label
                                                  parses, resolving applies the rule
                                                  (``domain.system_registry.resolve_label``)
    azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/<kind>/<name>/versions/<v>
    azureml:/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/
        workspaces/<ws>/<kind>/<name>/versions/<v>  (the ARM id Azure ML itself stores)
    azureml://datastores/<ds>/paths/<p>           a path on a datastore of the same workspace
    azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<p>

    azureml://registries/<reg>/<kind>/<name>/versions/<v>   a version in a registry of the tenant
    azureml://registries/<reg>/<kind>/<name>/labels/<label>  the same labels, in a registry; the
                                                  ``azureml`` registry is the built-in system registry

A registry's datastore-like URIs (``azureml://registries/.../paths/...``) are refused: registry
assets carry their files with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amlite.domain.assets import AssetKind, check_asset_name, check_version
from amlite.domain.errors import InvalidInput, invalid

CODE = "InvalidAssetReference"


@dataclass(frozen=True)
class WorkspaceLocator:
    """A workspace named by a long-form reference; ``None`` in a reference means "this workspace"."""

    subscription_id: str
    resource_group: str
    workspace: str


@dataclass(frozen=True)
class AssetRef:
    kind: AssetKind
    name: str
    version: str | None = None
    label: str | None = None
    workspace: WorkspaceLocator | None = None
    registry: str | None = None  # the registry's name for azureml://registries/... references

    def __str__(self) -> str:
        if self.registry is not None:
            tail = f"versions/{self.version}" if self.version is not None else f"labels/{self.label}"
            return f"azureml://registries/{self.registry}/{self.kind.value}/{self.name}/{tail}"
        return f"azureml:{self.name}" + (f":{self.version}" if self.version is not None else f"@{self.label}")


@dataclass(frozen=True)
class DatastorePath:
    datastore: str
    path: str
    workspace: WorkspaceLocator | None = None


_KINDS = {k.value: k for k in AssetKind}
_LONG_ASSET = re.compile(
    r"azureml://subscriptions/(?P<s>[^/]+)/resourcegroups/(?P<rg>[^/]+)/workspaces/(?P<ws>[^/]+)"
    r"/(?P<kind>[^/]+)/(?P<name>[^/]+)/versions/(?P<v>[^/]+)",
    re.IGNORECASE,
)
_ARM_ASSET = re.compile(
    r"azureml:/subscriptions/(?P<s>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/"
    r"microsoft\.machinelearningservices/workspaces/(?P<ws>[^/]+)/(?P<kind>[^/]+)/(?P<name>[^/]+)/versions/(?P<v>[^/]+)",
    re.IGNORECASE,
)
_REGISTRY_ASSET = re.compile(
    r"azureml://registries/(?P<reg>[^/]+)/(?P<kind>[^/]+)/(?P<name>[^/]+)/(?P<how>versions|labels)/(?P<v>[^/]+)",
    re.IGNORECASE,
)
_SHORT_DATASTORE = re.compile(r"azureml://datastores/(?P<ds>[^/]+)/paths/(?P<p>.*)", re.IGNORECASE)
_LONG_DATASTORE = re.compile(
    r"azureml://subscriptions/(?P<s>[^/]+)/resourcegroups/(?P<rg>[^/]+)/workspaces/(?P<ws>[^/]+)"
    r"/datastores/(?P<ds>[^/]+)/paths/(?P<p>.*)",
    re.IGNORECASE,
)


def is_reference(value: str) -> bool:
    return value.lower().startswith("azureml:")


def parse_asset_reference(value: object, kind: AssetKind, target: str) -> AssetRef:
    """Parse a reference to an asset of ``kind``; anything else is ``400 InvalidAssetReference``
    naming ``target``."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(CODE, f"A {kind.singular} reference must be a non-empty string.", target)
    text = value.strip()
    low = text.lower()
    if low.startswith("azureml://registries/"):
        return _registry_reference(text, kind, target)
    match = _LONG_ASSET.fullmatch(text) or _ARM_ASSET.fullmatch(text)
    if match:
        found = _KINDS.get(match["kind"].lower())
        if found is not kind:
            raise invalid(CODE, f"'{text}' refers to {match['kind']}, but {target} needs a {kind.singular}.", target)
        locator = WorkspaceLocator(match["s"], match["rg"], match["ws"])
        return AssetRef(kind, _name(match["name"], kind, text, target), _version(match["v"], kind, text, target),
                        workspace=locator)
    if low.startswith("azureml://"):
        raise invalid(CODE, f"'{text}' is not a {kind.singular} reference this server understands; use "
                      f"azureml:<name>:<version>, azureml:<name>@latest or azureml://subscriptions/<s>/resourcegroups/"
                      f"<rg>/workspaces/<ws>/{kind.value}/<name>/versions/<v>.", target)
    if not low.startswith("azureml:"):
        raise invalid(CODE, f"'{text}' is not a {kind.singular} reference: it must start with 'azureml:' "
                      "(local files are resolved and uploaded by the client).", target)
    body = text[len("azureml:"):]
    if "@" in body:
        name, label = body.rsplit("@", 1)
        if not label:
            raise invalid(CODE, f"'{text}' names no label after '@'.", target)
        return AssetRef(kind, _name(name, kind, text, target), label=label)
    if ":" in body:
        name, version = body.rsplit(":", 1)
        return AssetRef(kind, _name(name, kind, text, target), _version(version, kind, text, target))
    raise invalid(CODE, f"'{text}' names no version: write azureml:{body}:<version> or azureml:{body}@latest.", target)


def parse_datastore_path(value: str, target: str) -> DatastorePath | None:
    """``azureml://datastores/...`` (short or long form) as a value; ``None`` for other URIs.
    Registries' URIs are refused as not supported yet."""
    text = value.strip()
    if text.lower().startswith("azureml://registries/"):
        raise _registries_not_supported(text, target)
    match = _SHORT_DATASTORE.fullmatch(text)
    if match:
        return DatastorePath(_datastore(match["ds"], text, target), match["p"])
    match = _LONG_DATASTORE.fullmatch(text)
    if match:
        locator = WorkspaceLocator(match["s"], match["rg"], match["ws"])
        return DatastorePath(_datastore(match["ds"], text, target), match["p"], locator)
    return None


def _registry_reference(text: str, kind: AssetKind, target: str) -> AssetRef:
    match = _REGISTRY_ASSET.fullmatch(text)
    if match is None:
        raise invalid(CODE, f"'{text}' is not a registry {kind.singular} reference; use azureml://registries/<registry>/"
                      f"{kind.value}/<name>/versions/<version> or .../labels/latest.", target)
    found = _KINDS.get(match["kind"].lower())
    if found is not kind:
        raise invalid(CODE, f"'{text}' refers to {match['kind']}, but {target} needs a {kind.singular}.", target)
    name = _name(match["name"], kind, text, target)
    if match["how"].lower() == "labels":
        return AssetRef(kind, name, label=match["v"], registry=match["reg"])
    return AssetRef(kind, name, _version(match["v"], kind, text, target), registry=match["reg"])


def _registries_not_supported(text: str, target: str) -> InvalidInput:
    return invalid("InvalidAssetReference",
                   f"'{text}' is a registry path; a registry's files are reached through its assets "
                   "(azureml://registries/<registry>/<kind>/<name>/versions/<version>).", target)


def _name(name: str, kind: AssetKind, text: str, target: str) -> str:
    try:
        return check_asset_name(name, kind)
    except InvalidInput:
        raise invalid(CODE, f"'{text}' does not name a valid {kind.singular}.", target) from None


def _version(version: str, kind: AssetKind, text: str, target: str) -> str:
    try:
        return check_version(version, kind)
    except InvalidInput:
        raise invalid(CODE, f"'{text}' does not name a valid {kind.singular} version.", target) from None


def _datastore(name: str, text: str, target: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]{1,255}", name):
        raise invalid(CODE, f"'{text}' does not name a valid datastore.", target)
    return name
