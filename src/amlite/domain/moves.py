"""What a resource move asks for and what its validation finds (seed 000).

ARM validates a move before it makes it and reports why it cannot. amlite reports every reason at
once, as a dry run: what would move, what blocks the move, and what the move would drop. The same
report is the body of a failed ``validateMoveResources`` and the refusal of ``moveResources``, so
the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MoveRequest:
    """A move of ``resource_ids`` (ARM ids, all in the source group) to the target group.

    ``cross_region`` and ``cross_tenant`` are amlite's explicit opt-ins (refused by default, as
    Azure refuses them); ``principal_map`` maps source principal object ids to the target
    tenant's for a cross-tenant move.
    """

    source_subscription: str
    source_group: str
    resource_ids: tuple[str, ...]
    target_subscription: str
    target_group: str
    target_location: str | None = None
    cross_region: bool = False
    cross_tenant: bool = False
    target_tenant: str | None = None
    principal_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MoveBlocker:
    """One reason the move cannot be made: a stable code, a message that says what to do, and the
    ARM id (or scope) it is about."""

    code: str
    message: str
    target: str


@dataclass(frozen=True)
class MoveLoss:
    """Something the move would drop or leave behind, said before it happens (role assignments
    at the workspace scope, private endpoint connections, datastores whose account stays)."""

    kind: str
    target: str
    detail: str


@dataclass(frozen=True)
class MoveReport:
    """The dry run: ``moving`` lists every ARM id that would move (the named resources and what
    goes with them), ``blockers`` every reason it cannot, ``losses`` what it would drop."""

    request: MoveRequest
    moving: tuple[str, ...] = ()
    blockers: tuple[MoveBlocker, ...] = ()
    losses: tuple[MoveLoss, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        return not self.blockers
