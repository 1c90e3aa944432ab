"""The ``azureml`` system registry (``domain.system_registry``): its data, the references that
name it, and the refusal of writes. Its REST reads are ``services.system_registry_reads``.

Any signed-in principal of any tenant may read it, as every Azure ML workspace can: there is no
role assignment to check, since the registry belongs to no tenant. Writes are refused before
anything is read (``refuse_write``). The data is the package's generated file
(``amlite/data/azureml_environments.json``), loaded once on first use.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from amlite.domain.asset_owners import AssetOwner, OwnerType, RegionStorage
from amlite.domain.assets import AssetContainer, AssetKind, AssetVersion
from amlite.domain.errors import AuthorizationFailed, InvalidInput, invalid
from amlite.domain.references import AssetRef
from amlite.domain.system_registry import (
    READ_ONLY_CODE,
    SYSTEM_REGISTRY_LOCATION,
    SYSTEM_REGISTRY_NAME,
    SYSTEM_RESOURCE_GROUP,
    SYSTEM_SUBSCRIPTION_ID,
    CuratedCatalog,
    read_only_message,
    resolve_label,
)

DATA_FILE = "azureml_environments.json"
SYSTEM_OWNER = AssetOwner(
    type=OwnerType.REGISTRY, key=f"system:{SYSTEM_REGISTRY_NAME}", name=SYSTEM_REGISTRY_NAME,
    subscription_id=SYSTEM_SUBSCRIPTION_ID, resource_group_name=SYSTEM_RESOURCE_GROUP,
    location=SYSTEM_REGISTRY_LOCATION, writable=False,
    regions=(RegionStorage(SYSTEM_REGISTRY_LOCATION, "", ""),),
)


@cache
def curated_catalog() -> CuratedCatalog:
    text = resources.files("amlite").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return CuratedCatalog.from_json(json.loads(text))


def refuse_write(what: str) -> AuthorizationFailed:
    return AuthorizationFailed(READ_ONLY_CODE, read_only_message(what))


def reference_not_found(message: str, target: str) -> InvalidInput:
    return invalid("AssetReferenceNotFound", message, target)


def resolve(ref: AssetRef, target: str) -> tuple[AssetContainer, AssetVersion]:
    """The version a reference to the system registry names; ``400`` naming ``target`` when it
    names nothing there (the reference resolver's wording, since it is a reference that failed)."""
    env = curated_catalog().get(ref.name) if ref.kind is AssetKind.ENVIRONMENTS else None
    if env is None:
        what = ("curated environment" if ref.kind is AssetKind.ENVIRONMENTS
                else f"{ref.kind.singular} (it holds curated environments only)")
        raise reference_not_found(f"The {what} '{ref.name}' referenced as '{ref}' does not exist in registry "
                                  f"'{SYSTEM_REGISTRY_NAME}'.", target)
    if ref.version is not None:
        found = env.version(ref.version)
        if found is None:
            raise reference_not_found(f"The curated environment '{ref.name}' has no version '{ref.version}' "
                                      f"(referenced as '{ref}'); its newest is '{env.latest.version}'.", target)
        return env.container, found
    resolve_label(ref.label or "", ref.kind, target, str(ref))
    return env.container, env.latest
