"""The ARM body of a compute (``PUT .../workspaces/{ws}/computes/{name}``), as Azure ML's REST API
and azure-ai-ml's ``ComputeResource`` write it: ``properties.computeType`` and, inside
``properties.properties``, the type's own settings (``vmSize``, ``scaleSettings``...).

Every field Azure's body may carry beyond the modelled ones is kept (``other_fields``) so that the
service refuses, by name, what amlite does not honour (``services/compute_requests.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from amlite.schemas.arm_common import ArmModel, Tags


def _or_empty(value: object) -> object:
    return {} if value is None else value


class _Open(ArmModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True, frozen=True)

    @property
    def other_fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ScaleSettings(_Open):
    min_node_count: int | None = Field(default=None, alias="minNodeCount")
    max_node_count: int | None = Field(default=None, alias="maxNodeCount")
    node_idle_time_before_scale_down: str | None = Field(default=None, alias="nodeIdleTimeBeforeScaleDown")


class SshSettings(_Open):
    ssh_public_access: str | None = Field(default=None, alias="sshPublicAccess")


class ComputeTypeProperties(_Open):
    """``properties.properties``: a cluster's or an instance's settings (both spell ``vmSize``)."""

    vm_size: str | None = Field(default=None, alias="vmSize")
    vm_priority: str | None = Field(default=None, alias="vmPriority")
    scale_settings: ScaleSettings | None = Field(default=None, alias="scaleSettings")
    ssh_settings: SshSettings | None = Field(default=None, alias="sshSettings")
    idle_time_before_shutdown: str | None = Field(default=None, alias="idleTimeBeforeShutdown")


class ComputeProperties(_Open):
    compute_type: str | None = Field(default=None, alias="computeType")
    description: str | None = None
    compute_location: str | None = Field(default=None, alias="computeLocation")
    properties: Annotated[ComputeTypeProperties, BeforeValidator(_or_empty)] = Field(
        default_factory=ComputeTypeProperties)


class ComputeBody(_Open):
    """PUT of a compute; ``properties.computeType`` and ``properties.properties.vmSize`` are required
    (checked once the workspace is found)."""

    location: str | None = None
    tags: Tags | None = None
    properties: Annotated[ComputeProperties, BeforeValidator(_or_empty)] = Field(default_factory=ComputeProperties)


class QuotaEntry(ArmModel):
    """One entry of ``updateQuotas``: ``<workspace id>/quotas/<family>`` and its new vCPU limit."""

    id: str
    type: str | None = None
    limit: int
    unit: str | None = None


class QuotaUpdateBody(ArmModel):
    """Azure's ``QuotaUpdateParameters`` (``POST .../locations/{loc}/updateQuotas``). ``value`` is
    required, but judged by the service after the subscription is found (a missing one is a 404)."""

    value: list[QuotaEntry] | None = None
    location: str | None = None
