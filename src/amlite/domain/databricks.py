"""Azure Databricks workspaces (``Microsoft.Databricks/workspaces``) as records, for their link to
an Azure Machine Learning workspace.

On Azure a Databricks workspace is linked to an ML workspace from the Databricks side: its
``properties.parameters.amlWorkspaceId.value`` names the ML workspace, and Databricks then logs
MLflow runs and registers models there. amlite runs no Databricks: it keeps the resource as a
record in its group (a ``GenericResource``, as it keeps a workspace's key vault) with its SKU,
managed resource group id and parameters, so that the link exists the way an Azure user makes it.
A workspace linked this way cannot move (seed 000: "Workspace linked with Azure Databricks");
removing the parameter, or deleting the Databricks workspace, lifts that.

The body is judged here, with no I/O; that the linked ML workspace exists, and that the caller
may write it, is the service's check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amlite.domain.errors import invalid
from amlite.domain.move_ids import parse_group_id, parse_resource_id

NAMESPACE = "Microsoft.Databricks"
TYPE = f"{NAMESPACE}/workspaces"
ACTION = TYPE
LINK_PARAMETER = "amlWorkspaceId"
SKUS = ("standard", "premium", "trial")
_ML_WORKSPACES = "microsoft.machinelearningservices/workspaces"


@dataclass(frozen=True)
class DatabricksSpec:
    location: str
    sku: str
    tags: dict[str, str]
    managed_resource_group_id: str
    parameters: dict[str, Any]

    @property
    def linked_workspace_id(self) -> str | None:
        """The ML workspace this Databricks workspace is linked to, if any."""
        return linked_workspace_id(self.parameters)

    def properties(self) -> dict[str, Any]:
        """What the record keeps (``GenericResource.properties``)."""
        return {"sku": self.sku, "tags": self.tags, "managedResourceGroupId": self.managed_resource_group_id,
                "parameters": self.parameters}


def linked_workspace_id(parameters: object) -> str | None:
    """``parameters.amlWorkspaceId.value`` of a recorded Databricks workspace, if set."""
    link = parameters.get(LINK_PARAMETER) if isinstance(parameters, dict) else None
    value = link.get("value") if isinstance(link, dict) else None
    return value if isinstance(value, str) and value else None


def check_databricks_name(name: str) -> None:
    if not 3 <= len(name) <= 64 or not all(c.isalnum() or c in "-_" for c in name):
        raise invalid("InvalidWorkspaceName", f"The Databricks workspace name '{name}' must be 3-64 letters, digits, "
                      "'-' or '_'.", "workspaceName")


def judge_body(body: dict[str, Any]) -> DatabricksSpec:
    """A PUT's body as a spec; anything else is ``400`` naming the field (the location is the
    region catalogue's to judge)."""
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise invalid("InvalidRequestContent", "location is required.", "location")
    sku = body.get("sku")
    sku_name = sku.get("name") if isinstance(sku, dict) else None
    found = next((s for s in SKUS if isinstance(sku_name, str) and s == sku_name.lower()), None)
    if found is None:
        raise invalid("InvalidRequestContent", f"sku.name must be one of {', '.join(SKUS)}.", "sku.name")
    tags = body.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise invalid("InvalidRequestContent", "tags must map names to strings.", "tags")
    props = body.get("properties")
    if not isinstance(props, dict):
        raise invalid("InvalidRequestContent", "properties.managedResourceGroupId is required.", "properties")
    managed = props.get("managedResourceGroupId")
    if not isinstance(managed, str) or parse_group_id(managed) is None:
        raise invalid("InvalidRequestContent", "properties.managedResourceGroupId must be a resource group id "
                      "(/subscriptions/{s}/resourceGroups/{name}).", "properties.managedResourceGroupId")
    parameters = props.get("parameters") or {}
    if not isinstance(parameters, dict) or not all(isinstance(v, dict) for v in parameters.values()):
        raise invalid("InvalidRequestContent", "properties.parameters must map names to {\"value\": ...}.",
                      "properties.parameters")
    link = parameters.get(LINK_PARAMETER)
    if link is not None:
        value = link.get("value")
        ws = parse_resource_id(value) if isinstance(value, str) else None
        if ws is None or ws.full_type.lower() != _ML_WORKSPACES:
            raise invalid("InvalidRequestContent", f"properties.parameters.{LINK_PARAMETER}.value must be the id of an "
                          "Azure Machine Learning workspace.", f"properties.parameters.{LINK_PARAMETER}")
    return DatabricksSpec(location=location, sku=found, tags=dict(tags), managed_resource_group_id=managed,
                          parameters={k: dict(v) for k, v in parameters.items()})
