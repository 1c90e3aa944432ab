"""Compute entities named as in azure-ai-ml: ``AmlCompute`` (a cluster), ``ComputeInstance``,
``VmSize``, ``Usage`` and ``AmlComputeNodeInfo``, with the REST bodies they read and write and the
dicts ``az ml compute ...`` prints (``_to_dict()``).

    >>> from amlite import AmlCompute
    >>> cluster = AmlCompute(name="cpu-cluster", size="Standard_DS3_v2", min_instances=0, max_instances=2)
    >>> ml_client.compute.begin_create_or_update(cluster).result().provisioning_state
    'Succeeded'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from amlite.sdk._dicts import compact
from amlite.sdk.asset_entities import spec_error
from amlite.sdk.errors import ValidationException

__all__ = ["AmlCompute", "AmlComputeNodeInfo", "Compute", "ComputeInstance", "RayCompute", "Usage", "UsageName",
           "VmSize", "compute_from_rest", "load_compute"]

_TIERS = {"dedicated": "Dedicated", "low_priority": "LowPriority", "lowpriority": "LowPriority"}
_SECONDS = re.compile(r"PT(\d+)S", re.IGNORECASE)
_MINUTES = re.compile(r"PT(\d+)M", re.IGNORECASE)


def _seconds(value: Any) -> int | None:
    """Azure's ``PT120S``/``PT2M`` as seconds, as azure-ai-ml reads ``nodeIdleTimeBeforeScaleDown``."""
    if not isinstance(value, str):
        return None
    for rule, factor in ((_SECONDS, 1), (_MINUTES, 60)):
        match = rule.fullmatch(value)
        if match:
            return int(match.group(1)) * factor
    return None


@dataclass
class Compute:
    """What every compute has; ``type`` is ``amlcompute`` or ``computeinstance`` (azure-ai-ml's names)."""

    name: str
    type: str = ""
    size: str | None = None
    location: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    resource_group: str | None = None
    provisioning_state: str | None = None
    created_on: str | None = None
    provisioning_errors: list[Any] | None = None

    def _rest_inner(self) -> dict[str, Any]:
        return {"vmSize": self.size}

    def _to_rest(self) -> dict[str, Any]:
        if not self.size:
            raise ValidationException("A compute needs a size (a VM size such as Standard_DS3_v2).", code="MissingSize")
        body: dict[str, Any] = {"properties": compact({
            "computeType": "AmlCompute" if self.type == "amlcompute" else "ComputeInstance",
            "description": self.description, "properties": self._rest_inner(), "disableLocalAuth": True,
        })}
        if self.location:
            body["location"] = self.location
        if self.tags:
            body["tags"] = dict(self.tags)
        return body

    def _common_dict(self) -> dict[str, Any]:
        return compact({
            "name": self.name, "id": self.id, "type": self.type, "location": self.location,
            "description": self.description, "created_on": self.created_on,
            "provisioning_state": self.provisioning_state, "provisioning_errors": self.provisioning_errors,
            "tags": dict(self.tags) if self.tags else None,
        })

    def _to_dict(self) -> dict[str, Any]:
        return self._common_dict()


@dataclass
class AmlCompute(Compute):
    """A compute cluster: ``min_instances``..``max_instances`` nodes of ``size``; each node runs one job."""

    type: str = "amlcompute"
    tier: str | None = None
    min_instances: int | None = None
    max_instances: int | None = None
    idle_time_before_scale_down: int | None = None
    enable_node_public_ip: bool = True

    def _rest_inner(self) -> dict[str, Any]:
        tier = _TIERS.get((self.tier or "dedicated").lower())
        if tier is None:
            raise ValidationException(f"tier '{self.tier}' is not valid; use dedicated or low_priority.",
                                      code="InvalidTier")
        idle = self.idle_time_before_scale_down
        return {
            "vmSize": self.size, "vmPriority": tier,
            "scaleSettings": compact({
                "minNodeCount": 0 if self.min_instances is None else self.min_instances,
                "maxNodeCount": 1 if self.max_instances is None else self.max_instances,
                "nodeIdleTimeBeforeScaleDown": None if idle is None else f"PT{int(idle)}S",
            }),
            "remoteLoginPortPublicAccess": "NotSpecified", "enableNodePublicIp": self.enable_node_public_ip,
            "osType": "Linux",
        }

    def _to_dict(self) -> dict[str, Any]:
        """azure-ai-ml's ``AmlCompute`` dict (what ``az ml compute show`` prints for a cluster)."""
        return {**self._common_dict(), **compact({
            "size": self.size, "tier": self.tier, "min_instances": self.min_instances,
            "max_instances": self.max_instances, "idle_time_before_scale_down": self.idle_time_before_scale_down,
            "ssh_public_access_enabled": False, "network_settings": {},
            "enable_node_public_ip": self.enable_node_public_ip,
        })}


@dataclass
class ComputeInstance(Compute):
    """A compute instance: one node of ``size`` that starts, stops and restarts."""

    type: str = "computeinstance"
    state: str | None = None
    last_operation: dict[str, Any] | None = None
    network_settings: dict[str, Any] = field(default_factory=dict)
    enable_node_public_ip: bool = True
    enable_sso: bool = True
    enable_root_access: bool = True

    def _rest_inner(self) -> dict[str, Any]:
        return {"vmSize": self.size, "enableNodePublicIp": self.enable_node_public_ip, "enableSSO": self.enable_sso,
                "enableRootAccess": self.enable_root_access, "releaseQuotaOnStop": False, "enableOSPatching": False,
                "applicationSharingPolicy": "Shared", "computeInstanceAuthorizationType": "personal"}

    def _to_dict(self) -> dict[str, Any]:
        """azure-ai-ml's ``ComputeInstance`` dict (what ``az ml compute show`` prints for an instance)."""
        return {**self._common_dict(), **compact({
            "size": self.size, "network_settings": dict(self.network_settings),
            "ssh_settings": {"admin_username": "azureuser", "ssh_port": "50000"},
            "ssh_public_access_enabled": False, "state": self.state, "last_operation": self.last_operation,
            "enable_node_public_ip": self.enable_node_public_ip, "enable_sso": self.enable_sso,
            "enable_root_access": self.enable_root_access, "release_quota_on_stop": False,
            "enable_os_patching": False,
        })}


@dataclass
class RayCompute(Compute):
    """An existing Ray cluster, attached by its dashboard's HTTP ``address`` (an amlite addition:
    Azure ML has no Ray compute); jobs sent to it run through Ray's job API."""

    type: str = "ray"
    address: str | None = None

    def _to_rest(self) -> dict[str, Any]:
        if not self.address:
            raise ValidationException("A Ray compute needs the address of its cluster's dashboard "
                                      "(http://host:8265).", code="MissingAddress")
        body: dict[str, Any] = {"properties": compact({
            "computeType": "Ray", "description": self.description, "properties": {"address": self.address},
        })}
        if self.location:
            body["location"] = self.location
        if self.tags:
            body["tags"] = dict(self.tags)
        return body

    def _to_dict(self) -> dict[str, Any]:
        return {**self._common_dict(), **compact({"address": self.address})}


def compute_from_rest(body: dict[str, Any]) -> Compute:
    """A compute from its ARM body (``ComputeResource``)."""
    props = body.get("properties") or {}
    inner = props.get("properties") or {}
    arm_id = str(body.get("id") or "")
    parts = arm_id.split("/")
    group = parts[4] if len(parts) > 4 and parts[3].lower() == "resourcegroups" else None
    errors = props.get("provisioningErrors") or None
    common: dict[str, Any] = {
        "name": str(body.get("name") or ""), "size": inner.get("vmSize"), "location": body.get("location"),
        "description": props.get("description"), "tags": dict(body.get("tags") or {}), "id": arm_id or None,
        "resource_group": group, "provisioning_state": props.get("provisioningState"),
        "created_on": props.get("createdOn"), "provisioning_errors": errors,
    }
    if str(props.get("computeType")).lower() == "ray":
        return RayCompute(**common, address=inner.get("address"))
    if str(props.get("computeType")).lower() == "computeinstance":
        endpoints = inner.get("connectivityEndpoints") or {}
        network = compact({"public_ip_address": endpoints.get("publicIpAddress"),
                           "private_ip_address": endpoints.get("privateIpAddress")})
        return ComputeInstance(**common, state=inner.get("state"), last_operation=inner.get("lastOperation"),
                               network_settings=network, enable_node_public_ip=bool(inner.get("enableNodePublicIp", True)),
                               enable_sso=bool(inner.get("enableSSO", True)),
                               enable_root_access=bool(inner.get("enableRootAccess", True)))
    scale = inner.get("scaleSettings") or {}
    priority = str(inner.get("vmPriority") or "Dedicated")
    return AmlCompute(**common, tier="low_priority" if priority.lower() == "lowpriority" else "dedicated",
                      min_instances=scale.get("minNodeCount"), max_instances=scale.get("maxNodeCount"),
                      idle_time_before_scale_down=_seconds(scale.get("nodeIdleTimeBeforeScaleDown")),
                      enable_node_public_ip=bool(inner.get("enableNodePublicIp", True)))


@dataclass
class VmSize:
    name: str
    family: str | None = None
    v_cpus: int | None = None
    gpus: int | None = None
    os_vhd_size_mb: int | None = None
    max_resource_volume_mb: int | None = None
    memory_gb: float | None = None
    low_priority_capable: bool | None = None
    premium_io: bool | None = None
    supported_compute_types: list[str] = field(default_factory=list)

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> VmSize:
        return cls(name=str(body.get("name")), family=body.get("family"), v_cpus=body.get("vCPUs"),
                   gpus=body.get("gpus"), os_vhd_size_mb=body.get("osVhdSizeMB"),
                   max_resource_volume_mb=body.get("maxResourceVolumeMB"), memory_gb=body.get("memoryGB"),
                   low_priority_capable=body.get("lowPriorityCapable"), premium_io=body.get("premiumIO"),
                   supported_compute_types=list(body.get("supportedComputeTypes") or []))

    def _to_dict(self) -> dict[str, Any]:
        """As ``az ml compute list-sizes`` prints a size (its snake-casing of ``vCPUs`` included)."""
        return compact({
            "name": self.name, "family": self.family, "v_cp_us": self.v_cpus, "gpus": self.gpus,
            "os_vhd_size_mb": self.os_vhd_size_mb, "max_resource_volume_mb": self.max_resource_volume_mb,
            "memory_gb": self.memory_gb, "low_priority_capable": self.low_priority_capable,
            "premium_io": self.premium_io, "supported_compute_types": list(self.supported_compute_types),
        })


@dataclass
class UsageName:
    value: str | None = None
    localized_value: str | None = None


@dataclass
class Usage:
    """vCPUs of one VM family (or of the region) in use, and the limit."""

    id: str | None = None
    aml_workspace_location: str | None = None
    type: str | None = None
    unit: str | None = None
    current_value: int | None = None
    limit: int | None = None
    name: UsageName = field(default_factory=UsageName)

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> Usage:
        name = body.get("name") or {}
        return cls(id=body.get("id"), aml_workspace_location=body.get("amlWorkspaceLocation"), type=body.get("type"),
                   unit=body.get("unit"), current_value=body.get("currentValue"), limit=body.get("limit"),
                   name=UsageName(name.get("value"), name.get("localizedValue")))

    def _to_dict(self) -> dict[str, Any]:
        return compact({
            "id": self.id, "aml_workspace_location": self.aml_workspace_location, "type": self.type,
            "unit": self.unit, "current_value": self.current_value, "limit": self.limit,
            "name": compact({"value": self.name.value, "localized_value": self.name.localized_value}),
        })


@dataclass
class AmlComputeNodeInfo:
    node_id: str | None = None
    private_ip_address: str | None = None
    public_ip_address: str | None = None
    port: int | None = None
    node_state: str | None = None
    run_id: str | None = None

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> AmlComputeNodeInfo:
        return cls(node_id=body.get("nodeId"), private_ip_address=body.get("privateIpAddress"),
                   public_ip_address=body.get("publicIpAddress"), port=body.get("port"),
                   node_state=body.get("nodeState"), run_id=body.get("runId"))

    def _to_dict(self) -> dict[str, Any]:
        return compact({"node_id": self.node_id, "private_ip_address": self.private_ip_address,
                        "public_ip_address": self.public_ip_address, "port": self.port,
                        "node_state": self.node_state, "run_id": self.run_id})


def load_compute(source: str | os.PathLike[str], params_override: list[dict[str, Any]] | None = None,
                 **kwargs: Any) -> Compute:
    """An :class:`AmlCompute`, :class:`ComputeInstance` or :class:`RayCompute` from a compute YAML file."""
    from amlite.schemas import YamlSchemaError
    from amlite.schemas.computes import load_compute_spec

    try:
        spec = load_compute_spec(str(source), params_override)
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    common: dict[str, Any] = {"name": spec.name, "size": spec.size, "description": spec.description,
                              "tags": dict(spec.tags), "location": spec.location}
    if spec.type == "computeinstance":
        return ComputeInstance(**common)
    if spec.type == "ray":
        return RayCompute(**{**common, "size": None}, address=spec.address)
    return AmlCompute(**common, tier=spec.tier, min_instances=spec.min_instances, max_instances=spec.max_instances,
                      idle_time_before_scale_down=spec.idle_time_before_scale_down)
