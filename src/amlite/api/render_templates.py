"""A workspace's configuration as an ARM template (what ``exportTemplate`` answers), and template
deployments as ARM's ``DeploymentExtended``.

The template holds the workspace (kind, tags, description, friendly name, network settings, a
hub's default project group or a project's hub), its computes, online endpoints and their
deployments, and the role assignments made at the workspace's scope, each in Azure's resource
shape and api-version, named through the ``workspaceName`` parameter and placed by ``location``
(the target group's region unless given). Only what a PUT accepts is written: nothing read-only
(ids, states, system data, scoring URIs) and never a secret (endpoint keys, storage keys and
connection credentials are not part of any of these resources).
"""

from __future__ import annotations

from typing import Any

from amlite.api.render import ts
from amlite.domain.computes import format_duration
from amlite.domain.rbac import RoleAssignment
from amlite.domain.templates import (
    API_VERSIONS,
    COMPUTES,
    CONTENT_VERSION,
    DEPLOYMENTS,
    ENDPOINTS,
    ROLE_ASSIGNMENTS,
    SCHEMA_2019,
    WORKSPACES,
    TemplateDeployment,
)
from amlite.services.computes import ComputeView
from amlite.services.online_deployments import DeploymentView
from amlite.services.online_endpoints import EndpointView
from amlite.services.workspaces import WorkspaceView

WS_NAME = "parameters('workspaceName')"
WS_ID = f"resourceId('{WORKSPACES}', {WS_NAME})"


def _q(text: str) -> str:
    """A string literal of the expression language."""
    return "'" + text.replace("'", "''") + "'"


def _name(*names: str) -> str:
    return "[concat(" + ", ".join([WS_NAME] + [f"'/', {_q(n)}" for n in names]) + ")]"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != {} and v != []}


def workspace_template(view: WorkspaceView, computes: list[ComputeView], endpoints: list[EndpointView],
                       deployments: list[DeploymentView], assignments: list[RoleAssignment]) -> dict[str, Any]:
    ws = view.workspace
    settings = view.settings
    props: dict[str, Any] = {"friendlyName": ws.friendly_name, "description": ws.description,
                             "publicNetworkAccess": settings.get("publicNetworkAccess", "Enabled")}
    if settings.get("managedNetwork"):
        props["managedNetwork"] = settings["managedNetwork"]
    if ws.kind.value == "Hub":
        props["workspaceHubConfig"] = {"defaultWorkspaceResourceGroup": settings.get("defaultWorkspaceResourceGroup")}
    if ws.kind.value == "Project":
        props["hubResourceId"] = view.hub_id
    resources: list[dict[str, Any]] = [{
        "type": WORKSPACES, "apiVersion": API_VERSIONS[WORKSPACES], "name": f"[{WS_NAME}]",
        "location": "[parameters('location')]", "kind": ws.kind.value, "tags": dict(ws.tags),
        "sku": {"name": "Basic", "tier": "Basic"}, "identity": {"type": "SystemAssigned"},
        "properties": _drop_none(props),
    }]
    ws_dep = [f"[{WS_ID}]"]
    for cv in sorted(computes, key=lambda c: c.compute.name.lower()):
        resources.append(_compute(cv, ws_dep))
    for ev in sorted(endpoints, key=lambda e: e.endpoint.name.lower()):
        ep = ev.endpoint
        resources.append({
            "type": ENDPOINTS, "apiVersion": API_VERSIONS[ENDPOINTS], "name": _name(ep.name),
            "location": "[parameters('location')]", "kind": "Managed", "tags": dict(ep.tags),
            "identity": {"type": "None"}, "dependsOn": ws_dep,
            "properties": _drop_none({"authMode": ep.auth_mode.value, "description": ep.description or None,
                                      "properties": dict(ep.properties), "traffic": dict(ep.traffic)}),
        })
    for dv in sorted(deployments, key=lambda d: (d.endpoint.endpoint.name.lower(), d.deployment.name.lower())):
        resources.append(_deployment(dv))
    for a in sorted(assignments, key=lambda a: (a.role_definition_id, a.principal_id)):
        resources.append({
            "type": ROLE_ASSIGNMENTS, "apiVersion": API_VERSIONS[ROLE_ASSIGNMENTS],
            "name": f"[guid({WS_ID}, {_q(a.role_definition_id)}, {_q(a.principal_id)})]",
            "scope": f"[concat('{WORKSPACES}/', {WS_NAME})]", "dependsOn": ws_dep,
            "properties": {
                "roleDefinitionId": f"[concat('/subscriptions/', subscription().subscriptionId, "
                                    f"'/providers/Microsoft.Authorization/roleDefinitions/', {_q(a.role_definition_id)})]",
                "principalId": a.principal_id, "principalType": a.principal_type,
            },
        })
    return {
        "$schema": SCHEMA_2019, "contentVersion": CONTENT_VERSION,
        "parameters": {
            "workspaceName": {"type": "string", "defaultValue": ws.name,
                              "metadata": {"description": "The name of the workspace to create."}},
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]",
                         "metadata": {"description": f"The region (exported from '{ws.location}')."}},
        },
        "resources": resources,
    }


def _compute(cv: ComputeView, depends: list[str]) -> dict[str, Any]:
    c = cv.compute
    if c.is_ray:
        inner: dict[str, Any] = {"address": c.ray_address}
    elif c.is_instance:
        inner = _drop_none({"vmSize": c.vm_size.name,
                            "applicationSharingPolicy": c.settings.get("applicationSharingPolicy"),
                            "enableNodePublicIp": c.settings.get("enableNodePublicIp")})
    else:
        inner = _drop_none({
            "vmSize": c.vm_size.name, "vmPriority": c.tier, "osType": c.settings.get("osType"),
            "scaleSettings": {"minNodeCount": c.min_nodes, "maxNodeCount": c.max_nodes,
                              "nodeIdleTimeBeforeScaleDown": format_duration(c.idle_seconds or 0)},
            "remoteLoginPortPublicAccess": c.settings.get("remoteLoginPortPublicAccess"),
            "enableNodePublicIp": c.settings.get("enableNodePublicIp"),
        })
    return {
        "type": COMPUTES, "apiVersion": API_VERSIONS[COMPUTES], "name": _name(c.name),
        "location": "[parameters('location')]", "tags": dict(c.tags), "dependsOn": depends,
        "properties": _drop_none({"computeType": c.compute_type.value, "description": c.description or None,
                                  "properties": inner}),
    }


def _deployment(dv: DeploymentView) -> dict[str, Any]:
    dep = dv.deployment
    ep = dv.endpoint.endpoint.name
    code = {"scoringScript": dep.scoring_script, "artifacts": [dict(m) for m in dep.code_manifest]}
    return {
        "type": DEPLOYMENTS, "apiVersion": API_VERSIONS[DEPLOYMENTS], "name": _name(ep, dep.name),
        "location": "[parameters('location')]", "kind": "Managed", "tags": dict(dep.tags),
        "sku": {"name": "Default", "capacity": dep.instance_count},
        "dependsOn": [f"[resourceId('{ENDPOINTS}', {WS_NAME}, {_q(ep)})]"],
        "properties": _drop_none({
            "endpointComputeType": "Managed", "model": dep.model_id, "codeConfiguration": code,
            "environmentId": dep.environment_id, "environmentVariables": dict(dep.environment_variables),
            "instanceType": dep.instance_type, "description": dep.description or None,
            "properties": dict(dep.properties),
        }),
    }


def deployment(dep: TemplateDeployment) -> dict[str, Any]:
    """ARM's ``DeploymentExtended``."""
    props: dict[str, Any] = {
        "provisioningState": dep.state, "timestamp": ts(dep.modified_at), "duration": f"PT{dep.duration_seconds}S",
        "mode": "Incremental", "templateHash": dep.template_hash, "parameters": dep.parameters,
        "outputResources": [{"id": rid} for rid in dep.output_resources], "outputs": {},
        "correlationId": dep.key,
    }
    if dep.error:
        props["error"] = dep.error
    return {"id": dep.arm_id, "name": dep.name, "type": "Microsoft.Resources/deployments", "properties": props}
