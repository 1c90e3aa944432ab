"""The SQL unit of work: one connection, one transaction, the repositories bound to it."""

from __future__ import annotations

from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from amlite.domain.errors import Conflict
from amlite.store.asset_repos import (
    REGISTRY_TABLES,
    AssetContainerRepository,
    AssetVersionRepository,
    SecretRepository,
)
from amlite.store.audit_repos import AuditRepository
from amlite.store.compute_repos import ComputeRepository, NodeSlotRepository
from amlite.store.endpoint_repos import OnlineEndpointRepository
from amlite.store.engine import STARTUP_LOCK
from amlite.store.identity_repos import GroupMemberRepository, PrincipalRepository, TenantRepository
from amlite.store.job_repos import JobRepository
from amlite.store.operation_repos import OperationRepository
from amlite.store.rbac_repos import RoleAssignmentRepository, RoleDefinitionRepository
from amlite.store.registry_repos import RegistryRepository
from amlite.store.task_repos import TaskRepository
from amlite.store.tracking_repos import SqlTracking
from amlite.store.resource_repos import (
    GenericResourceRepository,
    ProviderRegistrationRepository,
    ResourceGroupRepository,
    SubscriptionRepository,
)
from amlite.store.server_key_repos import ServerKeyRepository
from amlite.store.storage_path_repos import StorageBlockRepository, StoragePathRepository
from amlite.store.workspace_repos import DatastoreRepository, WorkspaceRepository


class SqlUnitOfWork:
    """Leaving the ``with`` block without ``commit()`` rolls back. A unique constraint that fires
    (two requests racing to create one name) surfaces as a ``Conflict``, never as a crash."""

    def __init__(self, engine: sa.Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._committed = False

    def __enter__(self) -> "SqlUnitOfWork":
        conn = self._engine.connect()
        if self._write and conn.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        self._conn = conn
        self._tx = conn.begin()
        self.tenants = TenantRepository(conn)
        self.principals = PrincipalRepository(conn)
        self.role_assignments = RoleAssignmentRepository(conn)
        self.role_definitions = RoleDefinitionRepository(conn)
        self.group_members = GroupMemberRepository(conn)
        self.subscriptions = SubscriptionRepository(conn)
        self.providers = ProviderRegistrationRepository(conn)
        self.resource_groups = ResourceGroupRepository(conn)
        self.resources = GenericResourceRepository(conn)
        self.workspaces = WorkspaceRepository(conn)
        self.registries = RegistryRepository(conn)
        self.datastores = DatastoreRepository(conn)
        self.asset_containers = AssetContainerRepository(conn)
        self.asset_versions = AssetVersionRepository(conn)
        self.registry_asset_containers = AssetContainerRepository(conn, REGISTRY_TABLES)
        self.registry_asset_versions = AssetVersionRepository(conn, REGISTRY_TABLES)
        self.tasks = TaskRepository(conn)
        self.computes = ComputeRepository(conn)
        self.node_slots = NodeSlotRepository(conn)
        self.secrets = SecretRepository(conn)
        self.operations = OperationRepository(conn)
        self.audit = AuditRepository(conn)
        self.server_keys = ServerKeyRepository(conn)
        self.storage_paths = StoragePathRepository(conn)
        self.storage_blocks = StorageBlockRepository(conn)
        self.tracking = SqlTracking(conn)
        self.online_endpoints = OnlineEndpointRepository(conn)
        self.jobs = JobRepository(conn)
        return self

    def hold_provisioning_lock(self) -> None:
        """PostgreSQL: the start-up lock, shared, to the end of the transaction (sweeps take it
        exclusively). SQLite: one server per file sweeps before it serves, so nothing to hold."""
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": STARTUP_LOCK})

    def commit(self) -> None:
        try:
            self._tx.commit()
        except IntegrityError as exc:
            if _is_unique_violation(exc):
                raise _conflict() from exc
            raise
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            self._conn.close()
        if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
            raise _conflict() from exc


def _is_unique_violation(exc: IntegrityError) -> bool:
    """A unique constraint (two requests racing for one name) is the user's conflict; any other
    integrity error (a foreign key) is a bug and must surface as one."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(exc.orig)


def _conflict() -> Conflict:
    return Conflict(
        code="Conflict",
        message="Another request changed the same resource at the same time; retry the request.",
    )


class SqlUnitOfWorkFactory:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=write)

