"""The one policy check a governed write makes (``domain.policies``; assignments: ``policies``)."""

from __future__ import annotations

from amlite.domain.policies import Subject, applies_to_scopes, disallowed, violations
from amlite.ports import UnitOfWork


def require_compliant(uow: UnitOfWork, subject: Subject) -> None:
    """Refuse (403 ``RequestDisallowedByPolicy``) a resource that breaks an enforced assignment
    at its subscription or group, naming every assignment it breaks. Called inside the write's
    unit of work, before anything is added, so a refused write changes nothing."""
    found = violations(uow.policy_assignments.at_scopes(applies_to_scopes(subject.resource_id)), subject)
    if found:
        raise disallowed(subject, found)
