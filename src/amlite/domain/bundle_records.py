"""The records a workspace bundle carries, as JSON, and back (``domain.bundles`` has the layout).

Rows are carried without their keys and owner keys (an import gives them new ones in the target
workspace) and with everything else a user can see: an asset's container fields and every
version's spec, files, description, tags, archive state, audit stamp and lineage; a job's spec
(code snapshot and inputs as file manifests), status, times, error, outputs and logs; the MLflow
run of a job with its params, tags, the whole history of every metric and its logged files; a
datastore without its secret (see ``docs/bundles.md``). Pure functions only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from amlite.domain.assets import AssetContainer, AssetKind, AssetVersion, ManifestEntry, fingerprint
from amlite.domain.errors import InvalidInput
from amlite.domain.jobs import Job, JobStatus, job_spec
from amlite.domain.resources import AuditStamp, Datastore
from amlite.domain.tracking import ArtifactFile, Metric, Run

#: What a job that had not finished when it was exported becomes on import: it cannot run on
#: there (its process was in the source), so it is ended, and says how to run it again.
NOT_FINISHED_CODE = "JobNotFinishedAtExport"


def _stamp(s: AuditStamp) -> dict[str, str]:
    return {"createdBy": s.created_by, "createdByType": s.created_by_type, "createdAt": s.created_at.isoformat(),
            "modifiedBy": s.modified_by, "modifiedByType": s.modified_by_type, "modifiedAt": s.modified_at.isoformat()}


def stamp_from(raw: dict[str, Any]) -> AuditStamp:
    return AuditStamp(str(raw["createdBy"]), str(raw["createdByType"]), datetime.fromisoformat(raw["createdAt"]),
                      str(raw["modifiedBy"]), str(raw["modifiedByType"]), datetime.fromisoformat(raw["modifiedAt"]))


def _files(entries: tuple[ManifestEntry, ...]) -> list[dict[str, Any]]:
    return [e.as_json() for e in entries]


def files_from(raw: Any) -> tuple[ManifestEntry, ...]:
    return tuple(ManifestEntry(str(e["path"]), str(e["sha256"]), int(e["size"])) for e in raw or [])


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time_from(raw: Any) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


# -- assets ------------------------------------------------------------------------------------

def asset_record(container: AssetContainer, versions: list[AssetVersion]) -> dict[str, Any]:
    return {
        "kind": container.kind.value, "name": container.name, "description": container.description,
        "tags": dict(container.tags), "properties": dict(container.properties), "isArchived": container.is_archived,
        "nextVersion": container.next_version, "systemData": _stamp(container.stamp),
        "versions": [{
            "version": v.version, "spec": v.spec, "files": _files(v.manifest), "fingerprint": v.fingerprint,
            "description": v.description, "tags": dict(v.tags), "isArchived": v.is_archived,
            "systemData": _stamp(v.stamp), "lineage": v.lineage,
        } for v in versions],
    }


def asset_kind(raw: dict[str, Any]) -> AssetKind:
    return AssetKind(raw["kind"])


def container_from(raw: dict[str, Any], key: str, owner_key: str, etag: str) -> AssetContainer:
    return AssetContainer(key=key, owner_key=owner_key, kind=asset_kind(raw), name=str(raw["name"]),
                          description=str(raw.get("description") or ""), tags=dict(raw.get("tags") or {}),
                          properties=dict(raw.get("properties") or {}), is_archived=bool(raw.get("isArchived")),
                          next_version=int(raw.get("nextVersion") or 1), etag=etag, stamp=stamp_from(raw["systemData"]))


def version_from(raw: dict[str, Any], key: str, container_key: str, seq: int, etag: str) -> AssetVersion:
    """A carried version; its fingerprint is recomputed from its content and must be the one it
    was exported with, so content the manifest's checksums cover cannot be reinterpreted."""
    manifest = files_from(raw.get("files"))
    spec = dict(raw["spec"])
    digest = fingerprint(spec, manifest)
    if digest != raw.get("fingerprint"):
        raise InvalidInput("BundleCorrupt", f"Version '{raw.get('version')}' in the bundle does not match its "
                           "fingerprint. Nothing was imported.", "assets.json")
    return AssetVersion(key=key, container_key=container_key, version=str(raw["version"]), seq=seq, spec=spec,
                        manifest=manifest, fingerprint=digest, description=str(raw.get("description") or ""),
                        tags=dict(raw.get("tags") or {}), is_archived=bool(raw.get("isArchived")), etag=etag,
                        stamp=stamp_from(raw["systemData"]), lineage=raw.get("lineage"))


# -- jobs --------------------------------------------------------------------------------------

def job_record(job: Job) -> dict[str, Any]:
    return {
        "name": job.name, "spec": job.spec.to_wire(), "status": job.status.value, "systemData": _stamp(job.stamp),
        "displayName": job.display_name, "description": job.description, "tags": dict(job.tags),
        "isArchived": job.is_archived, "warnings": list(job.warnings), "requirements": list(job.requirements),
        "errorCode": job.error_code, "errorMessage": job.error_message,
        "outputs": {k: _files(v) for k, v in job.outputs.items()}, "logs": _files(job.logs), "runId": job.run_id,
        "startTime": _time(job.start_time), "endTime": _time(job.end_time),
    }


def job_from(raw: dict[str, Any], key: str, workspace_key: str, submitted_by: str, etag: str) -> Job:
    """A carried job. One that had not finished is ended ``Canceled`` (``NOT_FINISHED_CODE``): it
    ran in the source, and resubmitting it is the user's choice."""
    status = JobStatus(raw["status"])
    error_code, error_message = raw.get("errorCode"), raw.get("errorMessage")
    end_time = _time_from(raw.get("endTime"))
    if not status.is_terminal:
        error_code = NOT_FINISHED_CODE
        error_message = (f"The job was {status.value} when its workspace was exported; it was imported ended. "
                         "Submit it again (amlite ml job create -f) to run it.")
        status = JobStatus.CANCELED
        end_time = end_time or stamp_from(raw["systemData"]).modified_at
    return Job(
        key=key, workspace_key=workspace_key, name=str(raw["name"]), spec=job_spec(raw["spec"]), status=status,
        stamp=stamp_from(raw["systemData"]), etag=etag, submitted_by=submitted_by,
        display_name=str(raw.get("displayName") or raw["name"]), description=str(raw.get("description") or ""),
        tags=dict(raw.get("tags") or {}), is_archived=bool(raw.get("isArchived")),
        warnings=tuple(raw.get("warnings") or ()), requirements=tuple(raw.get("requirements") or ()),
        error_code=error_code, error_message=error_message,
        outputs={k: files_from(v) for k, v in (raw.get("outputs") or {}).items()}, logs=files_from(raw.get("logs")),
        run_id=str(raw.get("runId") or ""), start_time=_time_from(raw.get("startTime")), end_time=end_time,
    )


def job_files(job: Job) -> list[ManifestEntry]:
    """Every file a job names: its code snapshot, its inputs' files, its outputs and its logs."""
    files = list(job.spec.code) + list(job.logs)
    for given in job.spec.inputs.values():
        files += list(given.artifacts)
    for out in job.outputs.values():
        files += list(out)
    return files


# -- MLflow runs -------------------------------------------------------------------------------

def run_record(run: Run, experiment_name: str, history: list[Metric], artifacts: list[ArtifactFile]) -> dict[str, Any]:
    return {
        "runId": run.run_id, "experimentId": run.experiment_id, "experimentName": experiment_name,
        "runName": run.run_name, "userId": run.user_id, "status": run.status.value, "startTime": run.start_time,
        "endTime": run.end_time, "lifecycleStage": run.lifecycle_stage.value, "params": dict(run.params),
        "tags": dict(run.tags),
        "metrics": [{"key": m.key, "value": _float(m.value), "timestamp": m.timestamp, "step": m.step} for m in history],
        "artifacts": [{"path": a.path, "sha256": a.sha256, "size": a.size} for a in artifacts],
    }


def _float(value: float) -> float | str:
    """JSON has no NaN or infinities; MLflow metrics may be either."""
    return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)


def metrics_from(raw: dict[str, Any]) -> list[Metric]:
    return [Metric(str(m["key"]), float(m["value"]), int(m["timestamp"]), int(m["step"])) for m in raw.get("metrics") or []]


def artifacts_from(raw: dict[str, Any]) -> list[ArtifactFile]:
    return [ArtifactFile(str(a["path"]), str(a["sha256"]), int(a["size"])) for a in raw.get("artifacts") or []]


# -- datastores --------------------------------------------------------------------------------

def datastore_record(ds: Datastore, sealed_secret: str | None = None) -> dict[str, Any]:
    """A datastore; its secret only in a backup, and then still encrypted under the server's
    secrets key (``sealedSecret``). ``credentialsType`` says what the source had."""
    extra = {"sealedSecret": sealed_secret} if sealed_secret else {}
    return {**extra, "name": ds.name, "datastoreType": ds.datastore_type, "accountName": ds.account_name,
            "containerName": ds.container_name, "endpoint": ds.endpoint, "protocol": ds.protocol,
            "subscriptionId": ds.subscription_id, "resourceGroupName": ds.resource_group_name,
            "credentialsType": ds.credentials_type, "description": ds.description, "tags": dict(ds.tags)}


def datastore_from(raw: dict[str, Any], key: str, workspace_key: str, created_at: datetime,
                   with_secret: bool = False) -> Datastore:
    """A carried datastore: with its secret when a backup's sealed secret was restored, otherwise
    credential-less (``None``) until its owner sets its secret again."""
    name = str(raw["name"])
    return Datastore(key=key, workspace_key=workspace_key, name=str(raw["name"]),
                     datastore_type=str(raw["datastoreType"]), account_name=str(raw["accountName"]),
                     container_name=str(raw["containerName"]), endpoint=str(raw["endpoint"]),
                     protocol=str(raw["protocol"]), subscription_id=raw.get("subscriptionId"),
                     resource_group_name=raw.get("resourceGroupName"), is_default=False, created_at=created_at,
                     credentials_type=str(raw.get("credentialsType") or "None") if with_secret else "None",
                     secret_name=Datastore.secret_name_for(name) if with_secret else None, description=str(raw.get("description") or ""),
                     tags=dict(raw.get("tags") or {}))
