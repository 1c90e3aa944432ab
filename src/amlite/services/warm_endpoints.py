"""Warm endpoints of paired workspaces: the primary's online endpoints kept as standby
definitions in the secondary, and the failover step that deploys them (domain/warm_endpoints.py,
docs/bcdr.md).

A pair keeps standbys when its mode for ``endpoints`` is hot (``hot-warm`` or ``hot-hot``; the
pair's main mode unless ``--per-kind endpoints=...`` says otherwise). Each copy is a task of kind
``ENDPOINT_COPY`` on the one task engine, named by the definition's fingerprint so a changed
definition is a new copy: queued in the unit of work that changes an endpoint or one of its
deployments (``plan``, this service watching ``OnlineEndpointService``) and by a reconciler pass
(``reconcile``) that derives what a secondary lacks, so a lost task heals by itself. A copy
streams the deployments' code blobs into the secondary's storage (verified, atomic, skipping what
is there) and then writes the standby row, whole, in one unit of work; a copy into a failed
region is retried and queued again once the region is restored (``catch_up``).

Nothing is deployed in the secondary by the copy of a hot-warm pair: that is what "warm" means.
``run`` — the failover step, ``name = "endpoints"`` — creates each standby endpoint and its
deployments there through the online endpoint and deployment services (so they score requests,
with the secondary's own keys), waits for the deployments to settle, sets the traffic, and
reports each endpoint's outcome.

A hot-hot pair's secondary serves too (the seed's hot/hot): each standby written queues, in the
same unit of work, a task of kind ``ENDPOINT_LIVE`` that deploys it there the same way (tagged
``STANDBY_TAG`` with the primary endpoint's id), sets its traffic and removes the deployments the
primary no longer has; the primary's endpoint deleted, the secondary's one made from it goes too.
At a failover such an endpoint, already serving, needs nothing (``alreadyServing`` in the step's
result).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from amlite.domain.errors import AmliteError, NotFound
from amlite.domain.online_endpoints import DeploymentState, OnlineEndpoint
from amlite.domain.pairs import WorkspacePair
from amlite.domain.resources import Workspace
from amlite.domain.tasks import RetryLater, Task, TaskFailed
from amlite.domain.warm_endpoints import (
    ENDPOINT_COPY, ENDPOINT_LIVE, ENDPOINTS, STANDBY_TAG, EndpointLag, StandbyEndpoint, copy_key, definition_of,
    fingerprint, last_modified, live_key, same_deployment, serves_live, serving,
)
from amlite.ports import UnitOfWork
from amlite.schemas.arm_endpoints import OnlineDeploymentBody, OnlineEndpointBody, OnlineEndpointPatchBody
from amlite.services.artifacts import ArtifactService
from amlite.services.asset_owners import workspace_owner
from amlite.services.context import Caller, Deps
from amlite.services.online_deployments import OnlineDeploymentService
from amlite.services.online_endpoints import ACTION, OnlineEndpointService
from amlite.services.pairs import MAX_ATTEMPTS, secondary_region
from amlite.services.replication import copy_missing
from amlite.services.tasks import TaskEngine, TaskKind

log = logging.getLogger(__name__)


def keeps_standbys(pair: WorkspacePair) -> bool:
    return pair.mode_of(ENDPOINTS).copies


class WarmEndpointService:
    """The standby copies, their lag, and the failover step (``name``, ``run``)."""

    #: The failover step's name in the failover's report.
    name = "endpoints"

    def __init__(self, deps: Deps, engine: TaskEngine, artifacts: ArtifactService, endpoints: OnlineEndpointService,
                 deployments: OnlineDeploymentService, lease: timedelta = timedelta(seconds=60),
                 backoff: timedelta = timedelta(seconds=2), settle_seconds: float = 120.0,
                 live_wait_seconds: float = 10.0) -> None:
        self._deps = deps
        self._engine = engine
        self._artifacts = artifacts
        self._endpoints = endpoints
        self._deployments = deployments
        self._settle_seconds = settle_seconds
        self._live_wait_seconds = live_wait_seconds
        engine.register(TaskKind(ENDPOINT_COPY, self._run, lease=lease, backoff=backoff, max_attempts=MAX_ATTEMPTS))
        engine.register(TaskKind(ENDPOINT_LIVE, self._go_live, lease=lease, backoff=backoff, max_attempts=MAX_ATTEMPTS))
        endpoints.watchers.append(self)

    # -- the watcher of endpoint changes (inside the change's unit of work) ----------------------

    def plan(self, uow: UnitOfWork, endpoint: OnlineEndpoint) -> int:
        """Queue the changed endpoint's standby copy for every pair whose primary holds it; once the
        endpoint is deleted, drop its standbys (and queue the removal of a hot-hot pair's live copy)."""
        pairs = [p for p in uow.workspace_pairs.of_primary(endpoint.workspace_key) if keeps_standbys(p)]
        ep = uow.online_endpoints.by_key(endpoint.key)
        if not pairs:
            return 0
        if ep is None:
            retire = []
            for pair in pairs:
                for standby in uow.standby_endpoints.of_pair(pair.key):
                    if standby.source_key == endpoint.key:
                        uow.standby_endpoints.delete(standby.key)
                        if serves_live(pair):
                            retire.append(self._live_task(pair, endpoint.key, standby.name, ""))
            return self._enqueue_again(uow, retire)
        primary = uow.workspaces.any_by_key(ep.workspace_key)
        assert primary is not None
        print_ = fingerprint(definition_of(ep, uow.online_endpoints.deployments(ep.key), primary.arm_id))
        have = {s.pair_key: s for p in pairs for s in uow.standby_endpoints.of_pair(p.key) if s.source_key == ep.key}
        stale = [p for p in pairs if p.key not in have or have[p.key].fingerprint != print_]
        return self._enqueue_again(uow, [self._copy_task(p, ep, print_) for p in stale])

    def _enqueue_again(self, uow: UnitOfWork, tasks: list[Task]) -> int:
        """Queue ``tasks``, even where the same work succeeded before: a definition seen again (a
        change undone) is copied, or deployed live, again."""
        if not tasks:
            return 0
        uow.tasks.forget_succeeded([t.dedupe_key for t in tasks if t.dedupe_key])
        return self._engine.enqueue_many(uow, tasks)

    def wake(self) -> None:
        self._engine.wake()

    def _copy_task(self, pair: WorkspacePair, ep: OnlineEndpoint, print_: str) -> Task:
        return self._engine.new(ENDPOINT_COPY, dedupe_key=copy_key(pair.key, ep.key, print_), subject_key=ep.key,
                                scope_key=pair.key, payload={"name": ep.name, "fingerprint": print_})

    def _live_task(self, pair: WorkspacePair, source_key: str, name: str, print_: str) -> Task:
        """The task that deploys a hot-hot standby live in the secondary (``print_`` empty: that
        removes the secondary's endpoint made from a primary endpoint that is gone)."""
        return self._engine.new(ENDPOINT_LIVE, dedupe_key=live_key(pair.key, source_key, print_),
                                subject_key=source_key, scope_key=pair.key,
                                payload={"name": name, "fingerprint": print_})

    # -- the reconciler's passes -----------------------------------------------------------------

    def reconcile(self) -> int:
        """Queue the copy of every standby a secondary lacks or holds stale, and drop the standbys
        whose primary endpoint is gone; returns how many tasks were added and rows dropped."""
        changed = 0
        with self._deps.uow(write=True) as uow:
            for pair in uow.workspace_pairs.list():
                if not keeps_standbys(pair):
                    continue
                primary = uow.workspaces.by_key(pair.primary_key)
                secondary = uow.workspaces.by_key(pair.secondary_key)
                if primary is None or secondary is None:
                    continue  # a soft-deleted workspace: its copies would be dropped at once
                standbys = {s.name.lower(): s for s in uow.standby_endpoints.of_pair(pair.key)}
                tasks = []
                live: set[str] = set()
                for ep in _endpoints_of(uow, primary.key):
                    live.add(ep.key)
                    print_ = fingerprint(definition_of(ep, uow.online_endpoints.deployments(ep.key), primary.arm_id))
                    have = standbys.get(ep.name.lower())
                    if have is None or have.fingerprint != print_ or have.source_key != ep.key:
                        tasks.append(self._copy_task(pair, ep, print_))
                    elif serves_live(pair) and not _serves_in(uow, secondary, have, _marker(primary, ep.name)):
                        # a lost live task, or the secondary's endpoint changed or removed by hand
                        tasks.append(self._live_task(pair, ep.key, ep.name, print_))
                for standby in standbys.values():
                    if standby.source_key not in live:
                        uow.standby_endpoints.delete(standby.key)
                        changed += 1
                        if serves_live(pair):
                            tasks.append(self._live_task(pair, standby.source_key, standby.name, ""))
                changed += self._enqueue_again(uow, tasks)
            uow.commit()
        if changed:
            log.info("reconciler: %d standby endpoint copies queued or dropped", changed)
            self._engine.wake()
        return changed

    def after_restore(self, region: str) -> int:
        return self.catch_up([region])

    def catch_up(self, regions: list[str] | None = None) -> int:
        """Standby copies (and hot-hot live deployments) into restored regions that waited or gave
        up run again now."""
        return sum(self._engine.requeue_after_restore(kind, secondary_region, regions)
                   for kind in (ENDPOINT_COPY, ENDPOINT_LIVE))

    # -- the lag ``pair show`` shows -------------------------------------------------------------

    def lag(self, uow: UnitOfWork, pair: WorkspacePair) -> list[EndpointLag]:
        """Per endpoint of the primary, whether the secondary's standby is its current definition
        (and, hot-hot, whether the secondary serves it live)."""
        primary = uow.workspaces.any_by_key(pair.primary_key)
        secondary = uow.workspaces.any_by_key(pair.secondary_key)
        if primary is None:
            return []
        standbys = {s.name.lower(): s for s in uow.standby_endpoints.of_pair(pair.key)}
        out = []
        for ep in _endpoints_of(uow, primary.key):
            deployments = uow.online_endpoints.deployments(ep.key)
            have = standbys.get(ep.name.lower())
            current = (have is not None and have.source_key == ep.key
                       and have.fingerprint == fingerprint(definition_of(ep, deployments, primary.arm_id)))
            live = None
            if serves_live(pair):
                live = bool(current and have and secondary and _serves_in(uow, secondary, have, _marker(primary, ep.name)))
            out.append(EndpointLag(ep.name, current, have.copied_at if have else None, last_modified(ep, deployments),
                                   live))
        return out

    # -- one copy (the task's handler) -----------------------------------------------------------

    def _run(self, task: Task) -> None:
        d = self._deps
        with d.uow(write=True) as uow:
            pair = uow.workspace_pairs.by_key(task.scope_key or "")
            primary = uow.workspaces.by_key(pair.primary_key) if pair else None
            secondary = uow.workspaces.by_key(pair.secondary_key) if pair else None
            if pair is None or primary is None or secondary is None:
                uow.tasks.delete(task.key)  # unpaired, or a workspace is gone
                uow.commit()
                return
            ep = uow.online_endpoints.by_key(task.subject_key or "")
            if ep is None or ep.workspace_key != primary.key:  # deleted (or moved): its standby goes
                for standby in uow.standby_endpoints.of_pair(pair.key):
                    if standby.source_key == task.subject_key:
                        uow.standby_endpoints.delete(standby.key)
                        if serves_live(pair):  # and so does what serves it live in the secondary
                            self._enqueue_again(uow, [self._live_task(pair, standby.source_key, standby.name, "")])
                uow.commit()
                self._engine.wake()
                return
            if secondary.location.lower() in uow.region_outages.failed_regions():
                raise RetryLater(f"Copying into workspace '{secondary.name}': region '{secondary.location}' is "
                                 "unavailable.")
            definition = definition_of(ep, uow.online_endpoints.deployments(ep.key), primary.arm_id)
            try:
                source = self._artifacts.storage_in(uow, workspace_owner(primary))
                target = self._artifacts.storage_in(uow, workspace_owner(secondary))
            except AmliteError as exc:
                raise RetryLater(exc.message) from exc
        digests = [str(entry["sha256"]) for dep in definition["deployments"] for entry in dep["code"]]
        try:
            copy_missing(source.store, source.account, source.container, target.store, target.account,
                         target.container, digests, fault="pair.endpoint_after_blob")
        except (AmliteError, OSError) as exc:
            reason = exc.message if isinstance(exc, AmliteError) else f"{type(exc).__name__}: {exc}"
            raise RetryLater(f"Copying into workspace '{secondary.name}': {reason}") from exc
        with d.uow(write=True) as uow:
            current = uow.workspace_pairs.by_key(pair.key)
            if current is None:
                return
            print_ = fingerprint(definition)
            uow.standby_endpoints.save(StandbyEndpoint(d.ids.new_id(), pair.key, ep.name, ep.key, definition,
                                                       print_, d.clock.now()))
            if serves_live(current):  # hot-hot: the secondary serves it too, kept in step
                self._enqueue_again(uow, [self._live_task(current, ep.key, ep.name, print_)])
            uow.commit()
        self._engine.wake()

    # -- hot-hot: the standby deployed live in the secondary (the task's handler) ----------------

    def _go_live(self, task: Task) -> None:
        """Deploy the standby in the secondary so that both regions serve, or remove the
        secondary's endpoint made from a primary endpoint that is gone. Waits a little for the
        deployments to come up, then asks to be run again (``RetryLater``) rather than hold a
        worker; a deployment refused (its model not copied yet) is retried the same way."""
        with self._deps.uow() as uow:
            pair = uow.workspace_pairs.by_key(task.scope_key or "")
            primary = uow.workspaces.by_key(pair.primary_key) if pair else None
            secondary = uow.workspaces.by_key(pair.secondary_key) if pair else None
            if pair is None or primary is None or secondary is None or not serves_live(pair):
                return  # unpaired, failed over (the secondary is the active side) or no longer hot-hot
            if secondary.location.lower() in uow.region_outages.failed_regions():
                raise RetryLater(f"Deploying into workspace '{secondary.name}': region '{secondary.location}' is "
                                 "unavailable.")
            standby = next((s for s in uow.standby_endpoints.of_pair(pair.key) if s.source_key == task.subject_key),
                           None)
            principal = uow.principals.get(pair.created_by)
        if principal is None:
            raise TaskFailed(f"The principal that created pair '{pair.name}' no longer exists.")
        caller = Caller(tenant_id=pair.tenant_id, principal_id=principal.id, name=principal.sign_in_name,
                        principal_type=principal.kind.value)
        name = str(task.payload.get("name") or "")
        marker = _marker(primary, name)
        if not task.payload.get("fingerprint"):
            if standby is None:
                self._retire(caller, secondary, name, marker)
            return
        if standby is None or standby.fingerprint != task.payload["fingerprint"]:
            return  # a newer definition, or none: its own task deploys it
        with self._deps.uow() as uow:
            there = uow.online_endpoints.get(secondary.key, standby.name)
        if there is not None and there.tags.get(STANDBY_TAG) != marker:
            raise TaskFailed(f"The secondary workspace '{secondary.name}' has an endpoint '{standby.name}' of its own "
                             "(not made from the primary's); it is left alone.")
        if self._serves(secondary, standby, marker):
            return
        refused = self._start(caller, secondary, standby, marker)
        if refused:
            raise RetryLater("; ".join(f"{k or standby.name}: {v}" for k, v in refused.items()))
        self._settle(secondary, [standby.name], self._live_wait_seconds)
        outcome = self._finish(caller, secondary, standby, {})
        if outcome["state"] == "Creating":
            raise RetryLater(f"Waiting for the deployments of '{standby.name}' to come up in '{secondary.name}'.")
        if outcome["state"] == "Failed":
            raise RetryLater(str(outcome.get("reason")))
        self._drop_extra(caller, secondary, standby)
        if not self._serves(secondary, standby, marker):  # changed there meanwhile: looked at again, a bounded retry
            raise RetryLater(f"The endpoint '{standby.name}' was deployed in '{secondary.name}' but does not serve "
                             "its standby's definition yet.")

    def _serves(self, ws: Workspace, standby: StandbyEndpoint, marker: str) -> bool:
        with self._deps.uow() as uow:
            return _serves_in(uow, ws, standby, marker)

    def _drop_extra(self, caller: Caller, ws: Workspace, standby: StandbyEndpoint) -> None:
        """Remove the deployments of the secondary's live endpoint the standby no longer has (their
        traffic was taken away by ``_finish``)."""
        wanted = {dep["name"].lower() for dep in standby.definition["deployments"]}
        with self._deps.uow() as uow:
            ep = uow.online_endpoints.get(ws.key, standby.name)
            extra = [d.name for d in uow.online_endpoints.deployments(ep.key)
                     if d.name.lower() not in wanted and d.state is not DeploymentState.DELETING] if ep else []
        scope = f"{ws.arm_id}/onlineEndpoints/{standby.name}"
        for name in extra:
            self._deployments.begin_delete(caller.acting(f"{ACTION}/deployments/delete", scope), ws.subscription_id,
                                           ws.resource_group_name, ws.name, standby.name, name)

    def _retire(self, caller: Caller, ws: Workspace, name: str, marker: str) -> None:
        """Delete the secondary's endpoint ``name`` if it was made from the primary's (its tag)."""
        with self._deps.uow() as uow:
            ep = uow.online_endpoints.get(ws.key, name)
        if ep is None or ep.tags.get(STANDBY_TAG) != marker:
            return
        self._endpoints.begin_delete(caller.acting(f"{ACTION}/delete", f"{ws.arm_id}/onlineEndpoints/{name}"),
                                     ws.subscription_id, ws.resource_group_name, ws.name, name)

    # -- the failover step -----------------------------------------------------------------------

    def run(self, pair: WorkspacePair, report: dict[str, Any]) -> list[dict[str, Any]]:
        """Deploy every standby endpoint of ``pair`` and its deployments in the secondary, wait
        (up to ``settle_seconds``) for the deployments to come up, set each endpoint's traffic,
        and return one entry per endpoint: ``name``, ``deployments`` (name, state, reason),
        ``state`` (``Succeeded``, ``Failed`` or ``Creating`` if still coming up) and ``reason``
        when it failed. ``report`` (the failover's) is not read or changed; it is the steps'
        common signature. Running it again redeploys only what is not serving."""
        with self._deps.uow() as uow:
            primary = uow.workspaces.any_by_key(pair.primary_key)
            secondary = uow.workspaces.by_key(pair.secondary_key)
            standbys = uow.standby_endpoints.of_pair(pair.key)
            principal = uow.principals.get(pair.created_by)
        if not standbys:
            return []
        if primary is None or secondary is None or principal is None:
            why = ("The secondary workspace is gone." if secondary is None
                   else f"The principal that created pair '{pair.name}' no longer exists.")
            return [_outcome(s.name, [], "Failed", why) for s in standbys]
        caller = Caller(tenant_id=pair.tenant_id, principal_id=principal.id, name=principal.sign_in_name,
                        principal_type=principal.kind.value)
        # A hot-hot standby already serving live in the secondary needs nothing.
        ready = {s.name for s in standbys if self._serves(secondary, s, _marker(primary, s.name))}
        started = {s.name: self._start(caller, secondary, s, _marker(primary, s.name))
                   for s in standbys if s.name not in ready}
        self._settle(secondary, list(started))
        return [self._finish(caller, secondary, s, started[s.name]) if s.name not in ready
                else _outcome(s.name, _serving_deployments(s), "Succeeded", None, already=True) for s in standbys]

    def _start(self, caller: Caller, ws: Workspace, standby: StandbyEndpoint, marker: str) -> dict[str, str]:
        """Create the endpoint (tagged with ``marker``, the primary endpoint's id) and (re)deploy
        what is not serving or coming up; the reasons of what was refused."""
        spec = standby.definition
        at = (ws.subscription_id, ws.resource_group_name, ws.name)
        scope = f"{ws.arm_id}/onlineEndpoints/{standby.name}"
        refused: dict[str, str] = {}
        try:
            body = OnlineEndpointBody.model_validate({"tags": {**spec["tags"], STANDBY_TAG: marker}, "properties": {
                "authMode": spec["authMode"], "description": spec["description"]}})
            self._endpoints.create_or_update(caller.acting(f"{ACTION}/write", scope), *at, standby.name, body)
        except AmliteError as exc:
            return {"": exc.message}
        with self._deps.uow() as uow:
            ep = uow.online_endpoints.get(ws.key, standby.name)
            there = {d.name.lower(): d for d in uow.online_endpoints.deployments(ep.key)} if ep else {}
        for dep in spec["deployments"]:
            current = there.get(dep["name"].lower())
            if current is not None and same_deployment(current, dep, ws.arm_id) and (
                    current.state is DeploymentState.SUCCEEDED
                    or current.state in (DeploymentState.CREATING, DeploymentState.UPDATING)):
                continue  # serving it already, or coming up with it
            props: dict[str, Any] = {
                "model": dep["model"], "codeConfiguration": {"scoringScript": dep["scoringScript"],
                                                             "artifacts": dep["code"]},
                "instanceType": dep["instanceType"], "environmentVariables": dep["environmentVariables"],
                "description": dep["description"], "properties": dep["properties"]}
            if dep["environmentId"]:
                props["environmentId"] = dep["environmentId"]
            try:
                body_d = OnlineDeploymentBody.model_validate({"tags": dep["tags"], "properties": props,
                                                             "sku": {"name": "Default", "capacity": dep["instanceCount"]}})
                self._deployments.create_or_update(caller.acting(f"{ACTION}/deployments/write", scope), *at,
                                                   standby.name, dep["name"], body_d)
            except AmliteError as exc:
                refused[dep["name"]] = exc.message
        return refused

    def _settle(self, ws: Workspace, names: list[str], seconds: float | None = None) -> None:
        deadline = time.monotonic() + (self._settle_seconds if seconds is None else seconds)
        while time.monotonic() < deadline:
            with self._deps.uow() as uow:
                busy = False
                for name in names:
                    ep = uow.online_endpoints.get(ws.key, name)
                    if ep is not None and any(d.state.is_busy for d in uow.online_endpoints.deployments(ep.key)):
                        busy = True
                        break
            if not busy:
                return
            time.sleep(0.05)

    def _finish(self, caller: Caller, ws: Workspace, standby: StandbyEndpoint,
                refused: dict[str, str]) -> dict[str, Any]:
        if "" in refused:
            return _outcome(standby.name, [], "Failed", refused[""])
        spec = standby.definition
        with self._deps.uow() as uow:
            ep = uow.online_endpoints.get(ws.key, standby.name)
            there = {d.name.lower(): d for d in uow.online_endpoints.deployments(ep.key)} if ep else {}
        deployments = []
        for dep in spec["deployments"]:
            row = there.get(dep["name"].lower())
            if dep["name"] in refused or row is None:
                deployments.append({"name": dep["name"], "state": "Failed",
                                    "reason": refused.get(dep["name"], "The deployment was not created.")})
            else:
                entry = {"name": dep["name"], "state": row.state.value}
                if row.state is DeploymentState.FAILED:
                    entry["reason"] = row.error or "The deployment failed."
                deployments.append(entry)
        reasons = [d["reason"] for d in deployments if "reason" in d]
        if ep is not None and _weighted(spec["traffic"]) != _weighted(ep.traffic) and not reasons:
            try:
                patch = OnlineEndpointPatchBody.model_validate({"properties": {"traffic": spec["traffic"]}})
                scope = f"{ws.arm_id}/onlineEndpoints/{standby.name}"
                self._endpoints.update(caller.acting(f"{ACTION}/write", scope), ws.subscription_id,
                                       ws.resource_group_name, ws.name, standby.name, patch)
            except AmliteError as exc:
                reasons.append(f"The traffic could not be set: {exc.message}")
        if reasons:
            return _outcome(standby.name, deployments, "Failed", "; ".join(reasons))
        state = "Creating" if any(d["state"] != "Succeeded" for d in deployments) else "Succeeded"
        return _outcome(standby.name, deployments, state, None)

    def run_by_name(self, tenant_id: str, pair_name: str) -> list[dict[str, Any]]:
        """The failover step on its own, for a pair named in a tenant (a drill or an operator)."""
        with self._deps.uow() as uow:
            pair = uow.workspace_pairs.by_name(tenant_id, pair_name)
        if pair is None:
            raise NotFound("ResourceNotFound", f"The workspace pair '{pair_name}' was not found.")
        return self.run(pair, {})


def _serves_in(uow: UnitOfWork, ws: Workspace, standby: StandbyEndpoint, marker: str) -> bool:
    """Whether ``ws``'s endpoint of the standby's name serves it live (domain ``serving``)."""
    ep = uow.online_endpoints.get(ws.key, standby.name)
    return serving(standby.definition, marker, ep, uow.online_endpoints.deployments(ep.key) if ep else [], ws.arm_id)


def _marker(primary: Workspace, name: str) -> str:
    """The ``STANDBY_TAG`` value of the secondary's endpoint made from the primary's ``name``."""
    return f"{primary.arm_id}/onlineEndpoints/{name}"


def _weighted(traffic: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in traffic.items() if v}


def _serving_deployments(standby: StandbyEndpoint) -> list[dict[str, Any]]:
    return [{"name": dep["name"], "state": "Succeeded"} for dep in standby.definition["deployments"]]


def _outcome(name: str, deployments: list[dict[str, Any]], state: str, reason: str | None,
             already: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "deployments": deployments, "state": state}
    if reason:
        out["reason"] = reason
    if already:  # hot-hot: it was serving in the secondary before the failover
        out["alreadyServing"] = True
    return out


def _endpoints_of(uow: UnitOfWork, workspace_key: str) -> list[OnlineEndpoint]:
    found: list[OnlineEndpoint] = []
    offset = 0
    while True:
        page = uow.online_endpoints.list(workspace_key, offset, 500)
        found.extend(page.items)
        if not page.more:
            return found
        offset += len(page.items)
