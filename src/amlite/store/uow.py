"""The SQL unit of work: one connection, one transaction, the repositories bound to it.

On SQLite the writers of one process queue on a lock of their own before ``BEGIN IMMEDIATE``.
SQLite lets one writer in at a time anyway, but a writer refused the lock sleeps in SQLite's busy
handler (1, 2, 5, 10... ms) and checks again, so eight writers of one process formed a convoy of
sleeps longer than their transactions; on a Python lock the next writer starts the moment the
last one ends. Writers of other processes on the same file still meet at SQLite's lock.
"""

from __future__ import annotations

import threading
from functools import cached_property
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
from amlite.store.connection_repos import WorkspaceConnectionRepository
from amlite.store.operation_repos import OperationRepository
from amlite.store.policy_repos import PolicyAssignmentRepository
from amlite.store.rbac_repos import (
    AccessChanges,
    AccessGenerationRepository,
    RoleAssignmentRepository,
    RoleDefinitionRepository,
)
from amlite.store.registry_repos import RegistryRepository
from amlite.store.outage_repos import FailedRegionsCache, RegionOutageRepository
from amlite.store.pair_repos import WorkspacePairRepository
from amlite.store.standby_repos import StandbyEndpointRepository
from amlite.store.task_repos import TaskRepository
from amlite.store.tracking_repos import SqlTracking
from amlite.store.resource_repos import (
    GenericResourceRepository,
    ProviderRegistrationRepository,
    ResourceGroupRepository,
    SubscriptionRepository,
)
from amlite.store.server_key_repos import ServerKeyRepository
from amlite.store.template_repos import TemplateDeploymentRepository
from amlite.store.storage_path_repos import StorageBlockRepository, StoragePathRepository
from amlite.store.labeling_repos import LabelingProjectRepository
from amlite.store.private_endpoint_repos import PrivateEndpointConnectionRepository
from amlite.store.workspace_repos import DatastoreRepository, WorkspaceRepository


class SqlUnitOfWork:
    """Leaving the ``with`` block without ``commit()`` rolls back. A unique constraint that fires
    (two requests racing to create one name) surfaces as a ``Conflict``, never as a crash."""

    def __init__(self, engine: sa.Engine, *, write: bool, failed_regions: FailedRegionsCache,
                 write_lock: threading.RLock | None = None) -> None:
        self._engine = engine
        self._failed_regions = failed_regions  # the factory's: one per process and store
        self._write = write
        self._write_lock = write_lock if write else None
        self._locked = False
        self._committed = False
        self._access_changes = AccessChanges()

    def __enter__(self) -> "SqlUnitOfWork":
        if self._write_lock is not None:
            # Past the busy timeout, go on to SQLite's own lock, as before this queue existed.
            self._locked = self._write_lock.acquire(timeout=_SQLITE_BUSY_SECONDS)
        try:
            conn = self._engine.connect()
            if self._write and conn.dialect.name == "sqlite":
                conn = conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            self._conn = conn
            self._tx = conn.begin()
        except BaseException:
            self._unlock()
            raise
        return self

    # The repositories are made when first used: a request uses three or four of the
    # twenty-eight, and making them all cost a fifth of opening a unit of work.
    @cached_property
    def tenants(self) -> TenantRepository:
        return TenantRepository(self._conn)

    @cached_property
    def principals(self) -> PrincipalRepository:
        return PrincipalRepository(self._conn, self._access_changes)

    @cached_property
    def role_assignments(self) -> RoleAssignmentRepository:
        return RoleAssignmentRepository(self._conn, self._access_changes)

    @cached_property
    def role_definitions(self) -> RoleDefinitionRepository:
        return RoleDefinitionRepository(self._conn, self._access_changes)

    @cached_property
    def group_members(self) -> GroupMemberRepository:
        return GroupMemberRepository(self._conn, self._access_changes)

    @cached_property
    def access_generation(self) -> AccessGenerationRepository:
        return AccessGenerationRepository(self._conn, self._access_changes)

    @cached_property
    def subscriptions(self) -> SubscriptionRepository:
        return SubscriptionRepository(self._conn)

    @cached_property
    def providers(self) -> ProviderRegistrationRepository:
        return ProviderRegistrationRepository(self._conn)

    @cached_property
    def resource_groups(self) -> ResourceGroupRepository:
        return ResourceGroupRepository(self._conn)

    @cached_property
    def resources(self) -> GenericResourceRepository:
        return GenericResourceRepository(self._conn)

    @cached_property
    def workspaces(self) -> WorkspaceRepository:
        return WorkspaceRepository(self._conn)

    @cached_property
    def registries(self) -> RegistryRepository:
        return RegistryRepository(self._conn)

    @cached_property
    def datastores(self) -> DatastoreRepository:
        return DatastoreRepository(self._conn)

    @cached_property
    def asset_containers(self) -> AssetContainerRepository:
        return AssetContainerRepository(self._conn)

    @cached_property
    def asset_versions(self) -> AssetVersionRepository:
        return AssetVersionRepository(self._conn)

    @cached_property
    def registry_asset_containers(self) -> AssetContainerRepository:
        return AssetContainerRepository(self._conn, REGISTRY_TABLES)

    @cached_property
    def registry_asset_versions(self) -> AssetVersionRepository:
        return AssetVersionRepository(self._conn, REGISTRY_TABLES)

    @cached_property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self._conn)

    @cached_property
    def workspace_pairs(self) -> WorkspacePairRepository:
        return WorkspacePairRepository(self._conn)

    @cached_property
    def standby_endpoints(self) -> StandbyEndpointRepository:
        return StandbyEndpointRepository(self._conn)

    @cached_property
    def region_outages(self) -> RegionOutageRepository:
        return RegionOutageRepository(self._conn, self._access_changes, self._failed_regions)

    @cached_property
    def computes(self) -> ComputeRepository:
        return ComputeRepository(self._conn)

    @cached_property
    def node_slots(self) -> NodeSlotRepository:
        return NodeSlotRepository(self._conn)

    @cached_property
    def secrets(self) -> SecretRepository:
        return SecretRepository(self._conn)

    @cached_property
    def operations(self) -> OperationRepository:
        return OperationRepository(self._conn)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self._conn)

    @cached_property
    def server_keys(self) -> ServerKeyRepository:
        return ServerKeyRepository(self._conn)

    @cached_property
    def template_deployments(self) -> TemplateDeploymentRepository:
        return TemplateDeploymentRepository(self._conn)

    @cached_property
    def storage_paths(self) -> StoragePathRepository:
        return StoragePathRepository(self._conn)

    @cached_property
    def storage_blocks(self) -> StorageBlockRepository:
        return StorageBlockRepository(self._conn)

    @cached_property
    def tracking(self) -> SqlTracking:
        return SqlTracking(self._conn)

    @cached_property
    def online_endpoints(self) -> OnlineEndpointRepository:
        return OnlineEndpointRepository(self._conn)

    @cached_property
    def jobs(self) -> JobRepository:
        return JobRepository(self._conn)

    @cached_property
    def policy_assignments(self) -> PolicyAssignmentRepository:
        return PolicyAssignmentRepository(self._conn)

    @cached_property
    def workspace_connections(self) -> WorkspaceConnectionRepository:
        return WorkspaceConnectionRepository(self._conn)

    @cached_property
    def private_endpoint_connections(self) -> PrivateEndpointConnectionRepository:
        return PrivateEndpointConnectionRepository(self._conn)

    @cached_property
    def labeling_projects(self) -> LabelingProjectRepository:
        return LabelingProjectRepository(self._conn)

    def hold_provisioning_lock(self) -> None:
        """PostgreSQL: the start-up lock, shared, to the end of the transaction (sweeps take it
        exclusively). SQLite: one server per file sweeps before it serves, so nothing to hold."""
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": STARTUP_LOCK})

    def commit(self) -> None:
        try:
            self._access_changes.bump(self._conn)
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
            try:
                self._conn.close()
            finally:
                self._unlock()
        if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
            raise _conflict() from exc


    def _unlock(self) -> None:
        if self._locked:
            self._locked = False
            assert self._write_lock is not None
            self._write_lock.release()


#: How long a SQLite writer waits for the lock (the engine's busy timeout says the same).
_SQLITE_BUSY_SECONDS = 30.0


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
        # Re-entrant: a thread that opens a second write while holding one meets SQLite's lock,
        # and its busy timeout, exactly as it did before.
        self._write_lock = threading.RLock() if engine.dialect.name == "sqlite" else None
        self._failed_regions = FailedRegionsCache()

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=write, write_lock=self._write_lock,
                             failed_regions=self._failed_regions)

