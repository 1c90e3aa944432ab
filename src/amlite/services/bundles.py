"""Export a workspace to a bundle, and import a bundle into a workspace (``docs/bundles.md``).

Export is one read unit of work that gathers the records (assets with every version, jobs, the
jobs' MLflow runs, datastores) and the digests of every blob they name; then, outside any
transaction, the archive is written: the manifest first (each document's checksum is computed
in memory, each blob's is its name), the documents, and each blob once, streamed from the
workspace's storage.

Import refuses a bad bundle before it writes anything, and writes bytes before metadata:

1. verify — every member is read and hashed against the manifest (``domain.bundles``); a
   corrupt, truncated or padded archive is refused naming the member, with nothing written;
2. plan — one read unit of work admits the caller, resolves the target and works out what is
   new; a version that exists with other content is a 409, still with nothing written;
3. bytes — each blob the target's storage lacks is stored, verified against its digest, in the
   target's region (blobs are content-addressed: a crash here leaves only unreferenced blobs,
   which are harmless and make a retry cheap);
4. metadata — one write unit of work inserts every new record and commits once, so an import
   is whole or absent.

What exists already (a container or version, job, run or datastore of the same name) is left as
it is, so importing the same bundle twice changes nothing the second time (0 new).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from amlite.domain import bundle_records as rec
from amlite.domain.assets import AssetKind, ListViewType, next_version_after
from amlite.domain.blobs import CHUNK_SIZE
from amlite.domain.bundles import (
    ASSETS,
    DATASTORES,
    JOBS,
    MANIFEST,
    RUNS,
    BundleCheck,
    BundleManifest,
    Member,
    blob_digest,
    blob_member,
    bundle_corrupt,
    parse_manifest,
)
from amlite.domain.errors import Conflict, InvalidInput
from amlite.domain.resources import Datastore
from amlite.domain.tracking import Experiment, LifecycleStage, experiment_artifact_location, run_artifact_root
from amlite.faults import fault_point
from amlite.ports import TrackingUnitOfWork, TrackingUnitOfWorkFactory
from amlite.services.artifacts import ArtifactService, ArtifactStorage
from amlite.services.asset_owners import workspace_owner
from amlite.services.audit import record_write
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps, new_etag
from amlite.services.secrets import SecretNamespace
from amlite.services.workspace_scope import require_workspace, writable

log = logging.getLogger(__name__)

#: Rows read per page while gathering a workspace's records.
PAGE = 500
#: Metric points read per history page.
HISTORY_PAGE = 10_000
_ASSET_KINDS = (AssetKind.CODES, AssetKind.DATA, AssetKind.ENVIRONMENTS, AssetKind.COMPONENTS, AssetKind.MODELS)


@dataclass(frozen=True)
class ExportSummary:
    members: int
    blobs: int
    counts: dict[str, int]


@dataclass
class ImportSummary:
    """What an import added (``new``) and found already there (``existing``), per kind; the
    datastores that came without their secret; the blobs stored."""

    new: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    blobs_stored: int = 0
    blobs_present: int = 0
    members_verified: int = 0
    datastores_without_credentials: list[str] = field(default_factory=list)
    workspace_id: str = ""
    region: str = ""

    @property
    def total_new(self) -> int:
        return sum(self.new.values())

    def as_json(self) -> dict[str, Any]:
        return {"workspaceId": self.workspace_id, "region": self.region, "membersVerified": self.members_verified,
                "new": dict(self.new), "existing": dict(self.existing), "totalNew": self.total_new,
                "blobsStored": self.blobs_stored, "blobsAlreadyPresent": self.blobs_present,
                "datastoresWithoutCredentials": list(self.datastores_without_credentials)}


@dataclass(frozen=True)
class _Docs:
    assets: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    datastores: list[dict[str, Any]]


class BundleService:
    def __init__(self, deps: Deps, uow: TrackingUnitOfWorkFactory, artifacts: ArtifactService,
                 authz: Authorizer, secrets: SecretNamespace) -> None:
        self._deps = deps
        self._secrets = secrets
        self._uow = uow
        self._artifacts = artifacts
        self._authz = authz

    # -- export --------------------------------------------------------------------------------

    def export(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, out: BinaryIO,
               compression: str = "", with_secrets: bool = False) -> ExportSummary:
        """Write the workspace's bundle into ``out`` (a tar; ``compression`` ``"gz"`` gzips it).
        ``with_secrets`` (a backup) also carries each datastore's secret, still encrypted under the
        server's secrets key: only this deployment (or one sharing its key) can restore it."""
        with self._uow() as uow:
            caller = self._authz.admit(uow, caller)
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            where = self._artifacts.storage_in(uow, workspace_owner(ws))
            docs, blobs = _gather(uow, ws.key, self._secrets if with_secrets else None)
        encoded = {name: json.dumps(body, indent=1, sort_keys=True).encode()
                   for name, body in ((ASSETS, docs.assets), (JOBS, docs.jobs), (RUNS, docs.runs),
                                      (DATASTORES, docs.datastores))}
        members = [Member(name, len(data), hashlib.sha256(data).hexdigest()) for name, data in encoded.items()]
        members += [Member(blob_member(sha), size, sha) for sha, size in sorted(blobs.items())]
        counts = {"assets": len(docs.assets), "versions": sum(len(a["versions"]) for a in docs.assets),
                  "jobs": len(docs.jobs), "runs": len(docs.runs), "datastores": len(docs.datastores),
                  "blobs": len(blobs)}
        manifest = BundleManifest({"workspaceId": ws.arm_id, "region": ws.location,
                                   "kind": "backup" if with_secrets else "export"},
                                  self._deps.clock.now().isoformat(), tuple(members), counts)
        opened = (tarfile.open(fileobj=out, mode="w|gz", format=tarfile.PAX_FORMAT) if compression == "gz"
                  else tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT))
        with opened as tar:
            _add(tar, MANIFEST, manifest.to_bytes())
            for name, data in encoded.items():
                _add(tar, name, data)
            for sha, size in sorted(blobs.items()):
                info = tarfile.TarInfo(blob_member(sha))
                info.size = size
                info.mode = 0o444
                tar.addfile(info, _ChunkReader(where.store.open_chunks(where.account, where.container, sha, CHUNK_SIZE)))
        return ExportSummary(len(members) + 1, len(blobs), counts)

    # -- import --------------------------------------------------------------------------------

    def import_bundle(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str, bundle: Path) -> ImportSummary:
        """Import the bundle file into the workspace (module docstring: verify, plan, bytes, metadata)."""
        with self._uow() as uow:  # a missing or read-only target is said before the bundle is judged
            caller = self._authz.admit(uow, caller)
            ws = writable(require_workspace(uow, caller, sub_id, rg_name, ws_name))
        manifest, docs = verify_bundle(bundle)
        summary = ImportSummary(members_verified=len(manifest.members) + 1)
        with self._uow() as uow:
            where = self._artifacts.storage_in(uow, workspace_owner(ws))
            self._plan(uow, ws.key, docs, None, caller)  # refuses conflicts before any byte is written
        summary.workspace_id, summary.region = ws.arm_id, where.region
        self._store_blobs(bundle, manifest, where, summary)
        with self._uow(write=True) as uow:
            current = uow.workspaces.by_key(ws.key)
            if current is None:
                raise Conflict("WorkspaceGone", f"The workspace '{ws.name}' was deleted during the import.")
            writable(current)
            self._plan(uow, ws.key, docs, summary, caller)
            record_write(self._deps, uow, caller, scope=ws.arm_id)
            fault_point("bundle.import.before_commit")
            uow.commit()
        return summary

    def _store_blobs(self, bundle: Path, manifest: BundleManifest, where: ArtifactStorage,
                     summary: ImportSummary) -> None:
        wanted = {m.name: m for m in manifest.members if blob_digest(m.name) is not None}
        with tarfile.open(bundle, mode="r:*") as tar:
            for info in tar:
                member = wanted.get(info.name)
                if member is None:
                    continue
                if where.store.exists(where.account, where.container, member.sha256):
                    summary.blobs_present += 1
                    continue
                source = tar.extractfile(info)
                assert source is not None, "verified as a regular file"
                writer = where.store.begin_put(where.account, where.container, member.sha256, member.size)
                try:
                    while chunk := source.read(CHUNK_SIZE):
                        writer.write(chunk)
                    writer.commit()
                except BaseException:
                    writer.abort()
                    raise
                summary.blobs_stored += 1

    def _plan(self, uow: TrackingUnitOfWork, ws_key: str, docs: _Docs, summary: ImportSummary | None,
              caller: Caller) -> None:
        """Work out (``summary`` None: read only, refusing conflicts) or write (``summary``: insert
        and count) every record that is not in the workspace yet."""
        d = self._deps
        writing = summary is not None

        def count(kind: str, new: bool) -> None:
            if summary is not None:
                bucket = summary.new if new else summary.existing
                bucket[kind] = bucket.get(kind, 0) + 1

        for raw in docs.assets:
            kind = rec.asset_kind(raw)
            container = uow.asset_containers.get(ws_key, kind, raw["name"])
            if container is None and writing:
                uow.asset_containers.add_if_missing(rec.container_from(raw, d.ids.new_id(), ws_key, new_etag(d.ids)))
                container = uow.asset_containers.get(ws_key, kind, raw["name"])
                count("assets", True)
            elif container is not None:
                count("assets", False)
            next_version = container.next_version if container is not None else 0
            for raw_version in reversed(raw["versions"]):  # oldest first: sequence numbers keep their order
                existing = uow.asset_versions.any_get(container.key, str(raw_version["version"])) if container else None
                if existing is not None:
                    if existing.fingerprint != raw_version["fingerprint"]:
                        raise Conflict("AssetVersionConflict",
                                       f"{kind.label} '{raw['name']}' version '{raw_version['version']}' exists in the "
                                       "workspace with different content; nothing was imported.", target=ASSETS)
                    count("versions", False)
                    continue
                if not writing:
                    continue
                assert container is not None
                version = rec.version_from(raw_version, d.ids.new_id(), container.key,
                                           uow.asset_versions.next_seq(container.key), new_etag(d.ids))
                uow.asset_versions.add(version)
                next_version = next_version_after(next_version, version.version)
                count("versions", True)
            if writing and container is not None and next_version != container.next_version:
                uow.asset_containers.save(replace(container, next_version=next_version))
        for raw in docs.datastores:
            if uow.datastores.get(ws_key, raw["name"]) is not None:
                count("datastores", False)
            elif writing:
                sealed = raw.get("sealedSecret")
                restored = bool(sealed) and self._secrets.put_sealed(
                    uow, ws_key, Datastore.secret_name_for(raw["name"]), str(sealed))
                uow.datastores.add(rec.datastore_from(raw, d.ids.new_id(), ws_key, d.clock.now(), restored))
                count("datastores", True)
                if summary is not None and not restored and raw.get("credentialsType", "None") != "None":
                    summary.datastores_without_credentials.append(raw["name"])
        for raw in docs.jobs:
            if uow.jobs.get(ws_key, raw["name"]) is not None:
                count("jobs", False)
            elif writing:
                uow.jobs.add(rec.job_from(raw, d.ids.new_id(), ws_key, caller.principal_id, new_etag(d.ids)))
                count("jobs", True)
        for raw in docs.runs:
            if uow.tracking.run(ws_key, raw["runId"]) is not None:
                count("runs", False)
            elif writing:
                self._add_run(uow, ws_key, raw)
                count("runs", True)

    def _add_run(self, uow: TrackingUnitOfWork, ws_key: str, raw: dict[str, Any]) -> None:
        from amlite.domain.tracking import Run, RunStatus

        d = self._deps
        exp = uow.tracking.experiment_by_name(ws_key, raw["experimentName"])
        if exp is None:
            exp_id = raw["experimentId"]
            if uow.tracking.experiment(ws_key, exp_id) is not None:
                exp_id = d.ids.new_id()
            now = int(raw["startTime"])
            exp = Experiment(d.ids.new_id(), ws_key, exp_id, raw["experimentName"], experiment_artifact_location(exp_id),
                             LifecycleStage.ACTIVE, now, now)
            uow.tracking.add_experiment(exp)
        run = Run(d.ids.new_id(), ws_key, exp.key, exp.experiment_id, raw["runId"], raw["runName"], raw["userId"],
                  RunStatus(raw["status"]), int(raw["startTime"]),
                  None if raw.get("endTime") is None else int(raw["endTime"]), LifecycleStage(raw["lifecycleStage"]),
                  run_artifact_root(exp.experiment_id, raw["runId"]))
        uow.tracking.add_run(run)
        uow.tracking.add_params(run.key, dict(raw.get("params") or {}))
        uow.tracking.set_tags(run.key, dict(raw.get("tags") or {}))
        uow.tracking.add_metrics(run.key, rec.metrics_from(raw))
        for file in rec.artifacts_from(raw):
            uow.tracking.put_artifact(run.key, file)


def verify_bundle(bundle: Path) -> tuple[BundleManifest, _Docs]:
    """Read the whole archive once, hashing every member against the manifest; the manifest and
    the parsed documents, or ``BundleCorrupt`` naming the first bad member. Writes nothing."""
    try:
        with tarfile.open(bundle, mode="r:*") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise bundle_corrupt(MANIFEST, "is not the archive's first member")
            handle = tar.extractfile(first)
            assert handle is not None
            manifest = parse_manifest(handle.read())
            check = BundleCheck(manifest)
            documents: dict[str, bytes] = {}
            for info in tar:
                if not info.isfile():
                    raise bundle_corrupt(info.name, "is not a regular file")
                source = tar.extractfile(info)
                assert source is not None
                digest, size = hashlib.sha256(), 0
                keep = blob_digest(info.name) is None
                kept = bytearray()
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                    if keep:
                        kept += chunk
                check.observe(info.name, size, digest.hexdigest())
                if keep:
                    documents[info.name] = bytes(kept)
            check.finish()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise InvalidInput("BundleCorrupt", f"The bundle cannot be read as a tar archive ({exc}): it is truncated "
                           "or not a bundle. Nothing was imported.", "bundle") from None
    docs = {}
    for name in (ASSETS, JOBS, RUNS, DATASTORES):
        try:
            body = json.loads(documents[name])
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise bundle_corrupt(name, f"is not JSON ({exc})") from None
        if not isinstance(body, list):
            raise bundle_corrupt(name, "is not a JSON list")
        docs[name] = body
    return manifest, _Docs(docs[ASSETS], docs[JOBS], docs[RUNS], docs[DATASTORES])


def _gather(uow: TrackingUnitOfWork, ws_key: str, secrets: SecretNamespace | None) -> tuple[_Docs, dict[str, int]]:
    """The workspace's records and {digest: size} of every blob they name; with ``secrets``, each
    datastore's sealed secret too."""
    blobs: dict[str, int] = {}

    def note(entries: Any) -> None:
        for e in entries:
            blobs[e.sha256] = e.size

    assets: list[dict[str, Any]] = []
    for kind in _ASSET_KINDS:
        for container in _all(lambda o, n, k=kind: uow.asset_containers.list(ws_key, k, ListViewType.ALL, o, n)):
            versions = _all(lambda o, n, c=container: uow.asset_versions.list(c.key, ListViewType.ALL, c.is_archived,
                                                                              {}, o, n))
            for v in versions:
                note(v.manifest)
            assets.append(rec.asset_record(container, versions))
    jobs = _all(lambda o, n: uow.jobs.list(ws_key, ListViewType.ALL, o, n))
    runs: list[dict[str, Any]] = []
    for job in jobs:
        note(rec.job_files(job))
        run = uow.tracking.run(ws_key, job.run_id) if job.run_id else None
        if run is None:
            continue
        exp = uow.tracking.experiment(ws_key, run.experiment_id)
        history = [point for m in run.metrics for point in _history(uow, run.key, m.key)]
        files = uow.tracking.artifacts(run.key, "")
        note(files)
        runs.append(rec.run_record(run, exp.name if exp else "Default", history, files))
    # The workspace's own storage (its default blob store, its notebooks' file share) is not carried:
    # the target workspace has its own; datastores on other accounts are.
    stores = uow.datastores.of_workspace(ws_key)
    own = {ds.account_name for ds in stores if ds.is_default}
    datastores = [rec.datastore_record(ds, secrets.sealed(uow, ws_key, ds.secret_name)
                                       if secrets is not None and ds.secret_name else None)
                  for ds in stores if ds.account_name not in own]
    return _Docs(assets, [rec.job_record(j) for j in jobs], runs, datastores), blobs


def _history(uow: TrackingUnitOfWork, run_key: str, key: str) -> list[Any]:
    points: list[Any] = []
    while True:
        page = uow.tracking.metric_history(run_key, key, len(points), HISTORY_PAGE)
        points += page
        if len(page) < HISTORY_PAGE:
            return points


def _all(page_of: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = page_of(len(items), PAGE)
        items += page.items
        if not page.more:
            return items


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o444
    tar.addfile(info, io.BytesIO(data))


class _ChunkReader(io.RawIOBase):
    """A chunk iterator as the file object ``tarfile.addfile`` reads from."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

