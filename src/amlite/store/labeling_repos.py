"""Repository of workspaces' labeling projects."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.labeling import LabelingProject, LabelingStatus
from amlite.store import tables as t

_lp = t.labeling_projects


class LabelingProjectRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, project: LabelingProject) -> None:
        self._conn.execute(_lp.insert().values(key=project.key, workspace_key=project.workspace_key,
                                               project_id=project.project_id, created_at=project.created_at,
                                               created_by=project.created_by, **_values(project)))

    def save(self, project: LabelingProject) -> None:
        self._conn.execute(_lp.update().where(_lp.c.key == project.key).values(**_values(project)))

    def get(self, ws_key: str, name: str) -> LabelingProject | None:
        row = self._conn.execute(sa.select(_lp).where(_lp.c.workspace_key == ws_key,
                                                      _lp.c.name_lower == name.lower())).first()
        return _project(row) if row else None

    def of_workspace(self, ws_key: str) -> list[LabelingProject]:
        query = sa.select(_lp).where(_lp.c.workspace_key == ws_key).order_by(_lp.c.name_lower)
        return [_project(r) for r in self._conn.execute(query)]

    def delete(self, key: str) -> None:
        self._conn.execute(_lp.delete().where(_lp.c.key == key))


def _values(project: LabelingProject) -> dict[str, object]:
    return {"name": project.name, "name_lower": project.name.lower(), "spec": project.spec,
            "status": project.status.value, "modified_at": project.modified_at}


def _project(row: sa.Row) -> LabelingProject:  # type: ignore[type-arg]
    return LabelingProject(key=row.key, workspace_key=row.workspace_key, name=row.name, project_id=row.project_id,
                           spec=dict(row.spec), status=LabelingStatus(row.status), created_at=row.created_at,
                           modified_at=row.modified_at, created_by=row.created_by)
