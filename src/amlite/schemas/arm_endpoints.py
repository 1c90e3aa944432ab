"""Request bodies of online endpoints and deployments, as Azure ML's REST API spells them
(``OnlineEndpoint``, ``OnlineDeployment`` with ``endpointComputeType: Managed``).

The fields below are the ones a route reads; the service refuses by name the Azure fields it
cannot honour when they ask for something (a probe, a mirror, a data collector). A deployment's
code travels with it as ``codeConfiguration.artifacts``, the manifest of files already uploaded
to the workspace's storage (as asset versions carry theirs): amlite has no code assets.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from amlite.schemas.arm_common import ArmModel, Tags, TextMap


class OnlineEndpointProperties(ArmModel):
    auth_mode: str | None = Field(default=None, alias="authMode")
    description: str | None = None
    properties: TextMap | None = None
    traffic: dict[str, Any] | None = None
    mirror_traffic: dict[str, Any] | None = Field(default=None, alias="mirrorTraffic")
    public_network_access: str | None = Field(default=None, alias="publicNetworkAccess")
    compute: str | None = None


class OnlineEndpointBody(ArmModel):
    location: str | None = None
    kind: str | None = None
    tags: Tags | None = None
    identity: dict[str, Any] | None = None
    properties: OnlineEndpointProperties | None = None


class OnlineEndpointPatchBody(ArmModel):
    """PATCH: tags, and the traffic, description or auth mode under ``properties``."""

    tags: Tags | None = None
    properties: OnlineEndpointProperties | None = None
    identity: dict[str, Any] | None = None


class CodeConfiguration(ArmModel):
    scoring_script: str | None = Field(default=None, alias="scoringScript")
    code_id: str | None = Field(default=None, alias="codeId")
    artifacts: list[dict[str, Any]] | None = None


class Sku(ArmModel):
    name: str | None = None
    tier: str | None = None
    capacity: int | None = None


class OnlineDeploymentProperties(ArmModel):
    endpoint_compute_type: str | None = Field(default=None, alias="endpointComputeType")
    model: str | None = None
    code_configuration: CodeConfiguration | None = Field(default=None, alias="codeConfiguration")
    environment_id: str | None = Field(default=None, alias="environmentId")
    environment_variables: TextMap | None = Field(default=None, alias="environmentVariables")
    instance_type: str | None = Field(default=None, alias="instanceType")
    description: str | None = None
    properties: TextMap | None = None
    scale_settings: dict[str, Any] | None = Field(default=None, alias="scaleSettings")
    request_settings: dict[str, Any] | None = Field(default=None, alias="requestSettings")
    liveness_probe: dict[str, Any] | None = Field(default=None, alias="livenessProbe")
    readiness_probe: dict[str, Any] | None = Field(default=None, alias="readinessProbe")
    startup_probe: dict[str, Any] | None = Field(default=None, alias="startupProbe")
    model_mount_path: str | None = Field(default=None, alias="modelMountPath")
    data_collector: dict[str, Any] | None = Field(default=None, alias="dataCollector")
    app_insights_enabled: bool | None = Field(default=None, alias="appInsightsEnabled")
    egress_public_network_access: str | None = Field(default=None, alias="egressPublicNetworkAccess")


class OnlineDeploymentBody(ArmModel):
    location: str | None = None
    kind: str | None = None
    tags: Tags | None = None
    sku: Sku | None = None
    identity: dict[str, Any] | None = None
    properties: OnlineDeploymentProperties | None = None


class OnlineDeploymentPatchBody(ArmModel):
    """PATCH: tags, ``sku.capacity``, and the description/properties under ``properties``."""

    tags: Tags | None = None
    sku: Sku | None = None
    properties: OnlineDeploymentProperties | None = None


class RegenerateKeysBody(ArmModel):
    key_type: str | None = Field(default=None, alias="keyType")
    key_value: str | None = Field(default=None, alias="keyValue")


class DeploymentLogsBody(ArmModel):
    container_type: str | None = Field(default=None, alias="containerType")
    tail: int | None = None
