"""Which fields of Azure's workspace body amlite honours, and the refusal for the others.

Azure's ``Microsoft.MachineLearningServices/workspaces`` body has many more properties than amlite
models (bring-your-own storage, high-business-impact mode...). Hubs' network and encryption settings
and a project's hub link are taken out of the body by ``services.workspaces`` before this. A field
that is accepted but not honoured would leave a user believing, say, that their data is encrypted
with their key: so every such field is refused by name, unless it asks for nothing (``false``,
``null``, empty) or repeats what the workspace already is (a client that GETs a workspace and PUTs
it back sends its associated resources and Azure's defaults).
"""

from __future__ import annotations

from collections.abc import Mapping

from amlite.domain.errors import ErrorDetail

# Read-only in Azure's API: a client may echo them back and ARM ignores them.
READ_ONLY = frozenset({
    "workspaceId", "provisioningState", "discoveryUrl", "mlFlowTrackingUri", "mlFlowRegistryUri", "tenantId",
    "creationTime", "notebookInfo", "privateEndpointConnections", "privateLinkCount",
    "serviceProvisionedResourceGroup", "storageHnsEnabled", "workspaceHubConfig", "associatedWorkspaces",
    "settingSources",
})
# What amlite serves, as Azure spells it: a value equal to these asks for nothing new.
DEFAULTS: Mapping[str, object] = {"publicNetworkAccess": "Enabled", "hbiWorkspace": False, "v1LegacyMode": False,
                                  "allowPublicAccessWhenBehindVnet": False, "enableDataIsolation": False,
                                  "managedNetwork": {"isolationMode": "Disabled"}}
# The resources amlite creates with each workspace; bringing existing ones is not supported.
ASSOCIATED = ("storageAccount", "keyVault", "containerRegistry", "applicationInsights")
_WHY = {
    "encryption": "a Default workspace takes no customer-managed key; set one on a hub (kind Hub), whose projects "
                  "inherit it",
    "managedNetwork": "a Default workspace has no managed network settings; set them on a hub (kind Hub), whose "
                      "projects inherit them",
    "publicNetworkAccess": "a Default workspace's public network access is always Enabled; disable it on a hub "
                           "(kind Hub), whose projects inherit it",
    "hubResourceId": "it names a project's hub: send kind 'Project' with it",
    "hbiWorkspace": "high-business-impact workspaces are not supported",
    "v1LegacyMode": "the v1 legacy API is not supported",
}


def unhonoured_fields(given: Mapping[str, object], own: Mapping[str, str] | None) -> list[ErrorDetail]:
    """One refusal per field of ``properties`` (``given``: the fields no model reads) that asks for
    something amlite does not do. ``own`` is the workspace's associated resource ids on an update
    (None on create)."""
    refused: list[ErrorDetail] = []
    for key, value in given.items():
        if key in READ_ONLY or value in (None, False, "", {}, []) or DEFAULTS.get(key, object()) == value:
            continue
        if key in ASSOCIATED:
            if own is not None and str(value).lower() == own.get(key, "").lower():
                continue
            why = (f"amlite creates and manages the workspace's own {key}; an existing one cannot be brought"
                   if own is None else f"the workspace's {key} is '{own.get(key)}' and cannot change")
        else:
            why = _WHY.get(key, "amlite does not support this workspace property")
        refused.append(ErrorDetail("UnsupportedWorkspaceProperty", f"properties.{key}: {why}.", f"properties.{key}"))
    return refused
