"""Online endpoints and deployments as azure-ai-ml's entities: ``ManagedOnlineEndpoint``,
``ManagedOnlineDeployment``, ``CodeConfiguration``, ``EndpointAuthKeys``, and the loaders
``load_online_endpoint`` / ``load_online_deployment`` (relative paths in the file are resolved
against its folder)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlite.schemas import YamlSchemaError, parse_spec
from amlite.schemas._yaml import apply_overrides, load_yaml_dict
from amlite.schemas.online_endpoints import AUTH_MODES, InlineModelSpec, ManagedOnlineDeploymentSpec, OnlineEndpointSpec
from amlite.sdk.asset_entities import Environment, Model, spec_error
from amlite.sdk.errors import ValidationException

__all__ = ["CodeConfiguration", "EndpointAuthKeys", "EndpointAuthToken", "ManagedOnlineDeployment",
           "ManagedOnlineEndpoint", "load_online_deployment", "load_online_endpoint", "online_endpoint_with"]

_REST_MODES = {v.lower(): k for k, v in AUTH_MODES.items()}


def _resource_group(arm_id: str | None) -> str | None:
    parts = (arm_id or "").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else None


@dataclass
class ManagedOnlineEndpoint:
    name: str
    auth_mode: str = "key"
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    traffic: dict[str, int] | None = None
    id: str | None = None
    location: str | None = None
    scoring_uri: str | None = None
    provisioning_state: str | None = None

    def _to_rest(self) -> dict[str, Any]:
        props: dict[str, Any] = {"authMode": AUTH_MODES.get(self.auth_mode.lower(), self.auth_mode),
                                 "description": self.description, "properties": self.properties}
        if self.traffic is not None:
            props["traffic"] = dict(self.traffic)
        return {"tags": dict(self.tags), "properties": {k: v for k, v in props.items() if v is not None}}

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> ManagedOnlineEndpoint:
        props = body.get("properties") or {}
        return cls(name=str(body.get("name")), auth_mode=_REST_MODES.get(str(props.get("authMode")).lower(), "key"),
                   description=props.get("description") or None, tags=dict(body.get("tags") or {}),
                   properties=dict(props.get("properties") or {}), traffic=dict(props.get("traffic") or {}),
                   id=body.get("id"), location=body.get("location"), scoring_uri=props.get("scoringUri"),
                   provisioning_state=props.get("provisioningState"))

    def _to_dict(self) -> dict[str, Any]:
        """What ``az ml online-endpoint show`` prints (azure-ai-ml's dict, plus the resource group)."""
        return {
            "auth_mode": self.auth_mode, "description": self.description, "id": self.id,
            "identity": {"type": "none"}, "kind": "Managed", "location": self.location, "mirror_traffic": {},
            "name": self.name, "openapi_uri": None, "properties": self.properties,
            "provisioning_state": self.provisioning_state, "public_network_access": "enabled",
            "resourceGroup": _resource_group(self.id), "scoring_uri": self.scoring_uri, "tags": self.tags,
            "traffic": self.traffic or {},
        }


@dataclass
class CodeConfiguration:
    code: str | None = None
    scoring_script: str | None = None


@dataclass
class ManagedOnlineDeployment:
    name: str
    endpoint_name: str | None = None
    model: str | Model | None = None
    code_configuration: CodeConfiguration | None = None
    environment: str | Environment | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    instance_type: str = "Standard_DS3_v2"
    instance_count: int = 1
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    provisioning_state: str | None = None
    warnings: list[str] = field(default_factory=list)
    code_files: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def _from_rest(cls, body: dict[str, Any], endpoint_name: str | None = None) -> ManagedOnlineDeployment:
        props = body.get("properties") or {}
        code = props.get("codeConfiguration") or {}
        arm_id = str(body.get("id") or "")
        parts = arm_id.split("/")
        endpoint = endpoint_name or (parts[-3] if len(parts) > 3 else None)
        return cls(name=str(body.get("name")), endpoint_name=endpoint, model=props.get("model"),
                   code_configuration=CodeConfiguration(scoring_script=code.get("scoringScript")),
                   environment=props.get("environmentId"), environment_variables=dict(props.get("environmentVariables") or {}),
                   instance_type=str(props.get("instanceType") or ""),
                   instance_count=int((body.get("sku") or {}).get("capacity") or 1),
                   description=props.get("description") or None, tags=dict(body.get("tags") or {}),
                   properties=dict(props.get("properties") or {}), id=arm_id or None,
                   provisioning_state=props.get("provisioningState"), warnings=list(props.get("warnings") or []),
                   code_files=list(code.get("artifacts") or []))

    def _to_dict(self) -> dict[str, Any]:
        """What ``az ml online-deployment show`` prints."""
        code = self.code_configuration
        return {
            "app_insights_enabled": False, "code_configuration": {"scoring_script": code.scoring_script if code else None},
            "description": self.description, "endpoint_name": self.endpoint_name,
            "environment": self.environment if isinstance(self.environment, str) or self.environment is None else None,
            "environment_variables": self.environment_variables, "egress_public_network_access": "enabled",
            "id": self.id, "instance_count": self.instance_count, "instance_type": self.instance_type,
            "model": self.model if isinstance(self.model, str) or self.model is None else None,
            "name": self.name, "properties": self.properties, "provisioning_state": self.provisioning_state,
            "resourceGroup": _resource_group(self.id), "scale_settings": {"type": "default"}, "tags": self.tags,
            "type": "managed", "warnings": self.warnings,
        }


@dataclass
class EndpointAuthKeys:
    primary_key: str | None = None
    secondary_key: str | None = None

    def _to_dict(self) -> dict[str, Any]:
        return {"primaryKey": self.primary_key, "secondaryKey": self.secondary_key}


@dataclass
class EndpointAuthToken:
    access_token: str
    expiry_time_utc: int
    refresh_after_time_utc: int
    token_type: str = "Bearer"

    def _to_dict(self) -> dict[str, Any]:
        return {"accessToken": self.access_token, "expiryTimeUtc": self.expiry_time_utc,
                "refreshAfterTimeUtc": self.refresh_after_time_utc, "tokenType": self.token_type}


def _load(kind: str, source: str | os.PathLike[str], params_override: Sequence[Mapping[str, Any]] | None) -> Any:
    return _parse(kind, apply_overrides(load_yaml_dict(source), params_override), str(source))


def _parse(kind: str, data: dict[str, Any], source: str) -> Any:
    try:
        return parse_spec(kind, data, source)
    except YamlSchemaError as exc:
        raise spec_error(exc) from None


def _endpoint(spec: OnlineEndpointSpec) -> ManagedOnlineEndpoint:
    return ManagedOnlineEndpoint(name=spec.name, auth_mode=spec.auth_mode, description=spec.description,
                                 tags=dict(spec.tags), properties=dict(spec.properties), traffic=spec.traffic)


def load_online_endpoint(source: str | os.PathLike[str],
                         params_override: Sequence[Mapping[str, Any]] | None = None) -> ManagedOnlineEndpoint:
    return _endpoint(_load("online_endpoint", source, params_override))


def online_endpoint_with(endpoint: ManagedOnlineEndpoint,
                         params_override: Sequence[Mapping[str, Any]]) -> ManagedOnlineEndpoint:
    """``endpoint`` (as the server has it) with ``--set`` overrides applied, judged as its YAML file
    would be: ``online-endpoint update -n NAME --set ...`` changes what az's would, or is refused."""
    data: dict[str, Any] = {"name": endpoint.name, "auth_mode": endpoint.auth_mode, "tags": dict(endpoint.tags),
                            "properties": dict(endpoint.properties)}
    if endpoint.description is not None:
        data["description"] = endpoint.description
    if endpoint.traffic is not None:
        data["traffic"] = dict(endpoint.traffic)
    spec: OnlineEndpointSpec = _parse("online_endpoint", apply_overrides(data, params_override), "--set")
    if spec.name != endpoint.name:
        raise ValidationException(f"name: an endpoint cannot be renamed ('{endpoint.name}' to '{spec.name}').",
                                  code="InvalidArguments")
    changed = _endpoint(spec)
    changed.id, changed.location, changed.scoring_uri = endpoint.id, endpoint.location, endpoint.scoring_uri
    return changed


def load_online_deployment(source: str | os.PathLike[str],
                           params_override: Sequence[Mapping[str, Any]] | None = None) -> ManagedOnlineDeployment:
    spec: ManagedOnlineDeploymentSpec = _load("online_deployment", source, params_override)
    base = Path(source).resolve().parent
    model: str | Model
    if isinstance(spec.model, InlineModelSpec):
        model = Model(name=spec.model.name or f"{spec.endpoint_name}-{spec.name}-model", version=spec.model.version,
                      path=str(base / spec.model.path), type=spec.model.type, description=spec.model.description)
    else:
        model = spec.model
    environment: str | Environment | None
    if spec.environment is None or isinstance(spec.environment, str):
        environment = spec.environment
    else:
        env = spec.environment
        if env.build is not None or env.inference_config is not None:
            error = ValidationException("environment: an inline environment of a deployment takes an image and a conda "
                                        "file; register one with a build context first and name it here.",
                                        code="InvalidYaml")
            error.error.target = "environment.build" if env.build is not None else "environment.inference_config"
            raise error
        environment = Environment(
            name=env.name or f"{spec.endpoint_name}-{spec.name}-env", version=env.version, image=env.image,
            conda_file=env.conda_file, description=env.description, base_path=str(base))
    code = CodeConfiguration(code=str(base / spec.code_configuration.code),
                             scoring_script=spec.code_configuration.scoring_script)
    return ManagedOnlineDeployment(
        name=spec.name, endpoint_name=spec.endpoint_name, model=model, code_configuration=code, environment=environment,
        environment_variables=dict(spec.environment_variables), instance_type=spec.instance_type,
        instance_count=spec.instance_count, description=spec.description, tags=dict(spec.tags),
        properties=dict(spec.properties))
