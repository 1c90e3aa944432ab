"""The one place that wires settings to the engine, blob stores, services and the worker, and
serves the API. Only this module knows both the services and the adapters."""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from amlite import faults
from amlite.blobs.local import LocalBlobStore
from amlite.blobs.outage import DrillableBlobStore
from amlite.config import RegionSettings, Settings
from amlite.domain.regions import RegionCatalog
from amlite.domain.server_keys import SECRETS_KEY, TOKEN_SIGNING_KEY
from amlite.domain.storage_paths import SAS_KEY
from amlite.ports import BlobStore
from amlite.services.artifacts import ArtifactService
from amlite.services.asset_references import ReferenceResolver
from amlite.services.assets import AssetService
from amlite.services.computes import ComputeService
from amlite.services.connections import ConnectionService
from amlite.services.datastores import DatastoreService
from amlite.services.activity_log import ActivityLogService
from amlite.services.authz import Authorizer
from amlite.services.context import Deps, SystemClock, UuidGenerator
from amlite.services.directory import DirectoryService
from amlite.services.identity import FirstStart, IdentityService
from amlite.services.online_deployments import OnlineDeploymentService
from amlite.services.online_endpoints import OnlineEndpointService
from amlite.services.images import ImageService
from amlite.services.job_runs import JobRunService
from amlite.services.jobs import JobService
from amlite.services.operations import OperationService
from amlite.services.outages import OutageService
from amlite.services.failover import FailoverService
from amlite.services.failover_jobs import FailoverJobs
from amlite.services.pairs import PairService
from amlite.services.registries import RegistryService
from amlite.services.registry_assets import RegistryAssetService
from amlite.services.replication import ReplicationService
from amlite.services.warm_endpoints import WarmEndpointService
from amlite.services.move_storage import MoveStorage
from amlite.services.moves import MoveService
from amlite.services.databricks import DatabricksService
from amlite.services.labeling import LabelingService
from amlite.services.private_endpoints import PrivateEndpointService
from amlite.services.resource_groups import ResourceGroupService
from amlite.services.roles import RoleService
from amlite.services.template_deployments import TemplateDeploymentService
from amlite.services.secrets import SecretBox, SecretNamespace, new_secrets_key
from amlite.services.server_keys import ServerKeyStore, local_key_encryption_key
from amlite.services.sign_in_throttle import SignInThrottle
from amlite.services.storage import StorageProvisioner
from amlite.services.storage_endpoint import StorageEndpointService
from amlite.services.policies import PolicyService
from amlite.services.subscriptions import SubscriptionService
from amlite.services.tasks import TaskEngine
from amlite.services.tracking import JobTracking, TrackingService
from amlite.services.bundles import BundleService
from amlite.services.tracking_artifacts import TrackingArtifacts
from amlite.services.tokens import SigningKey, TokenService, new_private_key_pem
from amlite.services.workspaces import WorkspaceService
from amlite.store import engine as store_engine
from amlite.store.uow import SqlUnitOfWorkFactory
from amlite.runner.local import LocalJobExecutor
from amlite.runner.ray_cluster import RayJobClient
from amlite.worker.reconciler import Reconciler
from amlite.scoring.runtime import LocalScoringRuntime
from amlite.worker.runner import Worker

log = logging.getLogger("amlite")


@dataclass
class Container:
    """Everything the API needs, wired."""

    settings: Settings
    engine: sa.Engine
    deps: Deps
    identity: IdentityService
    authz: Authorizer
    directory: DirectoryService
    roles: RoleService
    activity_log: ActivityLogService
    subscriptions: SubscriptionService
    policies: PolicyService
    resource_groups: ResourceGroupService
    workspaces: WorkspaceService
    moves: MoveService
    private_endpoints: PrivateEndpointService
    labeling: LabelingService
    databricks: DatabricksService
    registries: RegistryService
    operations: OperationService
    storage: StorageProvisioner
    artifacts: ArtifactService
    assets: AssetService
    datastores: DatastoreService
    connections: ConnectionService
    computes: ComputeService
    online_endpoints: OnlineEndpointService
    online_deployments: OnlineDeploymentService
    template_deployments: TemplateDeploymentService
    scoring: LocalScoringRuntime
    tasks: TaskEngine
    worker: Worker
    outages: OutageService
    pairs: PairService
    warm_endpoints: WarmEndpointService
    #: Failover and failback of pairs (docs/bcdr.md "Failover and failback").
    failover: FailoverService
    reconciler: Reconciler
    replication: ReplicationService
    registry_assets: RegistryAssetService
    storage_endpoint: StorageEndpointService
    tracking: TrackingService
    tracking_artifacts: TrackingArtifacts
    #: MLflow tracking for the job runner (a run per job, its metrics for ``job show``).
    job_tracking: JobTracking
    #: Workspace bundles: export and import (``docs/bundles.md``).
    bundles: BundleService
    jobs: JobService
    job_runs: JobRunService
    #: The environment images in a workspace's container registry that it sees.
    images: ImageService
    first_start: FirstStart | None
    tenant_id: str
    #: Whether ``start`` repairs what a crash left (``repair``). A server of several processes
    #: repairs once in the parent, before its workers serve: a worker started later (one that
    #: replaces a dead one) must not take its live siblings' unfinished writes and leases for a
    #: dead process's.
    repair_on_start: bool = True

    @property
    def endpoint(self) -> str:
        return self.settings.endpoint

    @property
    def regions(self) -> RegionCatalog:
        return self.deps.regions

    def start(self) -> None:
        """Repair what a crash may have left (unless the server's parent process did), then
        start the background workers."""
        if self.repair_on_start:
            self.repair()
        self.worker.start()
        self.reconciler.start()

    def repair(self) -> None:
        """Remove unfinished blob writes and orphaned storage; on SQLite, free every lease. Runs
        once per server start, before any of its processes serves. The sweep of orphaned storage
        holds the start-up lock: other servers on the same PostgreSQL database wait before they
        make storage, so none of theirs is taken for an orphan."""
        for store in self.deps.blob_stores.values():
            store.sweep_partial()
        with store_engine.startup_lock(self.engine):
            self.storage.sweep_orphans()
        if self.engine.dialect.name == "sqlite":
            self.tasks.release_leases()  # one server per SQLite file: every lease is from a dead process
            self.computes.release_all_slots()
        self.online_deployments.queue_restarts()  # their processes died with the last server

    def stop(self) -> None:
        self.reconciler.stop()
        self.worker.stop()
        self.scoring.stop_all()

    def close(self) -> None:
        self.stop()
        self.engine.dispose()


def new_sas_key() -> bytes:
    """The storage SAS signing key: 32 random bytes, as hex (kept as text, as every server key is)."""
    return os.urandom(32).hex().encode()


def build(settings: Settings) -> Container:
    """Open the store (applying migrations), make the services, and initialize the tenant."""
    faults.arm(settings.crash_at)
    # Owner-only: the directory holds the SQLite store (with the server's keys) and local blobs.
    # One that exists is left as its owner made it; its files are private on their own.
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = store_engine.create_engine(settings.db_url)
    blob_stores = {rs.region.name: make_blob_store(rs) for rs in settings.regions}
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=UuidGenerator(),
        regions=RegionCatalog([rs.region for rs in settings.regions]), blob_stores=blob_stores,
        endpoint=settings.endpoint,
    )
    outages = OutageService(deps, cache_seconds=settings.outage_cache_seconds)
    deps.blob_stores = {name: DrillableBlobStore(store, outages.is_failed) for name, store in blob_stores.items()}
    with store_engine.startup_lock(engine):  # servers sharing a PostgreSQL database start one at a time
        store_engine.upgrade(engine)
        keys = ServerKeyStore(deps, settings.key_encryption_key
                              or local_key_encryption_key(settings.key_encryption_key_file))
        tokens = TokenService(SigningKey(keys.load_or_create(
            TOKEN_SIGNING_KEY, new_private_key_pem, settings.signing_key_file)), settings.endpoint)
        box = SecretBox(keys.load_or_create(SECRETS_KEY, new_secrets_key, settings.secrets_key_file))
        storage_endpoint = StorageEndpointService(deps, keys.load_or_create(SAS_KEY, new_sas_key),
                                                  settings.storage_endpoint)
        limits = settings.limits
        throttle = SignInThrottle(window_seconds=limits.sign_in_window_seconds, per_ip=limits.max_failed_sign_ins_per_ip,
                                  per_principal=limits.max_failed_sign_ins_per_principal, clock=deps.clock)
        identity = IdentityService(deps, tokens, throttle)
        first = identity.initialize()
        if first is not None:
            write_credentials(settings, first)
    tasks = TaskEngine(deps)
    operations = OperationService(deps, tasks, lease=timedelta(seconds=settings.operation_lease_seconds))
    storage = StorageProvisioner(deps)
    worker = Worker(tasks, threads=settings.worker_threads, poll_seconds=settings.worker_poll_seconds)
    tasks.wakeup = worker.notify
    authz = Authorizer(deps)
    artifacts = ArtifactService(deps, authz)
    secrets = SecretNamespace(deps, box)
    retention = timedelta(days=settings.soft_delete_retention_days)
    registries = RegistryService(deps, operations, storage, authz, retention)
    workspaces = WorkspaceService(deps, operations, storage, authz, retention)
    replication = ReplicationService(deps, tasks, lease=timedelta(seconds=settings.replication_lease_seconds),
                                     backoff=timedelta(seconds=settings.replication_backoff_seconds))
    registries.on_regions_added.append(replication.on_regions_added)
    registries.on_regions_removed.append(replication.on_regions_removed)
    registries.before_delete.append(replication.before_registry_delete)
    outages.on_restored.append(replication.after_restore)
    references = ReferenceResolver(authz)
    tracking_uow = SqlUnitOfWorkFactory(engine)
    tracking = TrackingService(deps, tracking_uow)
    job_tracking = JobTracking(deps, tracking_uow, tracking)
    ray = RayJobClient()
    computes = ComputeService(deps, operations, settings.quota, timedelta(seconds=settings.node_slot_lease_seconds),
                              ray)
    jobs = JobService(deps, tasks, artifacts, references, authz, settings.data_dir / "jobs", job_tracking.job_metrics)
    job_runs = JobRunService(deps, tasks, jobs, artifacts, LocalJobExecutor(settings.data_dir / "job-environments"), tokens,
                             settings.data_dir / "jobs", job_tracking, computes, ray,
                             lease=timedelta(seconds=settings.job_lease_seconds))
    assets = AssetService(deps, artifacts, references, replication, authz, storage_endpoint, jobs, retention)
    pairs = PairService(deps, tasks, assets, artifacts, authz, lease=timedelta(seconds=settings.replication_lease_seconds),
                        backoff=timedelta(seconds=settings.replication_backoff_seconds))
    assets.on_version_created.append(pairs.plan)
    outages.on_restored.append(pairs.after_restore)
    scoring = LocalScoringRuntime(settings.data_dir / "online", host_id=deps.ids.new_id())
    online_endpoints = OnlineEndpointService(deps, operations, secrets, authz, tokens)
    online_deployments = OnlineDeploymentService(deps, operations, tasks, artifacts, references, scoring,
                                                 online_endpoints)
    warm_endpoints = WarmEndpointService(deps, tasks, artifacts, online_endpoints, online_deployments,
                                         lease=timedelta(seconds=settings.replication_lease_seconds),
                                         backoff=timedelta(seconds=settings.replication_backoff_seconds))
    pairs.endpoint_lag = warm_endpoints.lag
    failover_jobs = FailoverJobs(deps, tasks, jobs, artifacts, job_tracking,
                                 lease=timedelta(seconds=settings.replication_lease_seconds),
                                 backoff=timedelta(seconds=settings.replication_backoff_seconds))
    jobs.on_job_submitted.append(failover_jobs.plan)
    # The extra failover steps (``FailoverStep``): the standby endpoints' deployment (hot-warm and hot-hot).
    failover = FailoverService(deps, tasks, pairs, failover_jobs, authz, steps=[warm_endpoints])
    outages.on_restored.append(warm_endpoints.after_restore)
    roles = RoleService(deps, authz)
    template_deployments = TemplateDeploymentService(deps, authz, workspaces, computes, online_endpoints,
                                                     online_deployments, roles, artifacts,
                                                     wake=worker.notify)
    reconciler = Reconciler([replication.reconcile, replication.catch_up, pairs.reconcile, pairs.catch_up,
                             warm_endpoints.reconcile, warm_endpoints.catch_up, failover.health_check,
                             online_deployments.reconcile,
                             workspaces.purge_expired,
                             registries.purge_expired, assets.purge_expired], interval=settings.reconcile_seconds)
    return Container(
        settings=settings, engine=engine, deps=deps, identity=identity, authz=authz,
        directory=DirectoryService(deps), roles=roles, activity_log=ActivityLogService(deps),
        subscriptions=SubscriptionService(deps), policies=PolicyService(deps),
        resource_groups=ResourceGroupService(deps, operations, storage, registries.remove_records),
        workspaces=workspaces, moves=MoveService(deps, operations, MoveStorage(deps, tasks)),
        private_endpoints=PrivateEndpointService(deps), labeling=LabelingService(deps, references),
        databricks=DatabricksService(deps),
        registries=registries, operations=operations,
        storage=storage,
        artifacts=artifacts, assets=assets, replication=replication, tasks=tasks, reconciler=reconciler,
        registry_assets=RegistryAssetService(deps, assets, artifacts, authz), jobs=jobs, job_runs=job_runs,
        images=ImageService(deps, authz),
        datastores=DatastoreService(deps, secrets, storage_endpoint), storage_endpoint=storage_endpoint,
        connections=ConnectionService(deps, secrets),
        computes=computes,
        tracking=tracking, tracking_artifacts=TrackingArtifacts(deps, tracking_uow, tracking, artifacts),
        job_tracking=job_tracking, bundles=BundleService(deps, tracking_uow, artifacts, authz, secrets),
        online_endpoints=online_endpoints, online_deployments=online_deployments, scoring=scoring,
        template_deployments=template_deployments,
        worker=worker, outages=outages, pairs=pairs, warm_endpoints=warm_endpoints, failover=failover,
        first_start=first, tenant_id=identity.tenant().id,
    )


def make_blob_store(rs: RegionSettings) -> BlobStore:
    """The region's object storage, as its settings say: a local directory or Azure Blob Storage."""
    if rs.storage.kind == "azure":
        from amlite.blobs.azure import AzureBlobStore  # the Azure SDK is imported only when used

        return AzureBlobStore(
            rs.region.name, connection_string=rs.storage.connection_string, account_url=rs.storage.account_url,
            account_key=rs.storage.account_key,
            container_prefix=rs.storage.container_prefix or f"amlite-{rs.region.name}-",
        )
    return LocalBlobStore(rs.region.name, rs.storage_root, hard_links=rs.storage.hard_links)


def write_credentials(settings: Settings, first: FirstStart) -> None:
    """The admin's credentials, readable by the owner only (mode 0600)."""
    body: dict[str, Any] = {
        "endpoint": settings.endpoint, "tenantId": first.tenant_id, "subscriptionId": first.subscription_id,
        "username": first.username, "password": first.password,
    }
    path = settings.credentials_file
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(body, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def create_app(settings: Settings) -> Any:
    from amlite.api.app import create_app as make_app

    return make_app(build(settings))
