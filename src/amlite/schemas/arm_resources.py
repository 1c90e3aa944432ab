"""Request bodies of the resource routes: resource groups, workspaces, registries, subscription
aliases, role definitions and assignments, and the Graph-shaped directory.

Each model names the fields its route reads, with their JSON types; every field is optional here
and the service that owns the resource says which it needs, once the caller is authorized and the
parent found. Presence matters on updates (``tags: {}`` clears, no ``tags`` keeps): services read
``model_fields_set`` for that.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from amlite.schemas.arm_common import ArmModel, Tags

__all__ = [
    "AliasBody",
    "GroupBody",
    "MemberBody",
    "MoveBody",
    "PrivateEndpointConnectionBody",
    "PasswordBody",
    "PasswordCredentialFields",
    "PasswordProfile",
    "PolicyAssignmentBody",
    "PolicyAssignmentProperties",
    "RegionDetail",
    "RegistryBody",
    "RegistryProperties",
    "ResourceGroupBody",
    "RoleAssignmentBody",
    "RoleAssignmentProperties",
    "RoleDefinitionBody",
    "RoleDefinitionProperties",
    "RolePermission",
    "ServicePrincipalBody",
    "UserBody",
    "WorkspaceBody",
    "WorkspaceProperties",
]


def _or_empty(value: object) -> object:
    """``properties: null`` reads as no properties."""
    return {} if value is None else value


class ConnectionState(ArmModel):
    status: str | None = None
    description: str | None = None
    actions_required: str | None = Field(default=None, alias="actionsRequired")


class PrivateEndpointRef(ArmModel):
    id: str | None = None


class PrivateEndpointConnectionProperties(ArmModel):
    private_endpoint: PrivateEndpointRef | None = Field(default=None, alias="privateEndpoint")
    private_link_service_connection_state: ConnectionState | None = Field(
        default=None, alias="privateLinkServiceConnectionState")


class PrivateEndpointConnectionBody(ArmModel):
    """PUT of a workspace's private endpoint connection: a new one names its private endpoint; an
    existing one takes the owner's answer (``privateLinkServiceConnectionState``)."""

    properties: Annotated[PrivateEndpointConnectionProperties, BeforeValidator(_or_empty)] = Field(
        default_factory=PrivateEndpointConnectionProperties)


class DatabricksWorkspaceBody(ArmModel):
    """PUT of an Azure Databricks workspace record: read as JSON here, judged field by field by
    ``domain.databricks.judge_body`` (location, sku, tags, properties)."""

    location: Any = None
    sku: Any = None
    tags: Any = None
    properties: Any = None


class MoveBody(ArmModel):
    """``validateMoveResources`` and ``moveResources``: the ids to move and the destination group
    (judged by ``domain/move_ids.move_request``)."""

    resources: list[str] | None = None
    target_resource_group: str | None = Field(default=None, alias="targetResourceGroup")
    # amlite's opt-ins beside Azure's fields (docs/move.md, "Beyond Azure").
    allow_region_change: bool | None = Field(default=None, alias="allowRegionChange")
    allow_tenant_change: bool | None = Field(default=None, alias="allowTenantChange")
    principal_map: dict[str, str] | None = Field(default=None, alias="principalMap")


class ResourceGroupBody(ArmModel):
    """PUT and PATCH of a resource group (``location`` is required on PUT and cannot change)."""

    location: str | None = None
    tags: Tags | None = None
    managed_by: str | None = Field(default=None, alias="managedBy")


class WorkspaceProperties(ArmModel):
    """The two properties amlite sets; every other field Azure's body may carry is kept
    (``other_fields``) so that the service can refuse what it does not honour, by name."""

    model_config = ConfigDict(extra="allow")

    friendly_name: str | None = Field(default=None, alias="friendlyName")
    description: str | None = None

    @property
    def other_fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class WorkspaceBody(ArmModel):
    """PUT and PATCH of a workspace; ``kind`` is ``Default`` (the only kind amlite serves)."""

    location: str | None = None
    kind: str | None = None
    tags: Tags | None = None
    properties: Annotated[WorkspaceProperties, BeforeValidator(_or_empty)] = Field(
        default_factory=WorkspaceProperties)


class RegionDetail(ArmModel):
    """One replication region of a registry, and optionally its storage account's settings
    (``[{systemCreatedStorageAccount: {...}}]``, judged by ``domain.registries``)."""

    location: str | None = None
    storage_account_details: list[dict[str, Any]] | None = Field(default=None, alias="storageAccountDetails")


class RegistryProperties(ArmModel):
    description: str | None = None
    region_details: list[RegionDetail] | None = Field(default=None, alias="regionDetails")


class RegistryBody(ArmModel):
    """PUT and PATCH of a registry: its primary ``location`` and its replication regions."""

    location: str | None = None
    tags: Tags | None = None
    properties: Annotated[RegistryProperties, BeforeValidator(_or_empty)] = Field(default_factory=RegistryProperties)


class AliasProperties(ArmModel):
    display_name: str | None = Field(default=None, alias="displayName")
    subscription_id: str | None = Field(default=None, alias="subscriptionId")


class AliasBody(ArmModel):
    """PUT of a subscription alias (``Microsoft.Subscription/aliases``)."""

    properties: Annotated[AliasProperties, BeforeValidator(_or_empty)] = Field(default_factory=AliasProperties)


class RolePermission(ArmModel):
    actions: list[str] | None = None
    not_actions: list[str] | None = Field(default=None, alias="notActions")
    data_actions: list[str] | None = Field(default=None, alias="dataActions")
    not_data_actions: list[str] | None = Field(default=None, alias="notDataActions")


class RoleDefinitionProperties(ArmModel):
    role_name: str | None = Field(default=None, alias="roleName")
    description: str | None = None
    permissions: list[RolePermission] | None = None
    assignable_scopes: list[str] | None = Field(default=None, alias="assignableScopes")


class RoleDefinitionBody(ArmModel):
    """PUT of a custom role definition (``properties`` required, checked by the service)."""

    properties: RoleDefinitionProperties | None = None


class RoleAssignmentProperties(ArmModel):
    role_definition_id: str | None = Field(default=None, alias="roleDefinitionId")
    principal_id: str | None = Field(default=None, alias="principalId")


class RoleAssignmentBody(ArmModel):
    """PUT of a role assignment (``properties`` required, checked by the service)."""

    properties: RoleAssignmentProperties | None = None


class PolicyAssignmentProperties(ArmModel):
    policy_definition_id: str | None = Field(default=None, alias="policyDefinitionId")
    parameters: dict[str, Any] | None = None
    display_name: str | None = Field(default=None, alias="displayName")
    description: str | None = None
    enforcement_mode: str | None = Field(default=None, alias="enforcementMode")
    not_scopes: list[str] | None = Field(default=None, alias="notScopes")


class PolicyAssignmentBody(ArmModel):
    """PUT of a policy assignment (``Microsoft.Authorization/policyAssignments``)."""

    properties: PolicyAssignmentProperties | None = None


class PasswordProfile(ArmModel):
    password: str | None = None


class UserBody(ArmModel):
    """Graph ``POST /v1.0/users``."""

    user_principal_name: str | None = Field(default=None, alias="userPrincipalName")
    display_name: str | None = Field(default=None, alias="displayName")
    password_profile: PasswordProfile | None = Field(default=None, alias="passwordProfile")


class ServicePrincipalBody(ArmModel):
    """Graph ``POST /v1.0/servicePrincipals``."""

    display_name: str | None = Field(default=None, alias="displayName")
    app_id: str | None = Field(default=None, alias="appId")


class GroupBody(ArmModel):
    """Graph ``POST /v1.0/groups``."""

    display_name: str | None = Field(default=None, alias="displayName")


class PasswordCredentialFields(ArmModel):
    display_name: str | None = Field(default=None, alias="displayName")


class PasswordBody(ArmModel):
    """Graph ``POST /v1.0/servicePrincipals/{id}/addPassword``."""

    password_credential: PasswordCredentialFields | None = Field(default=None, alias="passwordCredential")


class MemberBody(ArmModel):
    """Graph ``POST /v1.0/groups/{id}/members/$ref``: the member's ``@odata.id``."""

    odata_id: str | None = Field(default=None, alias="@odata.id")


class DeploymentProperties(ArmModel):
    """A template deployment's properties; the template itself is judged by domain/templates.py."""

    template: dict[str, Any] | None = None
    parameters: dict[str, Any] | None = None
    mode: str | None = None
    template_link: dict[str, Any] | None = Field(default=None, alias="templateLink")
    parameters_link: dict[str, Any] | None = Field(default=None, alias="parametersLink")


class DeploymentBody(ArmModel):
    """PUT of ``Microsoft.Resources/deployments`` (``properties`` required, checked by the service)."""

    properties: DeploymentProperties | None = None


class ExportTemplateBody(ArmModel):
    """POST ``exportTemplate``: the ids of the resources to export (amlite exports one workspace)."""

    resources: list[str] | None = None
    options: str | None = None
