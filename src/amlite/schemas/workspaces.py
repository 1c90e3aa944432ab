"""Workspace YAML (``az ml workspace create --file``): what amlite honours, and a clear refusal of
what it does not.

amlite creates a Default workspace or a hub with its own storage, or a project in its hub's: the
fields it honours are ``name``, ``location``, ``display_name``, ``description``, ``tags``,
``resource_group`` (and ``$schema``); ``kind`` (``hub``, ``project``); a hub's
``default_resource_group``, ``public_network_access``, ``managed_network.isolation_mode`` and
``customer_managed_key.key_uri`` (azure-ai-ml's ``HubSchema``), a project's ``hub_id``. The server
judges which kind may carry which. Fields azure-ai-ml's workspace schema knows that amlite would
otherwise ignore are refused, each with the reason, rather than dropped: an existing storage
account, key vault or container registry would be replaced by amlite's own. Fields neither knows
are refused as unknown.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, field_validator

from amlite.schemas._common import SpecModel, StrDict
from amlite.schemas._yaml import YamlSchemaError, raise_from_pydantic

__all__ = ["NOT_HONOURED", "WorkspaceSpec", "parse_workspace"]

_OWN_STORAGE = ("amlite creates the workspace's own storage account and cannot attach an existing one; leave it "
                "out (the created workspace's storage is shown as storage_account)")
NOT_HONOURED: dict[str, str] = {
    "storage_account": _OWN_STORAGE,
    "key_vault": "amlite keeps datastore secrets in its own encrypted store and cannot use an existing key vault",
    "container_registry": "amlite builds no images, so a workspace has no container registry to attach",
    "application_insights": "amlite attaches no Application Insights to a Default workspace or a hub (a project "
                            "may name its own, instead of its hub's)",
    "hbi_workspace": "amlite has no high-business-impact mode",
    "image_build_compute": "amlite builds no images",
    "identity": "amlite does not assign managed identities to workspaces",
    "primary_user_assigned_identity": "amlite does not assign managed identities to workspaces",
    "enable_data_isolation": "amlite has no data isolation mode",
    "allow_roleassignment_on_rg": "amlite does not manage role assignments from a workspace",
    "system_datastores_auth_mode": "amlite's system datastores use its own storage credentials",
    "serverless_compute": "amlite runs no compute",
    "feature_store_settings": "feature stores are not built",
    "network_acls": "amlite does not manage workspace networks",
    "provision_network_now": "amlite does not manage workspace networks",
}
_KINDS = {"hub", "project"}  # azure-ai-ml's; a Default workspace's YAML names no kind


class ManagedNetworkSpec(SpecModel):
    """``managed_network``: its ``isolation_mode`` (outbound rules are not modelled)."""

    isolation_mode: str | None = None


class CustomerManagedKeySpec(SpecModel):
    """``customer_managed_key``: the key vault key URI (``key_vault`` may name its vault)."""

    key_vault: str | None = None
    key_uri: str | None = None


class WorkspaceSpec(SpecModel):
    name: str | None = None
    location: str | None = None
    display_name: str | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    kind: str | None = None
    resource_group: str | None = None
    hub_id: str | None = None
    default_resource_group: str | None = None
    public_network_access: str | None = None
    managed_network: ManagedNetworkSpec | None = None
    customer_managed_key: CustomerManagedKeySpec | None = None
    application_insights: str | None = None  # a project's own, the one setting it may override

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in _KINDS:
            raise ValueError(f"unknown workspace kind '{value}': azure-ai-ml knows 'hub' and 'project'; a Default "
                             "workspace's YAML has no 'kind'")
        return value

    def kind_fields(self) -> dict[str, Any]:
        """The SDK entity's hub and project fields (``amlite.sdk.entities.Workspace``)."""
        out: dict[str, Any] = {}
        if self.kind:
            out["kind"] = self.kind.capitalize()
        for key in ("hub_id", "default_resource_group", "public_network_access", "application_insights"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.managed_network is not None and self.managed_network.isolation_mode:
            out["managed_network"] = self.managed_network.isolation_mode
        if self.customer_managed_key is not None and self.customer_managed_key.key_uri:
            out["customer_managed_key"] = self.customer_managed_key.key_uri
        return out


def parse_workspace(data: dict[str, Any], source: str | None = None) -> WorkspaceSpec:
    """The workspace YAML as a spec; fields amlite does not honour are refused, naming why."""
    project = str(data.get("kind") or "").lower() == "project"
    for key, reason in NOT_HONOURED.items():
        if key == "application_insights" and project:
            continue
        if key in data and data[key] is not None:
            raise YamlSchemaError(f"'{key}' is not honoured: {reason}.", field=key, source=source)
    try:
        return WorkspaceSpec.model_validate(data)
    except ValidationError as exc:
        raise raise_from_pydantic(exc, source) from None
