"""The files of MLflow runs, served as MLflow's proxied artifact API: a run's ``artifact_uri`` is
``mlflow-artifacts:/<experiment_id>/<run_id>/artifacts``, which the client resolves against the
tracking URI, so ``mlflow.log_artifact`` and ``download_artifacts`` go through amlite.

The bytes are content-addressed blobs in the workspace's default storage (where its other
artifacts are, ``services.artifacts``); a row per file maps the run's path to its blob. The blob
is stored before the row that names it is committed, so a crash leaves at most an unreferenced
blob, never a path to missing bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from amlite.domain.blobs import CHUNK_SIZE, StoredBlob
from amlite.domain.tracking import (
    RESOURCE_DOES_NOT_EXIST,
    ArtifactEntry,
    ArtifactFile,
    LifecycleStage,
    Run,
    artifact_path,
    invalid,
    list_directory,
)
from amlite.domain.errors import NotFound
from amlite.ports import BlobWriter, TrackingUnitOfWork, TrackingUnitOfWorkFactory
from amlite.services.artifacts import ArtifactService, ArtifactStorage, BlobDownload
from amlite.services.asset_owners import workspace_owner
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.tracking import TrackingService, WorkspaceRef
from amlite.services.workspace_scope import require_workspace, writable


@dataclass(frozen=True)
class RunPath:
    """A proxied artifact path split: the run's ids and the file's path below its artifact root."""

    experiment_id: str
    run_id: str
    path: str


def split_path(raw: str, *, file: bool) -> RunPath:
    """``<experiment_id>/<run_id>/artifacts[/<path>]``; a file needs a path."""
    clean = artifact_path(raw) if raw.strip("/") else ""
    parts = clean.split("/", 3) if clean else []
    if len(parts) < 3 or parts[2] != "artifacts":
        raise invalid(f"Invalid artifact path '{raw}': the workspace stores the artifacts of runs, at "
                      "'<experiment_id>/<run_id>/artifacts/<path>'.")
    rest = parts[3] if len(parts) == 4 else ""
    if file and not rest:
        raise invalid(f"Invalid artifact path '{raw}': it names no file.")
    return RunPath(parts[0], parts[1], rest)


class RunArtifactUpload:
    """An upload under way: the blob writer, and on commit the row that names the blob."""

    def __init__(self, writer: BlobWriter, on_commit: Callable[[StoredBlob], ArtifactFile]) -> None:
        self._writer = writer
        self._on_commit = on_commit

    def write(self, data: bytes) -> None:
        self._writer.write(data)

    def commit(self) -> ArtifactFile:
        return self._on_commit(self._writer.commit())

    def abort(self) -> None:
        self._writer.abort()


class TrackingArtifacts:
    def __init__(self, deps: Deps, uow: TrackingUnitOfWorkFactory, tracking: TrackingService,
                 artifacts: ArtifactService) -> None:
        self._deps = deps
        self._uow = uow
        self._tracking = tracking
        self._artifacts = artifacts

    def _run(self, uow: TrackingUnitOfWork, caller: Caller, ref: WorkspaceRef, where: RunPath) -> tuple[Run, ArtifactStorage]:
        ws = require_workspace(uow, caller, ref.subscription_id, ref.resource_group, ref.workspace)
        run = self._tracking.require_run(uow, ws, where.run_id)
        if run.experiment_id != where.experiment_id:
            raise NotFound(RESOURCE_DOES_NOT_EXIST, f"Run with id={where.run_id} is not in experiment "
                                                      f"{where.experiment_id}.")
        return run, self._artifacts.storage_in(uow, workspace_owner(ws))

    def begin_upload(self, caller: Caller, ref: WorkspaceRef, raw_path: str, size_hint: int | None) -> RunArtifactUpload:
        """Start storing a run's file; ``commit`` of the returned upload records it under its path
        (replacing what the path held). The run must be active."""
        where = split_path(raw_path, file=True)
        with self._uow() as uow:
            writable(require_workspace(uow, caller, ref.subscription_id, ref.resource_group, ref.workspace))
            run, storage = self._run(uow, caller, ref, where)
            if run.lifecycle_stage is not LifecycleStage.ACTIVE:
                raise invalid(f"The run {run.run_id} must be in the 'active' state to log artifacts.")
        writer = storage.store.begin_put(storage.account, storage.container, None, size_hint)

        def record(stored: StoredBlob) -> ArtifactFile:
            file = ArtifactFile(where.path, stored.sha256, stored.size)
            with self._uow(write=True) as uow:
                found, _ = self._run(uow, caller, ref, where)  # still there: not deleted meanwhile
                uow.tracking.put_artifact(found.key, file)
                record_write(self._deps, uow, caller)
                uow.commit()
            return file
        return RunArtifactUpload(writer, record)

    def list(self, caller: Caller, ref: WorkspaceRef, raw_path: str) -> list[ArtifactEntry]:
        """The entries directly under the path, their paths relative to it (MLflow's listing)."""
        where = split_path(raw_path, file=False)
        with self._uow() as uow:
            run, _ = self._run(uow, caller, ref, where)
            files = uow.tracking.artifacts(run.key, where.path)
        entries = list_directory(files, where.path)
        if len(entries) == 1 and not entries[0].is_dir and entries[0].path == where.path:
            return [ArtifactEntry(where.path.rsplit("/", 1)[-1], False, entries[0].size)]
        cut = len(where.path) + 1 if where.path else 0
        return [ArtifactEntry(e.path[cut:], e.is_dir, e.size) for e in entries]

    def open(self, caller: Caller, ref: WorkspaceRef, raw_path: str, chunk_size: int = CHUNK_SIZE) -> BlobDownload:
        where = split_path(raw_path, file=True)
        with self._uow() as uow:
            run, storage = self._run(uow, caller, ref, where)
            found = [f for f in uow.tracking.artifacts(run.key, where.path) if f.path == where.path]
        if not found:
            raise NotFound(RESOURCE_DOES_NOT_EXIST, f"No artifact at '{raw_path}'.")
        digest = found[0].sha256
        size = storage.store.size(storage.account, storage.container, digest)
        return BlobDownload(digest, size, storage.region,
                            storage.store.open_chunks(storage.account, storage.container, digest, chunk_size))

    def delete(self, caller: Caller, ref: WorkspaceRef, raw_path: str) -> None:
        """Forget the run's files at or below the path (their blobs may be shared, so they stay)."""
        where = split_path(raw_path, file=False)
        with self._uow(write=True) as uow:
            writable(require_workspace(uow, caller, ref.subscription_id, ref.resource_group, ref.workspace))
            run, _ = self._run(uow, caller, ref, where)
            if uow.tracking.delete_artifacts(run.key, where.path) == 0:
                raise NotFound(RESOURCE_DOES_NOT_EXIST, f"No artifact at '{raw_path}'.")
            record_write(self._deps, uow, caller)
            uow.commit()
