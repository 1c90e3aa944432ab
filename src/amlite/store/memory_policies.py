"""The in-memory repository of policy assignments (``memory`` holds the unit of work)."""

from __future__ import annotations

from amlite.domain.policies import PolicyAssignment
from amlite.domain.rbac import normalize_scope
from amlite.store.memory_tx import Tx, unique


def _order(a: PolicyAssignment) -> tuple[str, str]:
    return normalize_scope(a.scope), a.name.lower()


class MemoryPolicyAssignments:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, a: PolicyAssignment) -> None:
        unique(a.key in self._tx.rows.policy_assignments or self.get(a.scope, a.name) is not None)
        self._tx.write().policy_assignments[a.key] = a

    def save(self, a: PolicyAssignment) -> None:
        if a.key in self._tx.rows.policy_assignments:
            self._tx.write().policy_assignments[a.key] = a

    def get(self, scope: str, name: str) -> PolicyAssignment | None:
        wanted = (normalize_scope(scope), name.lower())
        return next((a for a in self._tx.rows.policy_assignments.values() if _order(a) == wanted), None)

    def delete(self, key: str) -> None:
        self._tx.write().policy_assignments.pop(key, None)

    def at_scopes(self, scopes: list[str]) -> list[PolicyAssignment]:
        wanted = {normalize_scope(s) for s in scopes}
        return sorted((a for a in self._tx.rows.policy_assignments.values() if normalize_scope(a.scope) in wanted),
                      key=_order)

    def of_subscription(self, sub_id: str) -> list[PolicyAssignment]:
        return sorted((a for a in self._tx.rows.policy_assignments.values() if a.subscription_id == sub_id.lower()),
                      key=_order)

    def delete_at_or_below(self, scope: str) -> int:
        norm = normalize_scope(scope)
        doomed = [k for k, a in self._tx.rows.policy_assignments.items()
                  if normalize_scope(a.scope) == norm or normalize_scope(a.scope).startswith(norm + "/")]
        rows = self._tx.write()
        for k in doomed:
            del rows.policy_assignments[k]
        return len(doomed)
