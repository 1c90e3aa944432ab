"""Repositories for online endpoints and their deployments (``domain/online_endpoints.py``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from amlite.domain.online_endpoints import AuthMode, DeploymentState, OnlineDeployment, OnlineEndpoint
from amlite.domain.paging import Page
from amlite.store import tables as t
from amlite.store.resource_repos import paged

_ep = t.online_endpoints
_dep = t.online_deployments


class OnlineEndpointRepository:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, ep: OnlineEndpoint) -> None:
        self._conn.execute(_ep.insert().values(key=ep.key, **_endpoint_values(ep)))

    def save(self, ep: OnlineEndpoint) -> None:
        self._conn.execute(_ep.update().where(_ep.c.key == ep.key).values(**_endpoint_values(ep)))

    def get(self, ws_key: str, name: str) -> OnlineEndpoint | None:
        row = self._conn.execute(sa.select(_ep).where(_ep.c.workspace_key == ws_key,
                                                      _ep.c.name_lower == name.lower())).first()
        return _endpoint(row) if row else None

    def by_key(self, key: str) -> OnlineEndpoint | None:
        row = self._conn.execute(sa.select(_ep).where(_ep.c.key == key)).first()
        return _endpoint(row) if row else None

    def by_scoring_id(self, scoring_id: str) -> OnlineEndpoint | None:
        row = self._conn.execute(sa.select(_ep).where(_ep.c.scoring_id == scoring_id.lower())).first()
        return _endpoint(row) if row else None

    def list(self, ws_key: str, offset: int, limit: int) -> Page[OnlineEndpoint]:
        query = sa.select(_ep).where(_ep.c.workspace_key == ws_key).order_by(_ep.c.name_lower)
        return paged(self._conn, query, offset, limit, _endpoint)  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        self._conn.execute(_ep.delete().where(_ep.c.key == key))

    # -- deployments ------------------------------------------------------------------------------

    def add_deployment(self, d: OnlineDeployment) -> None:
        self._conn.execute(_dep.insert().values(key=d.key, **_deployment_values(d)))

    def save_deployment(self, d: OnlineDeployment) -> None:
        self._conn.execute(_dep.update().where(_dep.c.key == d.key).values(**_deployment_values(d)))

    def deployment(self, endpoint_key: str, name: str) -> OnlineDeployment | None:
        row = self._conn.execute(sa.select(_dep).where(_dep.c.endpoint_key == endpoint_key,
                                                       _dep.c.name_lower == name.lower())).first()
        return _deployment(row) if row else None

    def deployment_by_key(self, key: str) -> OnlineDeployment | None:
        row = self._conn.execute(sa.select(_dep).where(_dep.c.key == key)).first()
        return _deployment(row) if row else None

    def deployments(self, endpoint_key: str) -> list[OnlineDeployment]:
        query = sa.select(_dep).where(_dep.c.endpoint_key == endpoint_key).order_by(_dep.c.name_lower)
        return [_deployment(r) for r in self._conn.execute(query)]

    def list_deployments(self, endpoint_key: str, offset: int, limit: int) -> Page[OnlineDeployment]:
        query = sa.select(_dep).where(_dep.c.endpoint_key == endpoint_key).order_by(_dep.c.name_lower)
        return paged(self._conn, query, offset, limit, _deployment)  # type: ignore[no-any-return]

    def deployments_in_state(self, state: DeploymentState) -> list[OnlineDeployment]:
        query = sa.select(_dep).where(_dep.c.state == state.value).order_by(_dep.c.key)
        return [_deployment(r) for r in self._conn.execute(query)]

    def delete_deployment(self, key: str) -> None:
        self._conn.execute(_dep.delete().where(_dep.c.key == key))


def _endpoint_values(ep: OnlineEndpoint) -> dict[str, Any]:
    return {
        "workspace_key": ep.workspace_key, "name": ep.name, "name_lower": ep.name.lower(),
        "scoring_id": ep.scoring_id.lower(), "auth_mode": ep.auth_mode.value, "description": ep.description,
        "tags": ep.tags, "properties": ep.properties, "traffic": [[k, v] for k, v in ep.traffic.items()],
        "created_by": ep.created_by, "created_at": ep.created_at, "modified_at": ep.modified_at,
    }


def _endpoint(row: Any) -> OnlineEndpoint:
    return OnlineEndpoint(
        key=row.key, workspace_key=row.workspace_key, name=row.name, scoring_id=row.scoring_id,
        auth_mode=AuthMode(row.auth_mode), description=row.description, tags=dict(row.tags or {}),
        properties=dict(row.properties or {}), traffic={str(k): int(v) for k, v in row.traffic or []},
        created_at=row.created_at, modified_at=row.modified_at, created_by=row.created_by,
    )


def _deployment_values(d: OnlineDeployment) -> dict[str, Any]:
    return {
        "endpoint_key": d.endpoint_key, "name": d.name, "name_lower": d.name.lower(), "state": d.state.value,
        "model_id": d.model_id, "model_ref": d.model_ref, "environment_id": d.environment_id,
        "scoring_script": d.scoring_script, "code_manifest": list(d.code_manifest), "instance_type": d.instance_type,
        "instance_count": d.instance_count, "environment_variables": d.environment_variables,
        "description": d.description, "tags": d.tags, "properties": d.properties, "warnings": list(d.warnings),
        "error": d.error, "generation": d.generation, "host_id": d.host_id, "port": d.port, "secret": d.secret,
        "created_by": d.created_by, "created_at": d.created_at, "modified_at": d.modified_at,
    }


def _deployment(row: Any) -> OnlineDeployment:
    return OnlineDeployment(
        key=row.key, endpoint_key=row.endpoint_key, name=row.name, state=DeploymentState(row.state),
        model_id=row.model_id, model_ref=row.model_ref, environment_id=row.environment_id,
        scoring_script=row.scoring_script, code_manifest=tuple(row.code_manifest or ()),
        instance_type=row.instance_type, instance_count=row.instance_count,
        environment_variables=dict(row.environment_variables or {}), description=row.description,
        tags=dict(row.tags or {}), properties=dict(row.properties or {}), created_at=row.created_at,
        modified_at=row.modified_at, created_by=row.created_by, error=row.error, generation=row.generation,
        host_id=row.host_id, port=row.port, secret=row.secret, warnings=tuple(row.warnings or ()),
    )
