"""Online endpoints and deployments as Azure ML's REST API answers them."""

from __future__ import annotations

from typing import Any

from amlite.api.render import ts
from amlite.services.online_deployments import DeploymentView
from amlite.services.online_endpoints import EndpointKeys, EndpointView

ML = "Microsoft.MachineLearningServices/workspaces"


def scoring_uri(endpoint: str, view: EndpointView) -> str:
    return f"{endpoint.rstrip('/')}/online/{view.endpoint.scoring_id}/score"


def endpoint(view: EndpointView, base: str) -> dict[str, Any]:
    ep = view.endpoint
    return {
        "id": view.arm_id, "name": ep.name, "type": f"{ML}/onlineEndpoints", "location": view.workspace.location,
        "kind": "Managed", "tags": ep.tags, "identity": {"type": "None"},
        "systemData": {"createdBy": ep.created_by, "createdAt": ts(ep.created_at), "lastModifiedAt": ts(ep.modified_at)},
        "properties": {
            "authMode": ep.auth_mode.value, "description": ep.description, "properties": ep.properties,
            "scoringUri": scoring_uri(base, view), "swaggerUri": None, "traffic": ep.traffic, "mirrorTraffic": {},
            "publicNetworkAccess": "Enabled", "provisioningState": view.state,
        },
    }


def deployment(view: DeploymentView) -> dict[str, Any]:
    dep = view.deployment
    code = {"codeId": None, "scoringScript": dep.scoring_script, "artifacts": list(dep.code_manifest)}
    props: dict[str, Any] = {
        "endpointComputeType": "Managed", "model": dep.model_id, "codeConfiguration": code,
        "environmentId": dep.environment_id, "environmentVariables": dep.environment_variables,
        "instanceType": dep.instance_type, "description": dep.description, "properties": dep.properties,
        "scaleSettings": {"scaleType": "Default"}, "appInsightsEnabled": False, "egressPublicNetworkAccess": "Enabled",
        "provisioningState": dep.state.value, "warnings": list(dep.warnings),
    }
    if dep.error:
        props["error"] = dep.error
    return {
        "id": view.arm_id, "name": dep.name, "type": f"{ML}/onlineEndpoints/deployments",
        "location": view.endpoint.workspace.location, "kind": "Managed", "tags": dep.tags,
        "sku": {"name": "Default", "tier": "Standard", "capacity": dep.instance_count},
        "systemData": {"createdBy": dep.created_by, "createdAt": ts(dep.created_at), "lastModifiedAt": ts(dep.modified_at)},
        "properties": props,
    }


def keys(found: EndpointKeys) -> dict[str, Any]:
    return {"primaryKey": found.primary, "secondaryKey": found.secondary}
