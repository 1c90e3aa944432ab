"""Asset containers, asset versions and datastores to ARM JSON, as Azure ML's REST API shapes
them (``ModelContainerResource``, ``ModelVersionResource``, ``DatastoreResource``...), so Azure
clients read them unchanged. Secrets never appear here."""

from __future__ import annotations

from typing import Any

from amlite.api.render import system_data, ts
from amlite.domain.assets import AssetKind
from amlite.domain.replication import RegionReplica, ReplicationState
from amlite.services.assets import ContainerView, VersionView
from amlite.services.datastores import STORAGE_FIELD, DatastoreSecrets, DatastoreView

ML = "Microsoft.MachineLearningServices/workspaces"


def container(view: ContainerView, data_plane: bool = False) -> dict[str, Any]:
    """``data_plane``: as the registry data plane answers, with the asset id as the ``id``."""
    c = view.container
    return {
        "id": _asset_id(view.owner.name, c.kind, c.name) if data_plane else view.arm_id, "name": c.name, "type": f"{view.owner.resource_type}/{c.kind.value}",
        "properties": {
            "description": c.description, "tags": c.tags, "properties": c.properties, "isArchived": c.is_archived,
            "latestVersion": view.latest_version, "nextVersion": str(c.next_version), "provisioningState": "Succeeded",
        },
        "systemData": system_data(c.stamp),
    }


def version(view: VersionView, data_plane: bool = False) -> dict[str, Any]:
    """``data_plane``: as the registry data plane answers, with the asset id as the ``id``
    (azure-ai-ml refuses a registry version whose id is an ARM id)."""
    v = view.version
    props: dict[str, Any] = {
        "description": v.description, "tags": v.tags, "isArchived": view.is_archived, "isAnonymous": False,
        **view.spec,
    }
    if view.container.kind is AssetKind.ENVIRONMENTS:
        props["environmentType"] = "UserCreated"
    if view.container.kind is AssetKind.MODELS:
        props.setdefault("flavors", {})  # Azure ML always answers an object (azure-ai-ml reads it as one)
    if v.manifest:
        props["artifacts"] = [m.as_json() for m in v.manifest]
    if v.lineage:
        props["lineage"] = dict(v.lineage)
    if view.owner.is_registry:
        props["replication"] = [_replica(r) for r in view.replication]
    props["provisioningState"] = "Succeeded"
    return {
        "id": _asset_id(view.owner.name, view.container.kind, view.container.name, v.version) if data_plane
        else view.arm_id,
        "name": v.version, "type": f"{view.owner.resource_type}/{view.container.kind.value}/versions",
        "properties": props, "systemData": system_data(v.stamp),
    }


def _asset_id(registry: str, kind: AssetKind, name: str, version: str | None = None) -> str:
    """A registry asset's id as Azure ML names it: ``azureml://registries/{r}/{kind}/{name}[/versions/{v}]``."""
    return f"azureml://registries/{registry}/{kind.value}/{name}" + (f"/versions/{version}" if version else "")


def _replica(r: RegionReplica) -> dict[str, Any]:
    body: dict[str, Any] = {"location": r.location, "state": r.state.value, "attempts": r.attempts}
    if r.reason:
        body["reason"] = r.reason
    if r.last_attempt_time is not None:
        body["lastAttemptTime"] = ts(r.last_attempt_time)
    if r.next_attempt_time is not None and r.state is ReplicationState.FAILED:
        body["nextAttemptTime"] = ts(r.next_attempt_time)
    return body


def datastore(view: DatastoreView) -> dict[str, Any]:
    ds = view.datastore
    subscription_id, resource_group = ds.storage_ids(view.workspace)
    return {
        "id": view.arm_id, "name": ds.name, "type": f"{ML}/datastores",
        "properties": {
            "datastoreType": ds.datastore_type, "accountName": ds.account_name,
            STORAGE_FIELD.get(ds.datastore_type, "containerName"): ds.container_name,
            "endpoint": ds.endpoint, "protocol": ds.protocol, "subscriptionId": subscription_id,
            "resourceGroup": resource_group, "description": ds.description, "tags": ds.tags,
            "isDefault": ds.is_default,
            "credentials": {"credentialsType": "Sas" if ds.served_by_amlite else ds.credentials_type},
            "serviceDataAccessAuthIdentity": "None",
        },
    }


def secrets(found: DatastoreSecrets) -> dict[str, Any]:
    field = {"AccountKey": "key", "Sas": "sasToken"}.get(found.secrets_type)
    body: dict[str, Any] = {"secretsType": found.secrets_type}
    if field is not None:
        body[field] = found.value
    return body
