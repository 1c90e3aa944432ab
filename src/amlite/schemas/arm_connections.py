"""Request bodies of the workspace connection routes, as Azure ML's REST API spells them
(``WorkspaceConnectionPropertiesV2BasicResource``, ``WorkspaceConnectionUpdateParameter``).

The shape is loose on purpose: ``category``, ``authType`` and the credentials of each auth type
are judged by ``domain.connections``, whose errors say which category or field is wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from amlite.schemas.arm_common import ArmModel, TextMap

__all__ = ["ConnectionBody", "ConnectionProperties"]


class ConnectionProperties(ArmModel):
    category: str | None = None
    auth_type: str | None = Field(default=None, alias="authType")
    target: str | None = None
    credentials: dict[str, Any] | None = None
    metadata: TextMap | None = None
    is_shared_to_all: bool | None = Field(default=None, alias="isSharedToAll")
    expiry_time: str | None = Field(default=None, alias="expiryTime")


class ConnectionBody(ArmModel):
    """PUT (the whole connection) or PATCH (the fields given) of a connection."""

    properties: ConnectionProperties | None = None
