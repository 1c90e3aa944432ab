"""The Azure ML CLI v2 YAML of managed online endpoints and deployments, as pydantic models.

Only what a local deployment honours is accepted; any other field of Azure's schemas (probes,
request settings, data collection, scale settings other than the default, Kubernetes endpoints,
a mirror of traffic) is refused by name rather than dropped. ``instance_count`` is 1: a deployment
runs as one local process.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from amlite.schemas._common import AssetName, SpecModel, StrDict, Version, scalar_text
from amlite.schemas.assets import InlineEnvironmentSpec

__all__ = ["CodeConfigurationSpec", "InlineModelSpec", "ManagedOnlineDeploymentSpec", "OnlineEndpointSpec"]

AUTH_MODES = {"key": "Key", "aml_token": "AMLToken", "aad_token": "AADToken"}
Text = Annotated[str, BeforeValidator(scalar_text)]


def _int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


class OnlineEndpointSpec(SpecModel):
    """``managedOnlineEndpoint.schema.json``."""

    name: Text
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)
    auth_mode: Literal["key", "aml_token", "aad_token"] = "key"
    traffic: dict[str, Annotated[int, BeforeValidator(_int)]] | None = None
    public_network_access: Literal["enabled"] | None = None
    kind: Literal["managed", "Managed"] | None = None

    @field_validator("auth_mode", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class CodeConfigurationSpec(SpecModel):
    code: str
    scoring_script: str


class InlineModelSpec(SpecModel):
    """A model written inside the deployment: a local file or folder, registered on create."""

    path: str
    name: AssetName | None = None
    version: Version | None = None
    type: Literal["custom_model", "mlflow_model", "triton_model"] = "custom_model"
    description: str | None = None


class ManagedOnlineDeploymentSpec(SpecModel):
    """``managedOnlineDeployment.schema.json``."""

    name: Text
    endpoint_name: Text
    type: Literal["managed"] | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)
    model: str | InlineModelSpec
    code_configuration: CodeConfigurationSpec
    environment: str | InlineEnvironmentSpec | None = None
    environment_variables: StrDict = Field(default_factory=dict)
    instance_type: Text = "Standard_DS3_v2"
    instance_count: Annotated[Literal[1], BeforeValidator(_int)] = 1
    app_insights_enabled: Literal[False] | None = None
    egress_public_network_access: Literal["enabled"] | None = None
