"""Workspace-level vCPU quota: Azure's ``locations/{loc}/updateQuotas`` and ``locations/{loc}/quotas``.

A workspace may have a limit of its own per VM family, below the subscription's regional one. A
hub's limit is the hub's balance: the hub's computes and every project's draw on it together (a
project has no limit of its own; it inherits its hub's, so setting one is refused naming the hub).
A Default workspace's limit caps its own computes. The subscription's regional limit still applies
on top (``domain.computes.check_quota``).

A compute's create or scale-up checks the balance in the transaction that writes the compute,
after the subscription's check and under the lock of the workspace that holds the balance
(``Computes.lock_workspace_quota``), so two creates in two projects of one hub racing for the
hub's last vCPUs cannot both pass; ``updateQuotas`` takes the same locks, so a limit is never set
below what a concurrent create has just reserved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amlite.domain.computes import QuotaLimits, QuotaUpdateStatus, check_workspace_quota, judge_workspace_limit
from amlite.domain.errors import InvalidInput, invalid
from amlite.domain.hubs import family_key
from amlite.domain.providers import ML_NAMESPACE
from amlite.domain.resources import Workspace, WorkspaceKind
from amlite.domain.vm_sizes import family_named
from amlite.ports import UnitOfWork
from amlite.schemas.arm_computes import QuotaUpdateBody
from amlite.services.audit import record_write
from amlite.services.context import Caller, Deps
from amlite.services.subscriptions import require_subscription
from amlite.services.workspace_scope import require_workspace, writable

#: Azure's resource type of a workspace-level quota entry.
QUOTA_TYPE = f"{ML_NAMESPACE}/workspaces/quotas"
UPDATE_ACTION = f"{ML_NAMESPACE}/locations/updateQuotas/action"

_QUOTA_ID = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.MachineLearningServices"
    r"/workspaces/(?P<ws>[^/]+)/quotas/(?P<name>[^/]+)/?", re.IGNORECASE)


@dataclass(frozen=True)
class QuotaEntryResult:
    """One entry of ``UpdateWorkspaceQuotasResult``: the id as given, the limit asked, Azure's status."""

    id: str
    limit: int
    status: QuotaUpdateStatus


@dataclass(frozen=True)
class WorkspaceQuota:
    """One workspace's own limit of one family (a ``ResourceQuota`` at workspace level)."""

    workspace: Workspace
    family: str
    limit: int


def balance_holder(uow: UnitOfWork, ws: Workspace) -> Workspace:
    """The workspace whose own limits cap ``ws``'s computes: its hub for a project, else itself."""
    key = family_key(ws)
    if key is None or key == ws.key:
        return ws
    return uow.workspaces.by_key(key) or ws


def check_balance(uow: UnitOfWork, ws: Workspace, family: str, more: int) -> None:
    """Refuse ``more`` vCPUs of ``family`` in ``ws`` past the limit of its balance's holder (its
    hub's, or its own), counting every compute that draws on that balance. Call in the write
    transaction, after the subscription's check (which takes the subscription's lock first)."""
    if more <= 0:
        return
    holder = balance_holder(uow, ws)
    uow.computes.lock_workspace_quota(holder.key)
    limit = uow.computes.workspace_limits([holder.key]).get(holder.key, {}).get(family)
    if limit is None:
        return
    used = uow.computes.usage_of(_drawing(uow, holder)).get(family, 0)
    check_workspace_quota(limit, used, family, more, _named(holder), ws.location)


def update(deps: Deps, subscription: QuotaLimits, caller: Caller, sub_id: str, location: str,
           body: QuotaUpdateBody) -> list[QuotaEntryResult]:
    """Apply each entry whose status is ``Success``; the others change nothing and say why in
    Azure's status. An entry that is not a workspace quota of this subscription and region, or
    names a project, refuses the whole request (400) and nothing changes."""
    with deps.uow() as uow:
        sub = require_subscription(uow, caller, sub_id)
    region = deps.regions.resolve(location).name
    if body.location is not None and deps.regions.resolve(body.location, "location").name != region:
        raise invalid("InvalidRequestContent", f"location '{body.location}' must be the location of the request's "
                      f"path, '{region}'.", "location")
    entries = body.value or []
    if not entries:
        raise invalid("InvalidRequestContent", "value must list at least one workspace quota.", "value")
    wanted = [_parse_entry(i, entry.id, entry.type, entry.limit, entry.unit) for i, entry in enumerate(entries)]
    results: list[QuotaEntryResult] = []
    with deps.uow(write=True) as uow:
        uow.computes.lock_quota(sub.id, region)
        targets = []
        for i, (esub, rg, name, family_name) in enumerate(wanted):
            target = f"value[{i}].id"
            if esub.lower() != sub.id.lower():
                raise invalid("InvalidRequestContent", f"{entries[i].id} is not in subscription '{sub.id}' of the "
                              "request's path.", target)
            ws = writable(require_workspace(uow, caller, esub, rg, name))
            if ws.location.lower() != region.lower():
                raise invalid("InvalidRequestContent", f"Workspace '{ws.name}' is in {ws.location}, not {region}: send "
                              f"its quotas to .../locations/{ws.location}/updateQuotas.", target)
            if ws.kind is WorkspaceKind.PROJECT:
                hub = balance_holder(uow, ws)
                raise InvalidInput(
                    "ProjectQuotaInheritedFromHub",
                    f"Project workspace '{ws.name}' has no quota of its own: its computes draw on the balance of its "
                    f"hub '{hub.name}'. Set the limit on the hub instead ({hub.arm_id}/quotas/{family_name}).", target)
            targets.append((ws, family_name))
        for key in sorted({ws.key for ws, _ in targets}):
            uow.computes.lock_workspace_quota(key)
        for i, (ws, family_name) in enumerate(targets):
            entry = entries[i]
            family = family_named(family_name)
            used = uow.computes.usage_of(_drawing(uow, ws)).get(family, 0) if family else 0
            status = judge_workspace_limit(family, entry.limit, used, subscription.limit_for(family or ""))
            if status is QuotaUpdateStatus.SUCCESS and family is not None:
                uow.computes.set_workspace_limit(ws.key, family, entry.limit)
                record_write(deps, uow, caller, scope=f"{ws.arm_id}/quotas/{family}", action=UPDATE_ACTION)
            results.append(QuotaEntryResult(entry.id, entry.limit, status))
        uow.commit()
    return results


def list_in(deps: Deps, caller: Caller, sub_id: str, location: str) -> list[WorkspaceQuota]:
    """The limits of their own that the subscription's live workspaces in the region have, by workspace id."""
    with deps.uow() as uow:
        sub = require_subscription(uow, caller, sub_id)
        region = deps.regions.resolve(location).name
        out = []
        for ws_key, limits in uow.computes.limits_in(sub.id, region).items():
            ws = uow.workspaces.by_key(ws_key)
            if ws is not None:  # live only: a soft-deleted workspace's limits come back with it
                out += [WorkspaceQuota(ws, family, limit) for family, limit in limits.items()]
    return sorted(out, key=lambda q: (q.workspace.arm_id.lower(), q.family.lower()))


def _parse_entry(i: int, quota_id: str, kind: str | None, limit: int, unit: str | None) -> tuple[str, str, str, str]:
    """(subscription, group, workspace, family as named) of an entry, or the 400 naming its field."""
    match = _QUOTA_ID.fullmatch(quota_id.strip())
    if match is None:
        raise invalid("InvalidRequestContent", f"value[{i}].id '{quota_id}' is not a workspace quota id "
                      "(/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/"
                      "workspaces/<workspace>/quotas/<VM family>).", f"value[{i}].id")
    if kind is not None and kind.lower() != QUOTA_TYPE.lower():
        raise invalid("InvalidRequestContent", f"value[{i}].type '{kind}' is not valid; use {QUOTA_TYPE}.",
                      f"value[{i}].type")
    if unit is not None and unit != "Count":
        raise invalid("InvalidRequestContent", f"value[{i}].unit '{unit}' is not valid; use Count.", f"value[{i}].unit")
    if limit < 0:
        raise invalid("InvalidRequestContent", f"value[{i}].limit must be a whole number of vCPUs (0 or more).",
                      f"value[{i}].limit")
    return match["sub"], match["rg"], match["ws"], match["name"]


def _drawing(uow: UnitOfWork, holder: Workspace) -> list[str]:
    """The keys of the workspaces drawing on ``holder``'s balance: a hub and its projects, the
    soft-deleted ones too (they keep their computes, which the subscription's usage counts)."""
    if holder.kind is not WorkspaceKind.HUB:
        return [holder.key]
    return [holder.key, *(p.key for p in uow.workspaces.projects_of(holder.key, include_deleted=True))]


def _named(ws: Workspace) -> str:
    if ws.kind is WorkspaceKind.HUB:
        return f"hub '{ws.name}' (shared by its projects)"
    return f"workspace '{ws.name}'"
