"""Template deployments (domain/templates.py ``TemplateDeployment``), one row per name in a group.
The group's current subscription and name are joined in, as for every row below a group."""

from __future__ import annotations

import sqlalchemy as sa

from amlite.domain.templates import TemplateDeployment
from amlite.store import tables as t


class TemplateDeploymentRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def _select(self) -> sa.Select:  # type: ignore[type-arg]
        d, rg = t.template_deployments, t.resource_groups
        return sa.select(d, rg.c.subscription_id, rg.c.name.label("rg_name")).join(rg, rg.c.key == d.c.resource_group_key)

    def add(self, dep: TemplateDeployment) -> None:
        self._conn.execute(t.template_deployments.insert().values(**_values(dep)))

    def save(self, dep: TemplateDeployment) -> None:
        table = t.template_deployments
        self._conn.execute(table.update().where(table.c.key == dep.key).values(**_values(dep)))

    def get(self, rg_key: str, name: str) -> TemplateDeployment | None:
        d = t.template_deployments
        row = self._conn.execute(self._select().where(d.c.resource_group_key == rg_key,
                                                      d.c.name_lower == name.lower())).first()
        return _deployment(row) if row else None

    def in_group(self, rg_key: str) -> list[TemplateDeployment]:
        d = t.template_deployments
        rows = self._conn.execute(self._select().where(d.c.resource_group_key == rg_key)
                                  .order_by(d.c.created_at, d.c.name_lower)).all()
        return [_deployment(r) for r in rows]


def _values(dep: TemplateDeployment) -> dict[str, object]:
    return {
        "key": dep.key, "resource_group_key": dep.resource_group_key, "name": dep.name, "name_lower": dep.name.lower(),
        "state": dep.state, "parameters": dep.parameters, "template_hash": dep.template_hash,
        "output_resources": list(dep.output_resources), "error": dep.error, "duration_seconds": dep.duration_seconds,
        "created_at": dep.created_at, "modified_at": dep.modified_at,
    }


def _deployment(row: sa.Row) -> TemplateDeployment:  # type: ignore[type-arg]
    return TemplateDeployment(
        key=row.key, resource_group_key=row.resource_group_key, subscription_id=row.subscription_id,
        resource_group_name=row.rg_name, name=row.name, state=row.state, parameters=dict(row.parameters),
        template_hash=row.template_hash, output_resources=tuple(row.output_resources), error=row.error,
        created_at=row.created_at, modified_at=row.modified_at, duration_seconds=row.duration_seconds,
    )
