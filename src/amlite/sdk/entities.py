"""Entities the SDK hands out, shaped like azure-ai-ml's (snake_case attributes).

The server speaks camelCase ARM bodies; ``_from_rest``/``_to_rest`` translate in one place. Each
entity also keeps the body it was built from (``as_dict()``), because the CLI prints what the
server returned, as az does, and fields the SDK does not model yet should not be lost on the way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlite.sdk._dicts import compact
from amlite.sdk.config import parse_arm_id, write_config
from amlite.sdk.errors import ValidationException

__all__ = ["Hub", "Project", "Workspace", "load_workspace"]


@dataclass
class Workspace:
    """An Azure ML workspace.

    Create one with a name (and optionally location, display name, description, tags) and pass it
    to ``ml_client.workspaces.begin_create``; the other fields are filled in by the server.

        >>> ws = Workspace(name="ws1", location="eastus", tags={"team": "a"})
        >>> ws._to_rest()["location"]
        'eastus'
    """

    name: str
    location: str | None = None
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    kind: str = "Default"
    id: str | None = None
    workspace_id: str | None = None
    resource_group: str | None = None
    subscription_id: str | None = None
    provisioning_state: str | None = None
    storage_account: str | None = None
    key_vault: str | None = None
    container_registry: str | None = None
    application_insights: str | None = None
    discovery_url: str | None = None
    mlflow_tracking_uri: str | None = None
    public_network_access: str | None = None
    hbi_workspace: bool = False
    tenant_id: str | None = None
    creation_time: str | None = None
    etag: str | None = None
    # Hubs: the default project resource group, managed network isolation mode, customer-managed
    # key (its key vault key URI). Projects: their hub's ARM id (and, read back, which settings
    # are the hub's: ``setting_sources``).
    default_resource_group: str | None = None
    managed_network: str | None = None
    customer_managed_key: str | None = None
    hub_id: str | None = None
    setting_sources: dict[str, str] | None = None
    associated_workspaces: list[str] | None = None  # a hub's projects (read-only, as azure-ai-ml's Hub has)
    _rest: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> Workspace:
        """Build from the server's workspace body: a ``Hub`` or ``Project`` for those kinds, as
        azure-ai-ml's ``workspaces.get`` answers, so ``isinstance(ws, Project)`` holds for a project."""
        props: dict[str, Any] = body.get("properties") or {}
        ids = parse_arm_id(str(body.get("id") or ""))
        kind = str(body.get("kind") or "Default")
        make: type[Workspace] = {"hub": Hub, "project": Project}.get(kind.lower(), cls) if cls is Workspace else cls
        workspace = make(
            name=str(body.get("name") or ids.get("workspaces") or ""),
            location=body.get("location"),
            display_name=props.get("friendlyName"),
            description=props.get("description"),
            tags=dict(body.get("tags") or {}),
            kind=kind,
            id=body.get("id"),
            workspace_id=props.get("workspaceId"),
            resource_group=ids.get("resourcegroups"),
            subscription_id=ids.get("subscriptions"),
            provisioning_state=props.get("provisioningState"),
            storage_account=props.get("storageAccount"),
            key_vault=props.get("keyVault"),
            container_registry=props.get("containerRegistry"),
            application_insights=props.get("applicationInsights"),
            discovery_url=props.get("discoveryUrl"),
            mlflow_tracking_uri=props.get("mlFlowTrackingUri"),
            public_network_access=props.get("publicNetworkAccess"),
            hbi_workspace=bool(props.get("hbiWorkspace", False)),
            tenant_id=props.get("tenantId"),
            creation_time=props.get("creationTime"),
            etag=body.get("etag"),
            default_resource_group=(props.get("workspaceHubConfig") or {}).get("defaultWorkspaceResourceGroup"),
            managed_network=_isolation_mode(props.get("managedNetwork")),
            customer_managed_key=((props.get("encryption") or {}).get("keyVaultProperties") or {}).get("keyIdentifier"),
            hub_id=props.get("hubResourceId"),
            setting_sources=props.get("settingSources"),
            associated_workspaces=(list(props["associatedWorkspaces"])
                                   if isinstance(props.get("associatedWorkspaces"), list) else None),
        )
        workspace._rest = body
        return workspace

    def _to_rest(self) -> dict[str, Any]:
        """The PUT body: only what a client may set (the server ignores the rest, as ARM does)."""
        if not self.location and (self.kind or "").lower() != "project":  # a project takes its hub's
            raise ValidationException(
                f"Workspace '{self.name}' needs a location.", code="MissingLocation"
            )
        properties: dict[str, Any] = {}
        if self.display_name is not None:
            properties["friendlyName"] = self.display_name
        if self.description is not None:
            properties["description"] = self.description
        properties.update(self._kind_properties())
        if self.application_insights is not None:  # a project's own (the server refuses it on other kinds)
            properties["applicationInsights"] = self.application_insights
        return compact({
            "location": self.location,
            "kind": self.kind or "Default",
            "tags": dict(self.tags or {}),
            "identity": {"type": "SystemAssigned"},
            "properties": properties,
        })

    def _kind_properties(self) -> dict[str, Any]:
        """A hub's settings and a project's hub, as Azure's body spells them (the server refuses
        them on a workspace of another kind)."""
        props: dict[str, Any] = {}
        if self.public_network_access is not None:
            props["publicNetworkAccess"] = self.public_network_access
        if self.managed_network is not None:
            props["managedNetwork"] = {"isolationMode": _camel_mode(self.managed_network)}
        if self.customer_managed_key is not None:
            props["encryption"] = {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": self.customer_managed_key}}
        if self.default_resource_group is not None:
            props["workspaceHubConfig"] = {"defaultWorkspaceResourceGroup": self.default_resource_group}
        if self.hub_id is not None:
            props["hubResourceId"] = self.hub_id
        return props

    def _to_patch(self) -> dict[str, Any]:
        """The PATCH body: tags, description and display name, the fields an update may change.

        Fields left ``None`` are not sent, so updating the description keeps the tags.
        """
        body: dict[str, Any] = {}
        if self.tags is not None:
            body["tags"] = dict(self.tags)
        properties: dict[str, Any] = {}
        if self.description is not None:
            properties["description"] = self.description
        if self.display_name is not None:
            properties["friendlyName"] = self.display_name
        properties.update({k: v for k, v in self._kind_properties().items() if k != "hubResourceId"})
        if self.application_insights is not None:  # a project's own (the one thing it may override)
            properties["applicationInsights"] = self.application_insights
        if properties:
            body["properties"] = properties
        return body

    def as_dict(self) -> dict[str, Any]:
        """The server's body when this came from the server, else the body a create would send."""
        if self._rest is not None:
            return dict(self._rest)
        return {"name": self.name, **self._to_rest()}

    def _to_dict(self) -> dict[str, Any]:
        """azure-ai-ml's dict of the workspace (what ``az ml workspace show`` prints): snake_case,
        the dependent resources as ARM ids, and the managed identity."""
        body = self._rest or {}
        identity = body.get("identity")
        return compact({
            "name": self.name, "location": self.location, "id": self.id, "resource_group": self.resource_group,
            "description": self.description, "display_name": self.display_name, "tags": dict(self.tags or {}),
            "discovery_url": self.discovery_url, "mlflow_tracking_uri": self.mlflow_tracking_uri,
            "hbi_workspace": self.hbi_workspace, "storage_account": self.storage_account,
            "container_registry": self.container_registry, "key_vault": self.key_vault,
            "application_insights": self.application_insights, "public_network_access": self.public_network_access,
            "identity": _identity_dict(identity) if isinstance(identity, dict) else None,
            "kind": self.kind.lower() if self.kind and self.kind != "Default" else None,
            "managed_network": {"isolation_mode": _snake_mode(self.managed_network)} if self.managed_network else None,
            "customer_managed_key": {"key_uri": self.customer_managed_key} if self.customer_managed_key else None,
            "default_resource_group": self.default_resource_group, "hub_id": self.hub_id,
            "setting_sources": dict(self.setting_sources) if self.setting_sources else None,
            "associated_workspaces": list(self.associated_workspaces) if self.associated_workspaces is not None else None,
        })

    def dump_config(
        self, path: str | os.PathLike[str] | None = None, file_name: str | None = None
    ) -> Path:
        """Write config.json so that ``MLClient.from_config()`` finds this workspace.

        ``path`` is a directory (default: the current one) or a file path. Returns the file written.
        """
        if not (self.subscription_id and self.resource_group and self.name):
            raise ValidationException(
                "Only a workspace read from the server (with subscription and resource group) "
                "can write a config file.",
                code="IncompleteWorkspace",
            )
        return write_config(self.subscription_id, self.resource_group, self.name, path, file_name)


class Hub(Workspace):
    """azure-ai-ml's ``Hub``: a workspace of kind Hub (its settings pass to its projects)."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name=name, **{"kind": "Hub", **kwargs})


class Project(Workspace):
    """azure-ai-ml's ``Project``: a workspace of kind Project, created from its hub (``hub_id``)."""

    def __init__(self, name: str, hub_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, hub_id=hub_id, **{"kind": "Project", **kwargs})


def _isolation_mode(value: object) -> str | None:
    mode = value.get("isolationMode") if isinstance(value, dict) else None
    return str(mode) if mode else None


_MODES = {"disabled": "Disabled", "allowinternetoutbound": "AllowInternetOutbound",
          "allowonlyapprovedoutbound": "AllowOnlyApprovedOutbound"}


def _camel_mode(value: str) -> str:
    """azure-ai-ml's ``allow_only_approved_outbound`` as ARM spells it (``AllowOnlyApprovedOutbound``)."""
    return _MODES.get(value.replace("_", "").lower(), value)


def _snake_mode(value: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in value).lstrip("_")


def load_workspace(source: str | os.PathLike[str], params_override: list[dict[str, Any]] | None = None,
                   **kwargs: Any) -> Workspace:
    """Read a workspace YAML (as azure-ai-ml's ``load_workspace``; ``kind: hub`` and ``kind: project``
    with ``hub_id`` included), offline. Fields amlite does not honour (an existing
    ``storage_account``...) are refused with the reason (``amlite.schemas.workspaces``), never
    dropped."""
    from amlite.schemas._yaml import YamlSchemaError, apply_overrides, load_yaml_dict
    from amlite.schemas.workspaces import parse_workspace

    try:
        spec = parse_workspace(apply_overrides(load_yaml_dict(source), params_override), str(source))
    except YamlSchemaError as exc:
        raise ValidationException(str(exc), code="InvalidYaml") from None
    if not spec.name:
        raise ValidationException(f"{source}: the workspace YAML names no workspace ('name').", code="InvalidYaml")
    return Workspace(name=spec.name, location=spec.location, display_name=spec.display_name,
                     description=spec.description, tags=dict(spec.tags), resource_group=spec.resource_group,
                     **spec.kind_fields())


def _identity_dict(identity: dict[str, Any]) -> dict[str, Any]:
    """ARM's ``{"type": "SystemAssigned", "principalId": ...}`` as azure-ai-ml prints it."""
    kind = str(identity.get("type") or "")
    snake = "".join("_" + c.lower() if c.isupper() else c for c in kind).lstrip("_").replace(",_", ",")
    return compact({"type": snake or None, "principal_id": identity.get("principalId"),
                    "tenant_id": identity.get("tenantId")})
