"""Computes of a workspace: compute clusters (``AmlCompute``) and compute instances
(``ComputeInstance``), their states, the vCPU quota they draw on, and their node slots.

Provisioning, as Azure ML reports it in ``properties.provisioningState``::

    Creating ──▶ Succeeded ──delete──▶ Deleting ──▶ (gone)
        └──────▶ Failed

A compute instance also has a power state (``properties.properties.state``)::

    Creating ─▶ Running ─stop─▶ Stopping ─▶ Stopped ─start─▶ Starting ─▶ Running
                   └──restart──▶ Restarting ─▶ Running

A start, stop or restart asked in a state that does not allow it is a 409 naming both. Clusters
have no power state: they scale between ``min_nodes`` and ``max_nodes``.

Quota: every subscription has, per region, a vCPU limit per VM family and a regional total. A
cluster reserves ``max_nodes`` × its size's vCPUs, an instance its size's vCPUs, from creation
until it is gone (a failed create reserves nothing). A create or a scale-up beyond a limit is
refused with ``QuotaExceeded`` naming the family, the usage and the limit.

Node slots: a cluster's nodes are the job runner's execution slots (``max_nodes`` of them, a
running instance has one). A slot is held under a lease its holder renews; a lease that runs out
(its holder died) frees the slot.

A Ray compute (``Ray``, an amlite addition: Azure ML has no such type) is an existing Ray cluster
attached by the address of its dashboard; jobs sent to it are submitted through Ray's job API and
Ray schedules them, so it has no node slots, no VM size and reserves no quota.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from amlite.domain.errors import Conflict, InvalidInput, invalid
from amlite.domain.resources import AuditStamp
from amlite.domain.vm_sizes import VmSize


class ComputeType(str, Enum):
    AML_COMPUTE = "AmlCompute"
    COMPUTE_INSTANCE = "ComputeInstance"
    RAY = "Ray"

    @classmethod
    def parse(cls, value: str) -> "ComputeType | None":
        """Azure ML's ``computeType`` or the YAML's ``type`` (``amlcompute``, ``computeinstance``), any case."""
        return next((t for t in cls if t.value.lower() == value.lower()), None)


class ComputeProvisioningState(str, Enum):
    CREATING = "Creating"
    SUCCEEDED = "Succeeded"
    DELETING = "Deleting"
    FAILED = "Failed"


class InstanceState(str, Enum):
    CREATING = "Creating"
    RUNNING = "Running"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    STARTING = "Starting"
    RESTARTING = "Restarting"
    DELETING = "Deleting"
    FAILED = "CreateFailed"


class PowerAction(str, Enum):
    START = "start"
    STOP = "stop"
    RESTART = "restart"


# action -> (the state it may start from, the state while it runs, the state it ends in)
_POWER: dict[PowerAction, tuple[InstanceState, InstanceState, InstanceState]] = {
    PowerAction.START: (InstanceState.STOPPED, InstanceState.STARTING, InstanceState.RUNNING),
    PowerAction.STOP: (InstanceState.RUNNING, InstanceState.STOPPING, InstanceState.STOPPED),
    PowerAction.RESTART: (InstanceState.RUNNING, InstanceState.RESTARTING, InstanceState.RUNNING),
}

_CLUSTER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,15}")
_INSTANCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,23}")
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.IGNORECASE)

#: Azure ML's defaults: a cluster scales down after 120 s idle; an instance does not shut down.
DEFAULT_IDLE_SECONDS = 120
TIERS = ("Dedicated", "LowPriority")


#: What a Ray compute records as its size: none of amlite's, and no vCPUs drawn from the quota.
RAY_SIZE = VmSize("Ray", "Ray", 0, 0, compute_types=(ComputeType.RAY.value,))
_RAY_ADDRESS = re.compile(r"https?://[A-Za-z0-9.\-]+(?::\d{1,5})?/?")


def check_ray_address(value: str | None, target: str) -> str:
    """A Ray dashboard's HTTP address (``http://host:8265``), as Ray's ``JobSubmissionClient`` takes it."""
    text = (value or "").strip()
    if not _RAY_ADDRESS.fullmatch(text):
        raise invalid("InvalidRequestContent", f"{target} '{value or ''}' must be the HTTP address of a Ray cluster's "
                      "dashboard, such as http://127.0.0.1:8265.", target)
    return text.rstrip("/")


def check_compute_name(name: str, compute_type: ComputeType) -> str:
    """Azure ML's rules: a cluster 2-16, an instance 3-24 characters, letters, digits and '-',
    starting with a letter and not ending with '-'."""
    rule, span = ((_CLUSTER_NAME, "2 and 16") if compute_type is not ComputeType.COMPUTE_INSTANCE
                  else (_INSTANCE_NAME, "3 and 24"))
    if not rule.fullmatch(name) or name.endswith("-"):
        raise invalid("InvalidComputeName",
                      f"Compute name '{name}' must be between {span} characters long, start with a letter, "
                      "and contain only letters, digits and '-' (not at the end).", "name")
    return name


def parse_duration(value: str, target: str) -> int:
    """An ISO 8601 duration (``PT120S``, ``PT2M``, ``P1DT2H``) in whole seconds."""
    match = _DURATION.fullmatch(value.strip())
    if not match or not any(match.groups()) or value.upper().endswith("T"):
        raise invalid("InvalidRequestContent", f"{target} '{value}' is not an ISO 8601 duration such as PT120S.",
                      target)
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def format_duration(seconds: int) -> str:
    return f"PT{seconds}S"


@dataclass(frozen=True)
class Compute:
    key: str
    workspace_key: str
    name: str
    compute_type: ComputeType
    location: str
    vm_size: VmSize
    stamp: AuditStamp
    min_nodes: int = 0
    max_nodes: int = 1
    tier: str = "Dedicated"
    idle_seconds: int | None = DEFAULT_IDLE_SECONDS
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    provisioning_state: ComputeProvisioningState = ComputeProvisioningState.CREATING
    state: InstanceState | None = None
    #: Settings echoed back as given (ssh access, application sharing policy...), already judged.
    settings: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    last_operation: dict[str, str] | None = None

    @property
    def is_instance(self) -> bool:
        return self.compute_type is ComputeType.COMPUTE_INSTANCE

    @property
    def is_ray(self) -> bool:
        return self.compute_type is ComputeType.RAY

    @property
    def ray_address(self) -> str:
        """The dashboard address of a Ray compute's cluster (empty for other computes)."""
        return str(self.settings.get("address") or "") if self.is_ray else ""

    @property
    def family(self) -> str:
        return self.vm_size.family

    @property
    def reserved_vcpus(self) -> int:
        """What the compute draws from its family's quota: clusters their largest size."""
        if self.provisioning_state is ComputeProvisioningState.FAILED:
            return 0
        return self.vm_size.vcpus * (1 if self.is_instance else self.max_nodes)

    @property
    def slot_count(self) -> int:
        """How many jobs may run on it at once: a cluster's nodes; a running instance's one."""
        if self.provisioning_state is not ComputeProvisioningState.SUCCEEDED or self.is_ray:
            return 0
        if self.is_instance:
            return 1 if self.state is InstanceState.RUNNING else 0
        return self.max_nodes

    # -- transitions -------------------------------------------------------------------------------

    def provisioned(self, now: datetime) -> "Compute":
        """Creation finished: Succeeded, and an instance Running."""
        if self.provisioning_state is not ComputeProvisioningState.CREATING:
            return self
        return replace(self, provisioning_state=ComputeProvisioningState.SUCCEEDED,
                       state=InstanceState.RUNNING if self.is_instance else None,
                       last_operation=_operation("Create", now, "Succeeded") if self.is_instance else None)

    def creation_failed(self, code: str, message: str) -> "Compute":
        return replace(self, provisioning_state=ComputeProvisioningState.FAILED,
                       state=InstanceState.FAILED if self.is_instance else None,
                       errors=[{"code": code, "message": message}])

    def deleting(self) -> "Compute":
        if self.provisioning_state is ComputeProvisioningState.CREATING:
            raise Conflict("ComputeBusy", f"Compute '{self.name}' is being created; delete it once it has finished.")
        return replace(self, provisioning_state=ComputeProvisioningState.DELETING,
                       state=InstanceState.DELETING if self.is_instance else None)

    def powering(self, action: PowerAction) -> "Compute":
        """The state while ``action`` runs, or a refusal naming the state that forbids it."""
        if not self.is_instance:
            kind = "a Ray compute" if self.is_ray else "a compute cluster"
            raise invalid("OperationNotSupported",
                          f"Compute '{self.name}' is {kind}; only compute instances can {action.value}.")
        if self.provisioning_state is not ComputeProvisioningState.SUCCEEDED:
            raise Conflict("ComputeBusy", f"Compute instance '{self.name}' is {self.provisioning_state.value} "
                                          f"and cannot {action.value}.")
        allowed_from, during, _ = _POWER[action]
        if self.state is not allowed_from:
            current = self.state.value if self.state else "unknown"
            raise Conflict("InvalidComputeState",
                           f"Compute instance '{self.name}' is {current}; it can {action.value} only when "
                           f"{allowed_from.value}.")
        return replace(self, state=during)

    def powered(self, action: PowerAction, now: datetime) -> "Compute":
        """``action`` finished: the state it ends in (a rerun after a crash changes nothing)."""
        _, during, after = _POWER[action]
        if self.state is not during:
            return self
        return replace(self, state=after, last_operation=_operation(action.value.capitalize(), now, "Succeeded"))

    def scaled(self, min_nodes: int, max_nodes: int, idle_seconds: int | None) -> "Compute":
        return replace(self, min_nodes=min_nodes, max_nodes=max_nodes, idle_seconds=idle_seconds)


def _operation(name: str, now: datetime, status: str) -> dict[str, str]:
    return {"operationName": name, "operationTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "operationStatus": status,
            "operationTrigger": "User"}


def check_scale(min_nodes: int, max_nodes: int) -> None:
    if min_nodes < 0:
        raise invalid("InvalidRequestContent", "minNodeCount must be 0 or more.", "properties.properties.scaleSettings.minNodeCount")
    if max_nodes < 1:
        raise invalid("InvalidRequestContent", "maxNodeCount must be at least 1.", "properties.properties.scaleSettings.maxNodeCount")
    if min_nodes > max_nodes:
        raise invalid("InvalidRequestContent", f"minNodeCount ({min_nodes}) cannot be more than maxNodeCount ({max_nodes}).",
                      "properties.properties.scaleSettings.minNodeCount")


# -- quota -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaLimits:
    """vCPU limits per subscription and region: one per family (``family_vcpus``, or the family's
    own in ``families``) and a regional total (``total_vcpus``)."""

    family_vcpus: int = 24
    total_vcpus: int = 100
    families: Mapping[str, int] = field(default_factory=dict)

    def limit_for(self, family: str) -> int:
        for name, limit in self.families.items():
            if name.lower() == family.lower():
                return limit
        return self.family_vcpus


TOTAL = "Total Regional vCPUs"


def parse_quota(raw: object) -> QuotaLimits:
    """The configuration's ``quota:`` mapping (``family_vcpus``, ``total_vcpus``, ``families:
    {name: vcpus}``); ``ValueError`` names what is wrong."""
    if raw is None:
        return QuotaLimits()
    if not isinstance(raw, dict):
        raise ValueError("quota must be a mapping (family_vcpus, total_vcpus, families)")
    unknown = set(raw) - {"family_vcpus", "total_vcpus", "families"}
    if unknown:
        raise ValueError(f"quota.{sorted(unknown)[0]} is not a known quota setting")

    def count(value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where} must be a whole number of vCPUs (0 or more), got '{value}'")
        return value

    defaults = QuotaLimits()
    families = raw.get("families") or {}
    if not isinstance(families, dict):
        raise ValueError("quota.families must map VM family names to vCPUs")
    return QuotaLimits(
        family_vcpus=count(raw.get("family_vcpus", defaults.family_vcpus), "quota.family_vcpus"),
        total_vcpus=count(raw.get("total_vcpus", defaults.total_vcpus), "quota.total_vcpus"),
        families={str(k): count(v, f"quota.families.{k}") for k, v in families.items()},
    )


def check_quota(limits: QuotaLimits, usage: Mapping[str, int], family: str, more: int, location: str) -> None:
    """Refuse ``more`` vCPUs of ``family`` if the family's or the region's usage would pass its
    limit. ``usage`` is what the subscription's computes in the region reserve now, by family."""
    if more <= 0:
        return
    used = sum(v for k, v in usage.items() if k.lower() == family.lower())
    limit = limits.limit_for(family)
    if used + more > limit:
        raise quota_exceeded(family, used, more, limit, location)
    total = sum(usage.values())
    if total + more > limits.total_vcpus:
        raise quota_exceeded(TOTAL, total, more, limits.total_vcpus, location)


def quota_exceeded(family: str, used: int, more: int, limit: int, location: str) -> InvalidInput:
    return InvalidInput(
        "QuotaExceeded",
        f"Operation could not be completed as it results in exceeding approved {family} quota in {location}. "
        f"Current usage: {used}, additional required: {more}, limit: {limit}. Delete or scale down computes, "
        "or raise the limit in the server's 'quota:' settings.",
        "properties.properties.vmSize",
    )


def check_workspace_quota(limit: int | None, used: int, family: str, more: int, holder: str,
                          location: str) -> None:
    """Refuse ``more`` vCPUs of ``family`` past a workspace's own limit (Azure's workspace-level
    quota, set by ``locations/{loc}/updateQuotas``). ``holder`` names the workspace whose balance
    it is (``workspace 'w'``, or ``hub 'h'`` for a hub and its projects, which draw on one
    balance). None is no limit of its own: the subscription's regional limit applies alone."""
    if more <= 0 or limit is None or used + more <= limit:
        return
    raise InvalidInput(
        "QuotaExceeded",
        f"Operation could not be completed as it results in exceeding approved {family} quota of {holder} "
        f"in {location}. Current usage: {used}, additional required: {more}, limit: {limit}. Delete or scale down "
        f"computes of {holder}, or raise its limit (POST .../locations/{location}/updateQuotas).",
        "properties.properties.vmSize",
    )


class QuotaUpdateStatus(str, Enum):
    """Azure's per-entry answer to ``updateQuotas`` (``UpdateWorkspaceQuotas.status``)."""

    SUCCESS = "Success"
    BELOW_USAGE = "InvalidQuotaBelowClusterMinimum"
    ABOVE_SUBSCRIPTION = "InvalidQuotaExceedsSubscriptionLimit"
    UNKNOWN_FAMILY = "InvalidVMFamilyName"


def judge_workspace_limit(family: str | None, limit: int, used: int, subscription_limit: int) -> QuotaUpdateStatus:
    """Whether a workspace may get ``limit`` vCPUs of ``family`` (None: not a family of the
    catalogue): never above the subscription's limit in the region, never below what its
    computes (a hub's: its projects' too) reserve now."""
    if family is None:
        return QuotaUpdateStatus.UNKNOWN_FAMILY
    if limit > subscription_limit:
        return QuotaUpdateStatus.ABOVE_SUBSCRIPTION
    if limit < used:
        return QuotaUpdateStatus.BELOW_USAGE
    return QuotaUpdateStatus.SUCCESS


# -- node slots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeSlot:
    """One node of a compute held by one holder (a job) until ``expires_at``; renewed by the holder."""

    key: str
    compute_key: str
    index: int
    holder: str
    acquired_at: datetime
    expires_at: datetime

    @property
    def node_id(self) -> str:
        return node_id(self.compute_key, self.index)

    def live(self, now: datetime) -> bool:
        return self.expires_at > now

    def renewed(self, now: datetime, lease: timedelta) -> "NodeSlot":
        return replace(self, expires_at=now + lease)


def node_id(compute_key: str, index: int) -> str:
    """A node's id as Azure ML shows one (``tvmps_...``), stable for the compute's slot."""
    return f"tvmps_{compute_key[:8]}_{index:04d}"


def free_slot(compute: Compute, held: list[NodeSlot], now: datetime) -> int | None:
    """The lowest slot index of ``compute`` no live lease holds, or None when every node is busy."""
    busy = {slot.index for slot in held if slot.live(now)}
    return next((i for i in range(compute.slot_count) if i not in busy), None)
