"""Warm endpoints (issue 15, the seed's "hot/warm"): a pair's secondary keeps a *standby
definition* of each of the primary's online endpoints — auth mode, traffic, and per deployment
the model, environment, scoring code, instance type and count, variables — copied continuously,
but deploys nothing until a failover (services/warm_endpoints.py). ``pair show`` says, per
endpoint, whether its standby is current.

A definition is a plain JSON document built from the primary's rows (``definition_of``); its
``fingerprint`` names it, so "current" is one comparison and each distinct definition is copied
by one task. References that name the primary workspace itself (the model the primary serves,
an environment id of the primary) are written workspace-relative (``azureml:NAME:VERSION``,
pinned to the version the primary resolved), so they resolve in the secondary, where the hot
kinds are copied; references to a registry or to a third workspace are kept as written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from amlite.domain.online_endpoints import DeploymentState, OnlineDeployment, OnlineEndpoint
from amlite.domain.pairs import PairMode, WorkspacePair

#: The task kind of one endpoint's standby copy into a pair's secondary (the one task engine).
ENDPOINT_COPY = "pair.endpoint"

#: The task kind that keeps a hot-hot pair's standby deployed live in its secondary (or removes
#: it there once the primary's endpoint is gone).
ENDPOINT_LIVE = "pair.endpointLive"

#: The ``--per-kind`` name of a pair's endpoints; a pair whose mode for it is hot keeps standbys.
ENDPOINTS = "endpoints"
#: The tag a secondary's endpoint deployed from a standby carries: the primary endpoint's id. Only
#: an endpoint with it is removed when the primary's endpoint goes (one the user made is not).
STANDBY_TAG = "amlite.pair.standbyOf"


@dataclass(frozen=True)
class StandbyEndpoint:
    """One endpoint's standby definition in a pair's secondary: what a failover deploys."""

    key: str
    pair_key: str
    name: str
    source_key: str  # the primary's endpoint it was copied from
    definition: dict[str, Any]
    fingerprint: str
    copied_at: datetime


@dataclass(frozen=True)
class EndpointLag:
    """Whether one primary endpoint's standby is current (``pair show``)."""

    name: str
    current: bool
    copied_at: datetime | None  # of the standby there is, current or not
    modified_at: datetime  # the primary's last change to the endpoint or its deployments
    serving: bool | None = None  # hot-hot: whether the secondary serves the standby live (else None)


def definition_of(endpoint: OnlineEndpoint, deployments: list[OnlineDeployment], primary_id: str) -> dict[str, Any]:
    """What a failover needs to deploy ``endpoint`` again elsewhere (deployments being deleted
    are left out, and their traffic with them)."""
    kept = sorted((d for d in deployments if d.state is not DeploymentState.DELETING), key=lambda d: d.name.lower())
    names = {d.name for d in kept}
    return {
        "name": endpoint.name,
        "authMode": endpoint.auth_mode.value,
        "description": endpoint.description,
        "tags": dict(endpoint.tags),
        "traffic": {k: v for k, v in endpoint.traffic.items() if k in names},
        "deployments": [{
            "name": d.name,
            "model": portable_reference(d.model_id, d.model_ref, primary_id),
            "environmentId": portable_reference(d.environment_id, d.environment_id, primary_id)
            if d.environment_id else None,
            "scoringScript": d.scoring_script,
            "code": [dict(entry) for entry in d.code_manifest],
            "instanceType": d.instance_type,
            "instanceCount": d.instance_count,
            "environmentVariables": dict(d.environment_variables),
            "description": d.description,
            "tags": dict(d.tags),
            "properties": dict(d.properties),
        } for d in kept],
    }


def last_modified(endpoint: OnlineEndpoint, deployments: list[OnlineDeployment]) -> datetime:
    return max([endpoint.modified_at, *(d.modified_at for d in deployments)])


def portable_reference(resolved_id: str | None, as_written: str | None, primary_id: str) -> str | None:
    """``azureml:NAME:VERSION`` for an asset id inside the primary workspace (it resolves in the
    secondary, where the hot kinds are copied); otherwise the reference as the user wrote it."""
    for value in (resolved_id, as_written):
        if value and value.lower().startswith(primary_id.lower() + "/"):
            parts = value[len(primary_id) + 1:].split("/")
            if len(parts) == 4 and parts[2].lower() == "versions":
                return f"azureml:{parts[1]}:{parts[3]}"
    return as_written


def fingerprint(definition: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def copy_key(pair_key: str, endpoint_key: str, print_: str) -> str:
    """The dedupe key of one definition's copy: a changed definition is a new copy."""
    return f"{ENDPOINT_COPY}:{pair_key}:{endpoint_key}:{print_[:16]}"


def live_key(pair_key: str, endpoint_key: str, print_: str) -> str:
    """The dedupe key of one definition's live deployment in a hot-hot secondary (``print_``
    empty: the removal of an endpoint the primary no longer has)."""
    return f"{ENDPOINT_LIVE}:{pair_key}:{endpoint_key}:{print_[:16] or 'gone'}"


def serves_live(pair: WorkspacePair) -> bool:
    """A pair whose secondary serves its standbys live, both regions at once (the seed's hot/hot):
    ``endpoints`` hot-hot and the pair on its primary (once failed over, the secondary's endpoints
    are the active side's own)."""
    return pair.mode_of(ENDPOINTS) is PairMode.HOT_HOT and not pair.failed_over


def same_deployment(row: OnlineDeployment, dep: dict[str, Any], workspace_id: str) -> bool:
    """A deployment of the secondary (``workspace_id``) made from the standby's ``dep`` as it is now."""
    environment = portable_reference(row.environment_id, row.environment_id, workspace_id) if row.environment_id else None
    return bool(row.scoring_script == dep["scoringScript"] and [dict(e) for e in row.code_manifest] == dep["code"]
                and row.model_ref == dep["model"] and dict(row.environment_variables) == dep["environmentVariables"]
                and row.instance_count == dep["instanceCount"] and row.instance_type == dep["instanceType"]
                and environment == dep["environmentId"] and row.description == dep["description"]
                and dict(row.tags) == dep["tags"] and dict(row.properties) == dep["properties"])


def serving(definition: dict[str, Any], marker: str, endpoint: OnlineEndpoint | None,
            deployments: list[OnlineDeployment], workspace_id: str) -> bool:
    """Whether the secondary's (``workspace_id``) ``endpoint`` serves ``definition`` as it is: its deployments and no
    other, each made from it and up, the traffic, auth mode, description and tags (with ``STANDBY_TAG``) its own."""
    if endpoint is None:
        return False
    rows = {d.name.lower(): d for d in deployments if d.state is not DeploymentState.DELETING}
    if set(rows) != {dep["name"].lower() for dep in definition["deployments"]}:
        return False  # one the primary removed still runs here
    for dep in definition["deployments"]:
        row = rows.get(dep["name"].lower())
        if row is None or row.state is not DeploymentState.SUCCEEDED or not same_deployment(row, dep, workspace_id):
            return False
    return (endpoint.auth_mode.value == definition["authMode"] and endpoint.description == definition["description"]
            and dict(endpoint.tags) == {**definition["tags"], STANDBY_TAG: marker}
            and {k: v for k, v in endpoint.traffic.items() if v} == {k: v for k, v in definition["traffic"].items() if v})
