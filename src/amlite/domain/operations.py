"""Long-running operations as a state machine.

An operation is the status a client polls (ARM's ``Azure-AsyncOperation``). It starts
``InProgress`` and ends ``Succeeded``, ``Failed`` or ``Canceled``; a terminal state never changes
again. Its work runs as a task of the one task engine (``domain/tasks.py``), whose kind is the
operation's kind: a worker that dies mid-way leaves the task to be claimed again and redone, so
every step an operation takes must be idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any


class OperationStatus(str, Enum):
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        return self is not OperationStatus.IN_PROGRESS


class OperationKind(str, Enum):
    DELETE_RESOURCE_GROUP = "resourceGroups/delete"
    DELETE_WORKSPACE = "workspaces/delete"
    DELETE_REGISTRY = "registries/delete"
    CREATE_COMPUTE = "computes/write"
    DELETE_COMPUTE = "computes/delete"
    START_COMPUTE = "computes/start"
    STOP_COMPUTE = "computes/stop"
    RESTART_COMPUTE = "computes/restart"
    WRITE_ONLINE_ENDPOINT = "onlineEndpoints/write"
    DELETE_ONLINE_ENDPOINT = "onlineEndpoints/delete"
    WRITE_ONLINE_DEPLOYMENT = "onlineEndpoints/deployments/write"
    DELETE_ONLINE_DEPLOYMENT = "onlineEndpoints/deployments/delete"
    VALIDATE_MOVE = "resourceGroups/validateMoveResources"
    MOVE_RESOURCES = "resourceGroups/moveResources"

    @property
    def action(self) -> str:
        """The action the operation performs, as the audit log records its end."""
        return _ACTIONS[self]


_ACTIONS = {
    OperationKind.DELETE_RESOURCE_GROUP: "Microsoft.Resources/subscriptions/resourceGroups/delete",
    OperationKind.DELETE_WORKSPACE: "Microsoft.MachineLearningServices/workspaces/delete",
    OperationKind.DELETE_REGISTRY: "Microsoft.MachineLearningServices/registries/delete",
    OperationKind.CREATE_COMPUTE: "Microsoft.MachineLearningServices/workspaces/computes/write",
    OperationKind.DELETE_COMPUTE: "Microsoft.MachineLearningServices/workspaces/computes/delete",
    OperationKind.START_COMPUTE: "Microsoft.MachineLearningServices/workspaces/computes/start/action",
    OperationKind.STOP_COMPUTE: "Microsoft.MachineLearningServices/workspaces/computes/stop/action",
    OperationKind.RESTART_COMPUTE: "Microsoft.MachineLearningServices/workspaces/computes/restart/action",
    OperationKind.WRITE_ONLINE_ENDPOINT: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write",
    OperationKind.DELETE_ONLINE_ENDPOINT: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/delete",
    OperationKind.WRITE_ONLINE_DEPLOYMENT: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
    OperationKind.DELETE_ONLINE_DEPLOYMENT: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/delete",
    OperationKind.VALIDATE_MOVE: "Microsoft.Resources/subscriptions/resourceGroups/validateMoveResources/action",
    OperationKind.MOVE_RESOURCES: "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action",
}


class IllegalTransition(RuntimeError):
    """A programming error: something tried to move a finished operation."""


# How many times an operation's task may be claimed before the operation is failed for good;
# protects the queue from an operation that crashes its worker every time.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Operation:
    id: str
    kind: OperationKind
    subscription_id: str
    namespace: str
    location: str
    target_id: str
    target_key: str
    created_by: str
    created_at: datetime
    status: OperationStatus = OperationStatus.IN_PROGRESS
    payload: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    ended_at: datetime | None = None

    def succeeded(self, now: datetime) -> "Operation":
        self._check_open()
        return replace(self, status=OperationStatus.SUCCEEDED, ended_at=now)

    def failed(self, now: datetime, code: str, message: str) -> "Operation":
        self._check_open()
        return replace(
            self, status=OperationStatus.FAILED, ended_at=now, error_code=code, error_message=message,
        )

    def canceled(self, now: datetime, message: str) -> "Operation":
        self._check_open()
        return replace(
            self, status=OperationStatus.CANCELED, ended_at=now, error_code="OperationCanceled",
            error_message=message,
        )

    def _check_open(self) -> None:
        if self.status.is_terminal:
            raise IllegalTransition(f"operation {self.id} is already {self.status.value}")
