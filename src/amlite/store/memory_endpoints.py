"""Online endpoints and deployments in the in-memory store (the unit tests' fake of the port)."""

from __future__ import annotations

from amlite.domain.online_endpoints import DeploymentState, OnlineDeployment, OnlineEndpoint
from amlite.domain.paging import Page
from amlite.store.memory_tx import Tx, page, unique


class MemoryOnlineEndpoints:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, ep: OnlineEndpoint) -> None:
        unique(self.get(ep.workspace_key, ep.name) is not None or self.by_scoring_id(ep.scoring_id) is not None)
        self._tx.write().online_endpoints[ep.key] = ep

    def save(self, ep: OnlineEndpoint) -> None:
        if ep.key in self._tx.rows.online_endpoints:
            self._tx.write().online_endpoints[ep.key] = ep

    def get(self, ws_key: str, name: str) -> OnlineEndpoint | None:
        return next((e for e in self._tx.rows.online_endpoints.values()
                     if e.workspace_key == ws_key and e.name.lower() == name.lower()), None)

    def by_key(self, key: str) -> OnlineEndpoint | None:
        found: OnlineEndpoint | None = self._tx.rows.online_endpoints.get(key)
        return found

    def by_scoring_id(self, scoring_id: str) -> OnlineEndpoint | None:
        return next((e for e in self._tx.rows.online_endpoints.values()
                     if e.scoring_id.lower() == scoring_id.lower()), None)

    def delete(self, key: str) -> None:
        rows = self._tx.write()
        rows.online_endpoints.pop(key, None)
        rows.online_deployments = {k: d for k, d in rows.online_deployments.items() if d.endpoint_key != key}

    def add_deployment(self, d: OnlineDeployment) -> None:
        unique(self.deployment(d.endpoint_key, d.name) is not None)
        self._tx.write().online_deployments[d.key] = d

    def save_deployment(self, d: OnlineDeployment) -> None:
        if d.key in self._tx.rows.online_deployments:
            self._tx.write().online_deployments[d.key] = d

    def deployment(self, endpoint_key: str, name: str) -> OnlineDeployment | None:
        return next((d for d in self._tx.rows.online_deployments.values()
                     if d.endpoint_key == endpoint_key and d.name.lower() == name.lower()), None)

    def deployment_by_key(self, key: str) -> OnlineDeployment | None:
        found: OnlineDeployment | None = self._tx.rows.online_deployments.get(key)
        return found

    def deployments(self, endpoint_key: str) -> list[OnlineDeployment]:
        return sorted((d for d in self._tx.rows.online_deployments.values() if d.endpoint_key == endpoint_key),
                      key=lambda d: d.name.lower())

    def list_deployments(self, endpoint_key: str, offset: int, limit: int) -> Page[OnlineDeployment]:
        return page(self.deployments(endpoint_key), offset, limit)

    def deployments_in_state(self, state: DeploymentState) -> list[OnlineDeployment]:
        return sorted((d for d in self._tx.rows.online_deployments.values() if d.state is state), key=lambda d: d.key)

    def delete_deployment(self, key: str) -> None:
        self._tx.write().online_deployments.pop(key, None)

    def list(self, ws_key: str, offset: int, limit: int) -> Page[OnlineEndpoint]:
        items = sorted((e for e in self._tx.rows.online_endpoints.values() if e.workspace_key == ws_key),
                       key=lambda e: e.name.lower())
        return page(items, offset, limit)
