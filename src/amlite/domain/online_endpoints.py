"""Online endpoints and their deployments: the rules that hold whatever stores or serves them.

An endpoint is a workspace resource with a stable scoring address (``scoring_id``, never reused,
so an endpoint deleted and made again under the same name gets a new URI, as Azure's DNS names
do), an auth mode and a traffic table naming its deployments with integer weights. A deployment
is one model + scoring code served by one local process; its ``provisioning_state`` follows
Azure's:

    Creating ──init() ran──▶ Succeeded ◀──▶ Updating
        │                       │
        └──init() failed──▶ Failed          Deleting (its row goes once the process is stopped)

The traffic rules are Azure's: weights are whole numbers 0..100 that add up to 100 (or the table
is empty: nothing is served), and only deployments of the endpoint may carry weight. A request
with the ``azureml-model-deployment`` header goes to that deployment whatever its weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from amlite.domain.errors import invalid

_ENDPOINT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]")
_DEPLOYMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{1,30}[A-Za-z0-9]|[A-Za-z0-9]{1,2}")

#: The header Azure ML's scoring front end reads to pin a request to one deployment.
DEPLOYMENT_HEADER = "azureml-model-deployment"


class AuthMode(str, Enum):
    KEY = "Key"
    AML_TOKEN = "AMLToken"
    AAD_TOKEN = "AADToken"

    @classmethod
    def parse(cls, value: object, target: str) -> "AuthMode":
        for mode in cls:
            if isinstance(value, str) and value.lower() == mode.value.lower():
                return mode
        raise invalid("InvalidRequestContent", f"authMode '{value}' is not valid; use Key, AMLToken or AADToken.", target)


class DeploymentState(str, Enum):
    CREATING = "Creating"
    UPDATING = "Updating"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    DELETING = "Deleting"

    @property
    def is_busy(self) -> bool:
        return self in (DeploymentState.CREATING, DeploymentState.UPDATING, DeploymentState.DELETING)


def check_endpoint_name(name: str) -> str:
    """Azure's rule: 3 to 32 characters, letters, digits and '-', starting with a letter and not
    ending with '-'."""
    if not _ENDPOINT_NAME.fullmatch(name):
        raise invalid("InvalidEndpointName",
                      f"Endpoint name '{name}' must be 3 to 32 characters of letters, digits and '-', start with a "
                      "letter and not end with '-'.", "endpointName")
    return name


def check_deployment_name(name: str) -> str:
    if not _DEPLOYMENT_NAME.fullmatch(name):
        raise invalid("InvalidDeploymentName",
                      f"Deployment name '{name}' must be 1 to 32 characters of letters, digits and '-', and not start "
                      "or end with '-'.", "deploymentName")
    return name


def check_traffic(traffic: dict[str, int], deployments: set[str], target: str = "properties.traffic") -> dict[str, int]:
    """Weights 0..100 adding up to 100 (or nothing at all), each naming a deployment of the
    endpoint (``deployments``: lower-cased names). Returns the table with zero weights kept, as
    Azure shows them."""
    for name, weight in traffic.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            raise invalid("InvalidTrafficWeight", f"The traffic of '{name}' must be a whole number from 0 to 100.",
                          f"{target}.{name}")
        if name.lower() not in deployments:
            raise invalid("DeploymentNotFound", f"The traffic names deployment '{name}', which the endpoint does not have.",
                          f"{target}.{name}")
    total = sum(traffic.values())
    if traffic and total != 100:
        raise invalid("InvalidTrafficWeight", f"The traffic weights add up to {total}; they must add up to 100.", target)
    return dict(traffic)


def pick_deployment(traffic: dict[str, int], draw: float) -> str | None:
    """The deployment a request goes to, for ``draw`` uniform in [0, 1): the weights cut [0, 100)
    into consecutive ranges in the table's order. ``None`` when no deployment has weight."""
    point = draw * 100
    edge = 0
    for name, weight in traffic.items():
        edge += weight
        if weight > 0 and point < edge:
            return name
    return None


@dataclass(frozen=True)
class OnlineEndpoint:
    key: str
    workspace_key: str
    name: str
    scoring_id: str  # the GUID in the scoring URI; new for every endpoint ever made
    auth_mode: AuthMode
    description: str
    tags: dict[str, str]
    properties: dict[str, str]
    traffic: dict[str, int]
    created_at: datetime
    modified_at: datetime
    created_by: str


@dataclass(frozen=True)
class OnlineDeployment:
    """A deployment and how to run it: ``model_id``/``environment_id`` as resolved ARM/registry
    ids, the code as a manifest of workspace blobs (``code_manifest``: path, sha256, size), and
    where its process listens once it runs (``port``, ``host_id`` of the server that runs it,
    ``generation`` that changes with every (re)start so a stale process knows it is stale)."""

    key: str
    endpoint_key: str
    name: str
    state: DeploymentState
    model_id: str
    model_ref: str  # as the user wrote it (azureml:m:1, azureml://registries/...)
    environment_id: str | None
    scoring_script: str
    code_manifest: tuple[dict[str, Any], ...]
    instance_type: str
    instance_count: int
    environment_variables: dict[str, str]
    description: str
    tags: dict[str, str]
    properties: dict[str, str]
    created_at: datetime
    modified_at: datetime
    created_by: str
    error: str | None = None
    generation: str = ""
    host_id: str | None = None
    port: int | None = None
    secret: str | None = None  # the scoring process's own check that a request came through amlite
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def started(self, generation: str, host_id: str, port: int, secret: str, now: datetime) -> "OnlineDeployment":
        return replace(self, state=DeploymentState.SUCCEEDED, generation=generation, host_id=host_id, port=port,
                       secret=secret, error=None, modified_at=now)

    def failed(self, error: str, now: datetime) -> "OnlineDeployment":
        return replace(self, state=DeploymentState.FAILED, error=error[:4000], port=None, host_id=None,
                       secret=None, modified_at=now)
