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

#: The task kind of one endpoint's standby copy into a pair's secondary (the one task engine).
ENDPOINT_COPY = "pair.endpoint"

#: The ``--per-kind`` name of a pair's endpoints; a pair whose mode for it is hot keeps standbys.
ENDPOINTS = "endpoints"


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
