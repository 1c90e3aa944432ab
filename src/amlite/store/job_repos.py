"""Command jobs of a workspace (``domain.jobs``): one row each, listed newest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from amlite.domain.assets import ListViewType, ManifestEntry
from amlite.domain.jobs import Job, JobStatus, job_spec
from amlite.domain.paging import Page
from amlite.domain.resources import AuditStamp
from amlite.store import tables as t


class JobRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, job: Job) -> None:
        self._conn.execute(t.jobs.insert().values(**job_values(job)))

    def save(self, job: Job) -> None:
        values = job_values(job)
        del values["key"]
        self._conn.execute(t.jobs.update().where(t.jobs.c.key == job.key).values(**values))

    def delete(self, key: str) -> None:
        self._conn.execute(t.jobs.delete().where(t.jobs.c.key == key))

    def get(self, ws_key: str, name: str) -> Job | None:
        row = self._conn.execute(sa.select(t.jobs).where(
            t.jobs.c.workspace_key == ws_key, t.jobs.c.name_lower == name.lower())).first()
        return job_from_row(row._mapping) if row else None

    def by_key(self, key: str) -> Job | None:
        row = self._conn.execute(sa.select(t.jobs).where(t.jobs.c.key == key)).first()
        return job_from_row(row._mapping) if row else None

    def lock(self, ws_key: str, name: str) -> Job | None:
        """The row, locked to the end of the transaction (PostgreSQL; SQLite writers take turns)."""
        query = sa.select(t.jobs).where(t.jobs.c.workspace_key == ws_key, t.jobs.c.name_lower == name.lower())
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return job_from_row(row._mapping) if row else None

    def list(self, ws_key: str, view: ListViewType, offset: int, limit: int) -> Page[Job]:
        query = sa.select(t.jobs).where(t.jobs.c.workspace_key == ws_key)
        if view is ListViewType.ACTIVE_ONLY:
            query = query.where(t.jobs.c.is_archived.is_(False))
        elif view is ListViewType.ARCHIVED_ONLY:
            query = query.where(t.jobs.c.is_archived.is_(True))
        rows = self._conn.execute(query.order_by(t.jobs.c.created_at.desc(), t.jobs.c.key)
                                  .offset(offset).limit(limit + 1)).all()
        items = [job_from_row(r._mapping) for r in rows[:limit]]
        return Page(items, len(rows) > limit)


def _manifest(entries: tuple[ManifestEntry, ...]) -> list[dict[str, Any]]:
    return [e.as_json() for e in entries]


def _entries(raw: Any) -> tuple[ManifestEntry, ...]:
    return tuple(ManifestEntry(str(e["path"]), str(e["sha256"]), int(e["size"])) for e in raw or [])


def job_values(job: Job) -> dict[str, Any]:
    s = job.stamp
    return {
        "key": job.key, "workspace_key": job.workspace_key, "name": job.name, "name_lower": job.name.lower(),
        "status": job.status.value, "spec": job.spec.to_wire(), "display_name": job.display_name,
        "description": job.description, "tags": dict(job.tags), "is_archived": job.is_archived,
        "warnings": list(job.warnings), "requirements": list(job.requirements),
        "image": job.image,
        "error_code": job.error_code, "error_message": job.error_message,
        "outputs": {k: _manifest(v) for k, v in job.outputs.items()}, "logs": _manifest(job.logs),
        "run_id": job.run_id, "submitted_by": job.submitted_by, "etag": job.etag, "start_time": job.start_time,
        "end_time": job.end_time, "created_by": s.created_by, "created_by_type": s.created_by_type,
        "created_at": s.created_at, "modified_by": s.modified_by, "modified_by_type": s.modified_by_type,
        "modified_at": s.modified_at,
    }


def job_from_row(row: Any) -> Job:
    return Job(
        key=row["key"], workspace_key=row["workspace_key"], name=row["name"], spec=job_spec(row["spec"]),
        status=JobStatus(row["status"]),
        stamp=AuditStamp(row["created_by"], row["created_by_type"], row["created_at"], row["modified_by"],
                         row["modified_by_type"], row["modified_at"]),
        etag=row["etag"], submitted_by=row["submitted_by"], display_name=row["display_name"],
        description=row["description"], tags=dict(row["tags"] or {}), is_archived=bool(row["is_archived"]),
        warnings=tuple(row["warnings"] or ()), requirements=tuple(row["requirements"] or ()),
        image=row["image"],
        error_code=row["error_code"], error_message=row["error_message"],
        outputs={k: _entries(v) for k, v in (row["outputs"] or {}).items()}, logs=_entries(row["logs"]),
        run_id=row["run_id"], start_time=row["start_time"], end_time=row["end_time"],
    )
