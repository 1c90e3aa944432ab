"""Hub and project workspaces: what a hub holds for its projects, what a project inherits, and the
support matrix of the two kinds.

A project keeps a pointer to its hub (``Workspace.hub_key``) and nothing it inherits: network
settings, encryption, storage account, key vault, container registry and the default Application
Insights are read from the hub each time they are used, so changing the hub changes every project
at once and no project row is rewritten. A project may set only what the hub lets it override
(``OVERRIDABLE``: its own Application Insights).

Standard library only: the services find the hub, this module decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from amlite.domain.errors import Conflict, InvalidInput, invalid
from amlite.domain.resources import Workspace, WorkspaceKind

# The hub's own settings (``Workspace.settings``), as Azure's workspace body spells them.
PUBLIC_NETWORK_ACCESS = "publicNetworkAccess"
MANAGED_NETWORK = "managedNetwork"          # {"isolationMode": ...}
ENCRYPTION = "encryption"                  # {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": ...}}
DEFAULT_PROJECT_RG = "defaultWorkspaceResourceGroup"  # under properties.workspaceHubConfig

ISOLATION_MODES = ("Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound")
NETWORK_ACCESS = ("Enabled", "Disabled")

#: What a project reads from its hub at every use, in the order ``workspace show`` lists it.
INHERITED_SETTINGS = (PUBLIC_NETWORK_ACCESS, MANAGED_NETWORK, ENCRYPTION)
INHERITED_RESOURCES = ("storageAccount", "keyVault", "containerRegistry")
#: What a project may set itself; unset, it reads the hub's.
OVERRIDABLE = ("applicationInsights",)

#: ``properties.settingSources`` values.
FROM_HUB = "hub"
OWN = "project"

JOIN_ACTION = "Microsoft.MachineLearningServices/workspaces/hubs/join/action"


def default_settings() -> dict[str, Any]:
    """A Default workspace's and a new hub's settings before the caller's (what amlite serves)."""
    return {PUBLIC_NETWORK_ACCESS: "Enabled", MANAGED_NETWORK: {"isolationMode": "Disabled"}}


@dataclass(frozen=True)
class Effective:
    """A project's settings and associated resources as they are now, with where each comes from."""

    settings: dict[str, Any]
    associated: dict[str, str]  # role -> resource key
    sources: dict[str, str]     # setting or role -> FROM_HUB / OWN


def effective(project: Workspace, hub: Workspace) -> Effective:
    """What ``project`` uses: its hub's settings and resources, its own override of what it may
    override. Computed from the two rows, never stored."""
    settings = {k: v for k, v in hub.settings.items() if k in INHERITED_SETTINGS}
    sources = {k: FROM_HUB for k in settings}
    associated = {role: key for role, key in hub.associated.items()}
    for role in associated:
        sources[role] = FROM_HUB
    for role in OVERRIDABLE:
        if role in project.associated:
            associated[role] = project.associated[role]
            sources[role] = OWN
    return Effective(settings, associated, sources)


# -- judging a request ------------------------------------------------------------------------


def check_network_access(value: object) -> str:
    for allowed in NETWORK_ACCESS:
        if isinstance(value, str) and value.lower() == allowed.lower():
            return allowed
    raise invalid("InvalidRequestContent",
                  f"publicNetworkAccess '{value}' is not valid; use {' or '.join(NETWORK_ACCESS)}.",
                  "properties.publicNetworkAccess")


def check_managed_network(value: object) -> dict[str, Any]:
    mode = value.get("isolationMode") if isinstance(value, Mapping) else None
    if isinstance(value, Mapping) and value.get("outboundRules"):
        raise invalid("UnsupportedWorkspaceProperty", "managedNetwork.outboundRules are not supported: amlite keeps a "
                      "hub's isolation mode only; leave the rules out.", "properties.managedNetwork.outboundRules")
    for allowed in ISOLATION_MODES:
        if isinstance(mode, str) and mode.replace("_", "").lower() == allowed.lower():
            return {"isolationMode": allowed}
    raise invalid("InvalidRequestContent",
                  f"managedNetwork.isolationMode '{mode}' is not valid; use one of {', '.join(ISOLATION_MODES)}.",
                  "properties.managedNetwork.isolationMode")


def check_encryption(value: object) -> dict[str, Any] | None:
    """Azure's ``encryption`` object: a customer-managed key named by its key vault key URI."""
    if not isinstance(value, Mapping):
        raise invalid("InvalidRequestContent", "encryption must be an object.", "properties.encryption")
    status = str(value.get("status") or "Enabled")
    if status.lower() == "disabled":
        return None
    kv = value.get("keyVaultProperties")
    key = kv.get("keyIdentifier") if isinstance(kv, Mapping) else None
    if not isinstance(key, str) or not key.lower().startswith("https://") or "/keys/" not in key.lower():
        raise invalid("InvalidRequestContent",
                      "encryption.keyVaultProperties.keyIdentifier must be a key vault key URI "
                      "(https://<vault>.vault.azure.net/keys/<name>[/<version>]).",
                      "properties.encryption.keyVaultProperties.keyIdentifier")
    out: dict[str, Any] = {"status": "Enabled", "keyVaultProperties": {"keyIdentifier": key}}
    if isinstance(kv, Mapping) and isinstance(kv.get("keyVaultArmId"), str):
        out["keyVaultProperties"]["keyVaultArmId"] = kv["keyVaultArmId"]
    return out


def refuse_project_setting(name: str, hub: str) -> InvalidInput:
    """A project naming a setting it inherits."""
    return invalid("ProjectSettingInherited",
                   f"properties.{name} of a project workspace is inherited from its hub '{hub}' and cannot be set "
                   f"on the project; change it on the hub (only {', '.join(OVERRIDABLE)} may be set on a project).",
                   f"properties.{name}")


def project_private_endpoint_refused(project: Workspace, hub: Workspace) -> InvalidInput:
    """A project is reached through its hub's private endpoint (one for the hub and all its
    projects, the seed's network settings row); it has none of its own."""
    return invalid("ProjectSettingInherited",
                   f"Project workspace '{project.name}' is reached through the private endpoint of its hub "
                   f"'{hub.name}' (one private endpoint serves the hub and all its projects); create or change the "
                   f"private endpoint connection on the hub instead: {hub.arm_id}/privateEndpointConnections.",
                   "privateEndpointConnectionName")


def refuse_kind_change(ws: Workspace, wanted: WorkspaceKind) -> Conflict | InvalidInput:
    if ws.kind is WorkspaceKind.DEFAULT and wanted is WorkspaceKind.HUB:
        return invalid("HubConversionNotSupported",
                       f"Workspace '{ws.name}' is a Default workspace and cannot be converted into a hub; create a new "
                       "workspace of kind Hub and create projects from it.", "kind")
    return invalid("WorkspaceKindCannotChange",
                   f"The kind of workspace '{ws.name}' is '{ws.kind.value}' and cannot change; create a new workspace "
                   f"of kind '{wanted.value}'.", "kind")


def hub_has_projects(hub: Workspace, projects: Sequence[Workspace]) -> Conflict:
    """A hub goes only once its projects have, soft-deleted ones included: a soft-deleted project
    keeps its hub (it can be recovered), so it must be purged first, as on Azure."""
    return Conflict("HubHasProjects", f"Hub '{hub.name}' still has project workspaces ({projects_to_remove(projects)}")


def projects_to_remove(projects: Sequence[Workspace]) -> str:
    """The projects a hub's delete waits for, each by id (a soft-deleted one marked so), then what
    to do: delete the live ones, purge the soft-deleted ones."""
    listed = ", ".join(p.arm_id + (" (soft-deleted)" if p.soft_delete is not None else "") for p in projects)
    purge = [p for p in projects if p.soft_delete is not None]
    if not purge:
        return f"{listed}); delete them first."
    todo = "purge them first" if len(purge) == len(projects) else "delete them first and purge the soft-deleted ones"
    commands = "; ".join(f"amlite ml workspace delete -n {p.name} -g {p.resource_group_name} --permanently-delete"
                         for p in purge)
    return (f"{listed}); {todo}: a soft-deleted project keeps its hub until it is purged (DELETE <project id>"
            f"?forceToPurge=true; {commands}).")


def compute_cluster_refused(ws: Workspace) -> InvalidInput:
    return invalid("ComputeClusterNotSupportedInHub",
                   f"Compute clusters are not supported in {ws.kind.value.lower()} workspace '{ws.name}'; use "
                   "serverless compute instead (submit the job with no compute) or a compute instance.",
                   "properties.computeType")


def byo_vnet_refused(ws: Workspace) -> InvalidInput:
    return invalid("ByoVnetNotSupportedInHub",
                   f"Bring-your-own virtual networks are not supported in {ws.kind.value.lower()} workspace "
                   f"'{ws.name}'; use the hub's managed virtual network instead (managedNetwork on the hub).",
                   "properties.properties.subnet")


def parallel_step_refused(ws: Workspace, step: str) -> InvalidInput:
    return invalid("ParallelRunStepNotSupportedInHub",
                   f"Step '{step}' is a parallel run step, which is not supported in {ws.kind.value.lower()} "
                   f"workspace '{ws.name}'; use a command step (or a Default workspace) instead.",
                   f"properties.jobs.{step}.type")


def in_hub_family(ws: Workspace) -> bool:
    """Hubs and projects: the kinds the support matrix limits."""
    return ws.kind in (WorkspaceKind.HUB, WorkspaceKind.PROJECT)


def family_key(ws: Workspace) -> str | None:
    """The hub key a workspace shares computes and quota under (its own for a hub), or None."""
    if ws.kind is WorkspaceKind.HUB:
        return ws.key
    if ws.kind is WorkspaceKind.PROJECT:
        return ws.hub_key
    return None


def project_container_prefix(project: Workspace) -> str:
    """The prefix of every container a project has in its hub's storage (Azure's ``{workspaceGUID}``)."""
    return project.workspace_id
