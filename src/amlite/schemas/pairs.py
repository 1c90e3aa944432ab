"""The body of a workspace pair's PUT (docs/bcdr.md); the service judges the values."""

from __future__ import annotations

from pydantic import Field

from amlite.schemas.arm_common import ArmModel


class PairProperties(ArmModel):
    primary_workspace_id: str = Field(alias="primaryWorkspaceId")
    secondary_workspace_id: str = Field(alias="secondaryWorkspaceId")
    mode: str
    per_kind: dict[str, str] | None = Field(default=None, alias="perKind")
    auto_failover: bool = Field(default=False, alias="autoFailover")
    failover_after_seconds: int | None = Field(default=None, alias="failoverAfterSeconds")


class PairBody(ArmModel):
    properties: PairProperties
