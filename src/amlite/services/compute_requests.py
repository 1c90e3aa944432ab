"""A compute's PUT body, judged: what it asks for, or a refusal naming the field amlite does not honour.

Azure ML's compute body has many settings amlite cannot give (virtual networks, SSH access, setup
scripts, schedules, Windows images...). Accepting one and ignoring it would leave a user believing
it holds, so each is refused by name unless it asks for nothing (``null``, ``false``, empty) or for
what amlite does anyway (azure-ai-ml's defaults: ``remoteLoginPortPublicAccess: NotSpecified``,
``osType: Linux``...). Fields Azure reports and a client may echo back (states, node counts) are
ignored, as ARM ignores read-only fields.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from amlite.domain.computes import (
    DEFAULT_IDLE_SECONDS,
    RAY_SIZE,
    TIERS,
    ComputeType,
    check_ray_address,
    check_scale,
    parse_duration,
)
from amlite.domain.errors import ErrorDetail, InvalidInput, invalid
from amlite.domain.names import check_text
from amlite.domain.vm_sizes import VmSize, find_vm_size
from amlite.schemas.arm_computes import ComputeBody

P = "properties"
PP = "properties.properties"

# Read-only in Azure's API: echoed back by clients, ignored.
_READ_ONLY_TOP = frozenset({"id", "name", "type", "systemData", "etag", "location", "tags"})
_READ_ONLY = frozenset({
    "provisioningState", "createdOn", "modifiedOn", "provisioningErrors", "isAttachedCompute", "disableLocalAuth",
    "computeLocation",
})
_READ_ONLY_INNER = frozenset({
    "allocationState", "allocationStateTransitionTime", "errors", "currentNodeCount", "targetNodeCount",
    "nodeStateCounts", "state", "connectivityEndpoints", "applications", "lastOperation", "osImageMetadata",
    "createdBy", "versions", "propertyBag", "dataMounts", "dataDisks", "containers",
})
# What amlite does anyway, as Azure spells it.
_CLUSTER_DEFAULTS: Mapping[str, object] = {
    "osType": "Linux", "remoteLoginPortPublicAccess": ("NotSpecified", "Disabled"), "enableNodePublicIp": True,
    "isolatedNetwork": False,
}
_INSTANCE_DEFAULTS: Mapping[str, object] = {
    "applicationSharingPolicy": ("Shared", "Personal"), "enableNodePublicIp": True, "enableSSO": True,
    "enableRootAccess": True, "releaseQuotaOnStop": False, "enableOSPatching": False,
    "computeInstanceAuthorizationType": "personal",
}
_WHY = {
    "subnet": "virtual networks are not supported",
    "userAccountCredentials": "amlite's nodes take no SSH login",
    "virtualMachineImage": "custom images are not supported",
    "osType": "only Linux nodes are supported",
    "remoteLoginPortPublicAccess": "amlite's nodes take no SSH login",
    "setupScripts": "setup scripts are not supported",
    "schedules": "start/stop schedules are not supported",
    "personalComputeInstanceSettings": "assigning an instance to another user is not supported",
    "customServices": "custom applications are not supported",
    "resourceId": "attaching existing compute is not supported",
    "idleTimeBeforeShutdown": "idle shutdown of compute instances is not supported",
    "releaseQuotaOnStop": "a stopped instance keeps its quota",
    "identity": "managed identities on computes are not supported",
    "sku": "compute SKUs are not supported",
}


@dataclass(frozen=True)
class ComputeRequest:
    compute_type: ComputeType
    vm_size: VmSize
    min_nodes: int
    max_nodes: int
    tier: str
    idle_seconds: int | None
    description: str
    tags: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)


def parse_compute(body: ComputeBody, location: str) -> ComputeRequest:
    """The request a PUT makes in a workspace of ``location``, or the first refusal."""
    props = body.properties
    if props.compute_type is None:
        raise invalid("InvalidRequestContent", "properties.computeType is required: AmlCompute or ComputeInstance.",
                      f"{P}.computeType")
    compute_type = ComputeType.parse(props.compute_type)
    if compute_type is None:
        raise invalid("InvalidRequestContent", f"computeType '{props.compute_type}' is not supported; use AmlCompute, "
                      "ComputeInstance or Ray.", f"{P}.computeType")
    for given, target in ((body.location, "location"), (props.compute_location, f"{P}.computeLocation")):
        if given and given.replace(" ", "").lower() != location.lower():
            raise invalid("InvalidRequestContent", f"{target} '{given}' must be the workspace's location, '{location}'.",
                          target)
    inner = props.properties
    if compute_type is ComputeType.RAY:
        return _ray(body)
    if not inner.vm_size:
        raise invalid("InvalidRequestContent", "properties.properties.vmSize is required.", f"{PP}.vmSize")
    size = find_vm_size(inner.vm_size)
    if size is None:
        raise invalid("InvalidVmSize", f"The VM size '{inner.vm_size}' is not available; 'amlite ml compute "
                      "list-sizes' lists the sizes amlite serves.", f"{PP}.vmSize")
    if compute_type.value not in size.compute_types:
        raise invalid("InvalidVmSize", f"The VM size '{size.name}' cannot be used for {compute_type.value}.", f"{PP}.vmSize")
    _refuse_unhonoured(body, compute_type)
    description = check_text(props.description, f"{P}.description", 5000) or ""
    tags = dict(body.tags or {})
    if compute_type is ComputeType.COMPUTE_INSTANCE:
        return ComputeRequest(compute_type, size, 0, 1, "Dedicated", None, description, tags,
                              _echo(inner.other_fields, _INSTANCE_DEFAULTS))
    return _cluster(body, size, description, tags)


def _cluster(body: ComputeBody, size: VmSize, description: str, tags: dict[str, str]) -> ComputeRequest:
    inner = body.properties.properties
    scale = inner.scale_settings
    min_nodes = scale.min_node_count if scale and scale.min_node_count is not None else 0
    max_nodes = scale.max_node_count if scale and scale.max_node_count is not None else 1
    check_scale(min_nodes, max_nodes)
    idle = DEFAULT_IDLE_SECONDS
    if scale and scale.node_idle_time_before_scale_down:
        idle = parse_duration(scale.node_idle_time_before_scale_down, f"{PP}.scaleSettings.nodeIdleTimeBeforeScaleDown")
    tier = next((t for t in TIERS if t.lower() == (inner.vm_priority or "Dedicated").lower()), None)
    if tier is None:
        raise invalid("InvalidRequestContent", f"vmPriority '{inner.vm_priority}' is not valid; use Dedicated or "
                      "LowPriority.", f"{PP}.vmPriority")
    if tier == "LowPriority" and not size.low_priority_capable:
        raise invalid("InvalidRequestContent", f"The VM size '{size.name}' has no low-priority nodes.", f"{PP}.vmPriority")
    return ComputeRequest(ComputeType.AML_COMPUTE, size, min_nodes, max_nodes, tier, idle, description, tags,
                          _echo(inner.other_fields, _CLUSTER_DEFAULTS))


def _ray(body: ComputeBody) -> ComputeRequest:
    """A Ray cluster attached by its dashboard's address (``properties.properties.address``), and
    nothing else: a size, scale settings or any other setting is refused by name. The server needs
    Ray's client library to submit jobs, so a server without it refuses the compute."""
    props = body.properties
    inner = props.properties
    address = check_ray_address(inner.other_fields.get("address"), f"{PP}.address")
    refused: list[ErrorDetail] = []
    for key, value in body.other_fields.items():
        if key not in _READ_ONLY_TOP and not _asks_nothing(value) and not (key == "identity" and _no_identity(value)):
            refused.append(ErrorDetail("UnsupportedComputeProperty", f"{key}: not a setting of a Ray compute.", key))
    for key, value in props.other_fields.items():
        if key not in _READ_ONLY and not _asks_nothing(value):
            refused.append(ErrorDetail("UnsupportedComputeProperty", f"{P}.{key}: not a setting of a Ray compute.",
                                       f"{P}.{key}"))
    named = {"vmSize": inner.vm_size, "vmPriority": inner.vm_priority, "scaleSettings": inner.scale_settings,
             "sshSettings": inner.ssh_settings, "idleTimeBeforeShutdown": inner.idle_time_before_shutdown,
             **{k: v for k, v in inner.other_fields.items() if k != "address" and k not in _READ_ONLY_INNER}}
    for key, value in named.items():
        if value is not None and not _asks_nothing(value):
            refused.append(ErrorDetail("UnsupportedComputeProperty", f"{PP}.{key}: not a setting of a Ray compute "
                                       "(its cluster has its own machines).", f"{PP}.{key}"))
    if refused:
        raise InvalidInput("UnsupportedComputeProperty", " ".join(d.message for d in refused), refused[0].target,
                           refused)
    if importlib.util.find_spec("ray") is None:
        raise invalid("RayNotInstalled", "This amlite server cannot submit jobs to Ray: the Python package "
                      "'ray[default]' is not installed in its environment (pip install 'ray[default]').",
                      f"{P}.computeType")
    description = check_text(props.description, f"{P}.description", 5000) or ""
    return ComputeRequest(ComputeType.RAY, RAY_SIZE, 0, 1, "Dedicated", None, description, dict(body.tags or {}),
                          {"address": address})


def _echo(given: Mapping[str, Any], defaults: Mapping[str, object]) -> dict[str, Any]:
    """The honoured settings as given (the body's spelling is kept for the answer)."""
    return {k: v for k, v in given.items() if k in defaults and v is not None}


def _asks_nothing(value: object) -> bool:
    return value in (None, False, "", {}, [])


def _allowed(key: str, value: object, defaults: Mapping[str, object]) -> bool:
    if key not in defaults:
        return False
    want = defaults[key]
    return value in want if isinstance(want, tuple) else value == want


def _refuse_unhonoured(body: ComputeBody, compute_type: ComputeType) -> None:
    defaults = _INSTANCE_DEFAULTS if compute_type is ComputeType.COMPUTE_INSTANCE else _CLUSTER_DEFAULTS
    refused: list[ErrorDetail] = []

    def refuse(target: str, key: str) -> None:
        why = _WHY.get(key, f"amlite does not support this {compute_type.value} setting")
        refused.append(ErrorDetail("UnsupportedComputeProperty", f"{target}: {why}.", target))

    for key, value in body.other_fields.items():
        if key not in _READ_ONLY_TOP and not _asks_nothing(value) and not (key == "identity" and _no_identity(value)):
            refuse(key, key)
    for key, value in body.properties.other_fields.items():
        if key not in _READ_ONLY and not _asks_nothing(value):
            refuse(f"{P}.{key}", key)
    inner = body.properties.properties
    for key, value in inner.other_fields.items():
        if key in _READ_ONLY_INNER or _asks_nothing(value) or _allowed(key, value, defaults):
            continue
        refuse(f"{PP}.{key}", key)
    if compute_type is ComputeType.COMPUTE_INSTANCE:
        if inner.scale_settings is not None:
            refused.append(ErrorDetail("UnsupportedComputeProperty", f"{PP}.scaleSettings: a compute instance has "
                                       "one node and no scale settings.", f"{PP}.scaleSettings"))
        if inner.vm_priority not in (None, "Dedicated"):
            refuse(f"{PP}.vmPriority", "vmPriority")
        if inner.idle_time_before_shutdown:
            refuse(f"{PP}.idleTimeBeforeShutdown", "idleTimeBeforeShutdown")
        ssh = inner.ssh_settings
        if ssh is not None and (ssh.ssh_public_access not in (None, "Disabled")
                                or any(not _asks_nothing(v) for k, v in ssh.other_fields.items()
                                       if k not in ("adminUserName", "sshPort"))):
            refuse(f"{PP}.sshSettings", "userAccountCredentials")
    else:
        for name, value in ((f"{PP}.sshSettings", inner.ssh_settings), (f"{PP}.idleTimeBeforeShutdown",
                                                                         inner.idle_time_before_shutdown)):
            if value is not None:
                refused.append(ErrorDetail("UnsupportedComputeProperty", f"{name}: not a setting of a compute "
                                           "cluster.", name))
        if inner.scale_settings is not None and inner.scale_settings.other_fields:
            key = next(iter(inner.scale_settings.other_fields))
            refused.append(ErrorDetail("UnsupportedComputeProperty", f"{PP}.scaleSettings.{key}: amlite does not "
                                       "support this scale setting.", f"{PP}.scaleSettings.{key}"))
    if refused:
        raise InvalidInput("UnsupportedComputeProperty", " ".join(d.message for d in refused), refused[0].target, refused)


def _no_identity(value: object) -> bool:
    return isinstance(value, dict) and str(value.get("type", "None")).lower() == "none" \
        and not value.get("userAssignedIdentities")
