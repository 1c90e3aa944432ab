"""A workspace's private endpoint connections (``.../workspaces/{ws}/privateEndpointConnections/{name}``).

A private endpoint in a virtual network asks to reach the workspace; the connection records the
request and the workspace owner's answer. Its state machine is Azure's: a connection starts
``Pending`` (or as its creator says), the owner approves or rejects it, and a rejected connection
stays rejected (the endpoint must ask again, as a new connection). A workspace move disconnects
every connection and recreates it ``Pending``: the owner approves it again at the new id (seed 000).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from amlite.domain.errors import invalid

TYPE = "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections"


class ConnectionStatus(str, Enum):
    PENDING = "Pending"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    DISCONNECTED = "Disconnected"

    @classmethod
    def parse(cls, value: str) -> "ConnectionStatus":
        for status in cls:
            if status.value.lower() == value.lower():
                return status
        raise invalid("InvalidRequestContent", f"Status '{value}' is not one of Pending, Approved, Rejected, "
                      "Disconnected.", "properties.privateLinkServiceConnectionState.status")


@dataclass(frozen=True)
class PrivateEndpointConnection:
    key: str
    workspace_key: str
    name: str
    private_endpoint_id: str
    status: ConnectionStatus
    description: str
    actions_required: str
    created_at: datetime
    modified_at: datetime

    def answered(self, status: ConnectionStatus, description: str | None, now: datetime) -> "PrivateEndpointConnection":
        """The owner's answer; a rejected connection cannot be approved (the endpoint asks again)."""
        if self.status is ConnectionStatus.REJECTED and status is ConnectionStatus.APPROVED:
            raise invalid("PrivateEndpointConnectionRejected",
                          f"The private endpoint connection '{self.name}' was rejected and cannot be approved; "
                          "delete it and connect the private endpoint again.",
                          "properties.privateLinkServiceConnectionState.status")
        return replace(self, status=status, description=self.description if description is None else description,
                       modified_at=now)

    def recreated_pending(self, now: datetime) -> "PrivateEndpointConnection":
        """What a workspace move leaves: disconnected from the old id and asking again, pending approval."""
        return replace(self, status=ConnectionStatus.PENDING, actions_required="None", modified_at=now,
                       description="Recreated by a move of the workspace; approve it to reconnect.")
