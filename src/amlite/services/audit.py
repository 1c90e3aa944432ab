"""Appending to the audit log.

A successful write appends its entry inside its own unit of work, just before the commit, so the
entry and the change stand or fall together. Denials and failed writes change nothing, so their
entries are committed on their own.
"""

from __future__ import annotations

from amlite.domain.audit import AuditEntry, AuditResult
from amlite.ports import UnitOfWork
from dataclasses import replace

from amlite.services.context import Caller, Deps, require_admitted


def entry(deps: Deps, caller: Caller, *, action: str | None = None, scope: str | None = None,
          result: AuditResult = AuditResult.SUCCEEDED, status_code: int | None = None, message: str = "") -> AuditEntry:
    return AuditEntry(
        id=deps.ids.new_id(), tenant_id=caller.tenant_id, at=deps.clock.now(), principal_id=caller.principal_id,
        principal_name=caller.name, action=action or caller.action, scope=scope or caller.scope or "/",
        result=result, correlation_id=caller.correlation_id, request_id=caller.request_id,
        status_code=status_code, message=message, http_method=caller.http_method, client_ip=caller.client_ip,
    )


def record_write(deps: Deps, uow: UnitOfWork, caller: Caller, *, scope: str | None = None, action: str | None = None) -> None:
    """Call inside the write's unit of work, before ``commit()``."""
    require_admitted(caller)
    uow.audit.append(entry(deps, caller, scope=scope, action=action))


def record_outcome(deps: Deps, caller: Caller, result: AuditResult, status_code: int, message: str,
                   *, action: str | None = None, scope: str | None = None) -> None:
    """A denial or a failed write: nothing changed, so the entry has a transaction of its own."""
    with deps.uow(write=True) as uow:
        if not caller.name:  # failed before its use case admitted it: the token's principal, by name
            found = uow.principals.get(caller.principal_id)
            caller = replace(caller, name=found.sign_in_name if found else caller.principal_id)
        uow.audit.append(entry(deps, caller, action=action, scope=scope, result=result,
                               status_code=status_code, message=message))
        uow.commit()
