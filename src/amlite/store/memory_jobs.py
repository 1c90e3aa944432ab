"""The in-memory repository of command jobs (``memory`` holds the unit of work)."""

from __future__ import annotations

from amlite.domain.assets import ListViewType
from amlite.domain.jobs import Job
from amlite.domain.paging import Page
from amlite.store.memory_tx import Tx, page, unique


class MemoryJobs:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, job: Job) -> None:
        unique(job.key in self._tx.rows.jobs or self.get(job.workspace_key, job.name) is not None)
        self._tx.write().jobs[job.key] = job

    def save(self, job: Job) -> None:
        if job.key in self._tx.rows.jobs:
            self._tx.write().jobs[job.key] = job

    def delete(self, key: str) -> None:
        self._tx.write().jobs.pop(key, None)

    def get(self, ws_key: str, name: str) -> Job | None:
        return next((j for j in self._tx.rows.jobs.values()
                     if j.workspace_key == ws_key and j.name.lower() == name.lower()), None)

    def by_key(self, key: str) -> Job | None:
        return self._tx.rows.jobs.get(key)

    def lock(self, ws_key: str, name: str) -> Job | None:
        """A write unit of work already holds the store's one writer lock."""
        return self.get(ws_key, name)

    def list(self, ws_key: str, view: ListViewType, offset: int, limit: int) -> Page[Job]:
        def shown(job: Job) -> bool:
            if view is ListViewType.ACTIVE_ONLY:
                return not job.is_archived
            return job.is_archived if view is ListViewType.ARCHIVED_ONLY else True

        found = sorted((j for j in self._tx.rows.jobs.values() if j.workspace_key == ws_key and shown(j)),
                       key=lambda j: j.key)
        found.sort(key=lambda j: j.stamp.created_at, reverse=True)
        return page(found, offset, limit)
