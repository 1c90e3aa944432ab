"""Long-running operations: starting them, reading their status, and running them.

A use case that starts an operation writes its row, and the task that will do its work (a task
of the one engine, ``services/tasks.py``, whose kind is the operation's kind), in the same
transaction as the state change that announces it (a workspace turning ``Deleting``). The API
wakes the workers once the 202 has been sent, so a client always knows where to poll before the
work starts. A worker claims the task and runs the handler registered for the operation's kind;
the handler ends the operation in the same transaction as its last metadata change, so an
operation is never reported done before it is. An operation whose task fails for good (its
attempts used up) ends ``Failed`` in the transaction that fails the task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from amlite.domain.audit import AuditEntry, AuditResult
from amlite.domain.errors import AmliteError, NotFound
from amlite.domain.operations import MAX_ATTEMPTS, Operation, OperationKind, OperationStatus
from amlite.domain.tasks import Task, TaskFailed
from amlite.ports import UnitOfWork
from amlite.services.audit import entry as audit_entry
from amlite.services.context import Caller, Deps
from amlite.services.subscriptions import require_subscription
from amlite.services.tasks import TaskEngine, TaskKind

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=15)

Handler = Callable[[Operation], None]


class OperationService:
    def __init__(self, deps: Deps, engine: TaskEngine, lease: timedelta = DEFAULT_LEASE) -> None:
        self._deps = deps
        self._engine = engine
        self._lease = lease

    # -- starting --------------------------------------------------------------------------------

    def new(
        self, uow: UnitOfWork, *, kind: OperationKind, caller: Caller, subscription_id: str, namespace: str,
        location: str, target_id: str, target_key: str, payload: dict[str, Any] | None = None,
    ) -> Operation:
        """Add an operation inside the caller's unit of work, or return the one already running
        for the same target (a repeated DELETE answers the same operation, as ARM does)."""
        running = uow.operations.open_for_target(target_key)
        if running is not None:
            return running
        caller_info = {"tenantId": caller.tenant_id, "principalId": caller.principal_id,
                       "principalType": caller.principal_type, "correlationId": caller.correlation_id,
                       "requestId": caller.request_id}
        op = Operation(
            id=self._deps.ids.new_id(), kind=kind, subscription_id=subscription_id, namespace=namespace,
            location=location, target_id=target_id, target_key=target_key, created_by=caller.name,
            created_at=self._deps.clock.now(), payload={**(payload or {}), "caller": caller_info},
        )
        uow.operations.add(op)
        self._engine.enqueue(uow, kind.value, dedupe_key=f"operation:{op.id}", subject_key=op.id)
        return op

    # -- reading ---------------------------------------------------------------------------------

    def get(self, caller: Caller, sub_id: str, op_id: str) -> Operation:
        with self._deps.uow() as uow:
            sub = require_subscription(uow, caller, sub_id)
            op = uow.operations.get(op_id)
        if op is None or op.subscription_id != sub.id:
            raise NotFound("OperationNotFound", f"The operation '{op_id}' could not be found.")
        return op

    # -- running ---------------------------------------------------------------------------------

    def register(self, kind: OperationKind, handler: Handler) -> None:
        """Run ``handler`` for the operations of ``kind``, as tasks of the same kind."""
        self._engine.register(TaskKind(
            kind.value, lambda task: self._run(handler, task), lease=self._lease, max_attempts=MAX_ATTEMPTS,
            on_failed=self._task_failed,
        ))

    def _run(self, handler: Handler, task: Task) -> None:
        with self._deps.uow() as uow:
            found = uow.operations.get(task.subject_key or "")
        if found is None:
            raise TaskFailed(f"The operation '{task.subject_key}' no longer exists.")
        if found.status is OperationStatus.FAILED:  # failed by an earlier attempt that died before its task
            raise TaskFailed(f"({found.error_code}) {found.error_message}")
        if found.status.is_terminal:
            return
        try:
            handler(found)
        except AmliteError as exc:  # the operation's own failure: final, shown to the client
            self._finish_failed(found.id, exc.code, exc.message)
            raise TaskFailed(f"({exc.code}) {exc.message}") from exc

    def _task_failed(self, uow: UnitOfWork, task: Task) -> None:
        """The task gave up (attempts used up): the operation ends ``Failed`` with it."""
        self.fail(uow, task.subject_key or "", "InternalServerError",
                  f"The operation failed after {MAX_ATTEMPTS} attempts.")

    def _finish_failed(self, op_id: str, code: str, message: str) -> None:
        with self._deps.uow(write=True) as uow:
            self.fail(uow, op_id, code, message)
            uow.commit()

    def record(self, uow: UnitOfWork, op_id: str, **payload: Any) -> Operation:
        """Save progress in the operation's payload, inside the handler's unit of work, so a rerun
        after a crash knows what the first run already did."""
        op = uow.operations.get(op_id)
        assert op is not None, "handlers record on the operation they are running"
        updated = replace(op, payload={**op.payload, **payload})
        uow.operations.save(updated)
        return updated

    def complete(self, op_id: str) -> None:
        """End an operation Succeeded in a transaction of its own (its last step had no metadata)."""
        with self._deps.uow(write=True) as uow:
            self.finish(uow, op_id)
            uow.commit()

    def finish(self, uow: UnitOfWork, op_id: str) -> None:
        """Mark an operation Succeeded inside the handler's last unit of work, and audit its end."""
        op = uow.operations.get(op_id)
        if op is not None and not op.status.is_terminal:
            uow.operations.save(op.succeeded(self._deps.clock.now()))
            uow.audit.append(self._audit_entry(op, AuditResult.SUCCEEDED, 200, "The operation succeeded."))

    def fail(self, uow: UnitOfWork, op_id: str, code: str, message: str) -> None:
        op = uow.operations.get(op_id)
        if op is not None and not op.status.is_terminal:
            uow.operations.save(op.failed(self._deps.clock.now(), code, message))
            uow.audit.append(self._audit_entry(op, AuditResult.FAILED, None, f"({code}) {message}"))

    def _audit_entry(self, op: Operation, result: AuditResult, status: int | None, message: str) -> AuditEntry:
        who = op.payload.get("caller", {})
        caller = Caller(
            tenant_id=who.get("tenantId", ""), principal_id=who.get("principalId", ""), name=op.created_by,
            principal_type=who.get("principalType", "User"), correlation_id=who.get("correlationId", op.id),
            request_id=who.get("requestId", op.id),
        )
        return audit_entry(self._deps, caller, action=op.kind.action, scope=op.target_id, result=result,
                           status_code=status, message=message)
