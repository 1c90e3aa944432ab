"""Compute YAML (azure-ai-ml's ``amlcompute`` and ``computeinstance`` schemas, and amlite's
``ray``: an existing Ray cluster attached by its dashboard's ``address``).

Fields amlite honours are modelled; the others Azure ML's schema has are accepted only when they
ask for what amlite does anyway (``ssh_public_access_enabled: false``, ``enable_node_public_ip:
true``...) and refused by name otherwise, never dropped. Fields no Azure ML schema has are refused
as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from amlite.schemas._common import SpecModel, StrDict, scalar_text
from amlite.schemas._yaml import YamlSchemaError, apply_overrides, load_yaml_dict, raise_from_pydantic

__all__ = ["ComputeSpec", "load_compute_spec", "parse_compute_spec"]

# Azure ML's other compute YAML fields: the value amlite serves (accepted), or None (always refused).
_AZURE_FIELDS: Mapping[str, object] = {
    "ssh_public_access_enabled": False, "enable_node_public_ip": True, "enable_sso": True,
    "enable_root_access": True, "release_quota_on_stop": False, "enable_os_patching": False,
    "ssh_settings": None, "network_settings": None, "identity": None, "idle_time_before_shutdown": None,
    "idle_time_before_shutdown_minutes": None, "schedules": None, "setup_scripts": None,
    "create_on_behalf_of": None, "custom_applications": None, "resource_id": None, "os_image_metadata": None,
}
_WHY = {
    "ssh_settings": "SSH access is not supported", "ssh_public_access_enabled": "SSH access is not supported",
    "network_settings": "virtual networks are not supported", "identity": "managed identities on computes are not supported",
    "idle_time_before_shutdown": "idle shutdown of compute instances is not supported",
    "idle_time_before_shutdown_minutes": "idle shutdown of compute instances is not supported",
    "schedules": "start/stop schedules are not supported", "setup_scripts": "setup scripts are not supported",
    "create_on_behalf_of": "assigning an instance to another user is not supported",
    "custom_applications": "custom applications are not supported",
    "resource_id": "attaching existing compute is not supported",
    "release_quota_on_stop": "a stopped instance keeps its quota",
}


class ComputeSpec(SpecModel):
    name: str = Field(min_length=1)
    type: Literal["amlcompute", "computeinstance", "ray"]
    size: str | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    location: str | None = None
    tier: Literal["dedicated", "low_priority"] | None = None
    min_instances: int | None = Field(default=None, ge=0)
    max_instances: int | None = Field(default=None, ge=1)
    idle_time_before_scale_down: int | None = Field(default=None, ge=0)
    ssh_public_access_enabled: bool | None = None
    enable_node_public_ip: bool | None = None
    enable_sso: bool | None = None
    enable_root_access: bool | None = None
    release_quota_on_stop: bool | None = None
    enable_os_patching: bool | None = None
    ssh_settings: dict[str, Any] | None = None
    network_settings: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    idle_time_before_shutdown: str | None = None
    idle_time_before_shutdown_minutes: int | None = None
    schedules: dict[str, Any] | None = None
    setup_scripts: dict[str, Any] | None = None
    create_on_behalf_of: dict[str, Any] | None = None
    custom_applications: list[Any] | None = None
    resource_id: str | None = None
    os_image_metadata: dict[str, Any] | None = None
    address: str | None = None  # a Ray compute's dashboard address (amlite's addition)

    @field_validator("name", "size", "description", "location", "address", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return scalar_text(value)

    @field_validator("type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


def parse_compute_spec(data: dict[str, Any], source: str | None = None) -> ComputeSpec:
    try:
        spec = ComputeSpec.model_validate(data)
    except ValidationError as exc:
        raise raise_from_pydantic(exc, source) from None
    for key, serves in _AZURE_FIELDS.items():
        value = getattr(spec, key)
        if value is None or value in ({}, []) or (serves is not None and value == serves):
            continue
        why = _WHY.get(key, "amlite does not support this setting")
        raise YamlSchemaError(f"{why}; amlite does not honour '{key}: {value}'.", field=key, source=source)
    if spec.type == "ray":
        if not spec.address:
            raise YamlSchemaError("a Ray compute needs the address of its cluster's dashboard, such as "
                                  "http://127.0.0.1:8265.", field="address", source=source)
        for key in ("size", "tier", "min_instances", "max_instances", "idle_time_before_scale_down"):
            if getattr(spec, key) is not None:
                raise YamlSchemaError("a Ray compute is an existing Ray cluster with machines of its own: this is "
                                      "a setting of compute clusters (type: amlcompute).", field=key, source=source)
    elif spec.address is not None:
        raise YamlSchemaError("address is a setting of Ray computes (type: ray).", field="address", source=source)
    if spec.type == "computeinstance":
        for key in ("tier", "min_instances", "max_instances", "idle_time_before_scale_down"):
            if getattr(spec, key) is not None:
                raise YamlSchemaError("a compute instance has one node: this is a setting of compute clusters "
                                      "(type: amlcompute).", field=key, source=source)
    if spec.min_instances is not None and spec.max_instances is not None and spec.min_instances > spec.max_instances:
        raise YamlSchemaError(f"min_instances ({spec.min_instances}) cannot be more than max_instances "
                              f"({spec.max_instances}).", field="min_instances", source=source)
    return spec


def load_compute_spec(path: str, params_override: Sequence[Mapping[str, Any]] | None = None) -> ComputeSpec:
    return parse_compute_spec(apply_overrides(load_yaml_dict(path), params_override), path)
