"""The in-memory repositories of continuity and infrastructure as code: outage drills, workspace
pairs and template deployments (``amlite.store.memory`` assembles them into a unit of work).
"""

from __future__ import annotations

from dataclasses import replace

from amlite.domain.outages import RegionOutage
from amlite.domain.pairs import WorkspacePair
from amlite.domain.templates import TemplateDeployment
from amlite.domain.warm_endpoints import StandbyEndpoint
from amlite.store.memory_tx import Tx, unique


class MemoryRegionOutages:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, region: str) -> RegionOutage | None:
        return self._tx.rows.region_outages.get(region.lower())

    def save(self, outage: RegionOutage) -> None:
        self._tx.write_access().region_outages[outage.region] = outage  # as the SQL store bumps it

    def failed_regions(self) -> set[str]:
        return {o.region for o in self._tx.rows.region_outages.values() if o.is_failed}

    def list(self) -> list[RegionOutage]:
        return sorted(self._tx.rows.region_outages.values(), key=lambda o: o.region)


class MemoryWorkspacePairs:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, pair: WorkspacePair) -> None:
        unique(self.by_name(pair.tenant_id, pair.name) is not None)
        self._tx.write().workspace_pairs[pair.key] = pair

    def by_name(self, tenant_id: str, name: str) -> WorkspacePair | None:
        return next((p for p in self._tx.rows.workspace_pairs.values()
                     if p.tenant_id == tenant_id and p.name.lower() == name.lower()), None)

    def by_key(self, key: str) -> WorkspacePair | None:
        return self._tx.rows.workspace_pairs.get(key)

    def of_primary(self, workspace_key: str) -> list[WorkspacePair]:
        return [p for p in self._tx.rows.workspace_pairs.values() if p.primary_key == workspace_key]

    def of_workspace(self, workspace_key: str) -> list[WorkspacePair]:
        return [p for p in self._tx.rows.workspace_pairs.values() if workspace_key in (p.primary_key, p.secondary_key)]

    def save(self, pair: WorkspacePair) -> None:
        if pair.key in self._tx.rows.workspace_pairs:
            self._tx.write().workspace_pairs[pair.key] = pair

    def delete(self, key: str) -> None:
        rows = self._tx.write()
        rows.workspace_pairs.pop(key, None)
        for standby in [k for k, s in rows.standby_endpoints.items() if s.pair_key == key]:
            del rows.standby_endpoints[standby]  # the SQL table's foreign key cascades

    def list(self, tenant_id: str | None = None) -> list[WorkspacePair]:
        return sorted((p for p in self._tx.rows.workspace_pairs.values()
                       if tenant_id is None or p.tenant_id == tenant_id), key=lambda p: p.name.lower())


class MemoryStandbyEndpoints:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def save(self, standby: StandbyEndpoint) -> None:
        rows = self._tx.write().standby_endpoints
        for key in [k for k, s in rows.items()
                    if s.pair_key == standby.pair_key and s.name.lower() == standby.name.lower()]:
            del rows[key]
        rows[standby.key] = standby

    def of_pair(self, pair_key: str) -> list[StandbyEndpoint]:
        return sorted((s for s in self._tx.rows.standby_endpoints.values() if s.pair_key == pair_key),
                      key=lambda s: s.name.lower())

    def delete(self, key: str) -> None:
        self._tx.write().standby_endpoints.pop(key, None)


class MemoryTemplateDeployments:
    """Rows keep the group's ids as written; reads take the group's current ones, as the SQL join does."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def _current(self, dep: TemplateDeployment) -> TemplateDeployment:
        rg = self._tx.rows.resource_groups.get(dep.resource_group_key)
        return replace(dep, subscription_id=rg.subscription_id, resource_group_name=rg.name) if rg else dep

    def add(self, dep: TemplateDeployment) -> None:
        unique(self.get(dep.resource_group_key, dep.name) is not None)
        self._tx.write().template_deployments[dep.key] = dep

    def save(self, dep: TemplateDeployment) -> None:
        if dep.key in self._tx.rows.template_deployments:
            self._tx.write().template_deployments[dep.key] = dep

    def get(self, rg_key: str, name: str) -> TemplateDeployment | None:
        return next((self._current(d) for d in self._tx.rows.template_deployments.values()
                     if d.resource_group_key == rg_key and d.name.lower() == name.lower()), None)

    def in_group(self, rg_key: str) -> list[TemplateDeployment]:
        found = [d for d in self._tx.rows.template_deployments.values() if d.resource_group_key == rg_key]
        return [self._current(d) for d in sorted(found, key=lambda d: (d.created_at, d.name.lower()))]


# -- the unit of work ----------------------------------------------------------------------------
