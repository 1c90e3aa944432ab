"""Long-running operations as a state machine.

An operation is a row in the store. It starts ``InProgress``; a worker claims it with a lease,
advances it, and ends it ``Succeeded``, ``Failed`` or ``Canceled``. A terminal state never changes
again. A lease that expires (its worker died with the server) lets another worker claim the
operation and redo it: every step an operation takes must therefore be idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
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

    @property
    def action(self) -> str:
        """The action the operation performs, as the audit log records its end."""
        return _ACTIONS[self]


_ACTIONS = {
    OperationKind.DELETE_RESOURCE_GROUP: "Microsoft.Resources/subscriptions/resourceGroups/delete",
    OperationKind.DELETE_WORKSPACE: "Microsoft.MachineLearningServices/workspaces/delete",
    OperationKind.DELETE_REGISTRY: "Microsoft.MachineLearningServices/registries/delete",
}


class IllegalTransition(RuntimeError):
    """A programming error: something tried to move a finished operation."""


# How many times an operation may be claimed before it is failed for good; protects the queue from
# an operation that crashes its worker every time.
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
    attempts: int = 0
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None

    def claimed(self, owner: str, now: datetime, lease: timedelta) -> "Operation":
        self._check_open()
        return replace(self, lease_owner=owner, lease_expires_at=now + lease, attempts=self.attempts + 1)

    def succeeded(self, now: datetime) -> "Operation":
        self._check_open()
        return replace(self, status=OperationStatus.SUCCEEDED, ended_at=now, lease_owner=None, lease_expires_at=None)

    def failed(self, now: datetime, code: str, message: str) -> "Operation":
        self._check_open()
        return replace(
            self, status=OperationStatus.FAILED, ended_at=now, error_code=code, error_message=message,
            lease_owner=None, lease_expires_at=None,
        )

    def canceled(self, now: datetime, message: str) -> "Operation":
        self._check_open()
        return replace(
            self, status=OperationStatus.CANCELED, ended_at=now, error_code="OperationCanceled",
            error_message=message, lease_owner=None, lease_expires_at=None,
        )

    def _check_open(self) -> None:
        if self.status.is_terminal:
            raise IllegalTransition(f"operation {self.id} is already {self.status.value}")
