"""Reading a move request's body: the ARM ids it names, judged before anything is looked up.

``validateMoveResources`` and ``moveResources`` take ``{"resources": [ids], "targetResourceGroup":
"/subscriptions/{s}/resourceGroups/{rg}"}``. A malformed body is a 400 that changes nothing; ids
that are well formed but name nothing (or something that cannot move) are the validation's
business (``services/move_checks.py``), reported with every other reason at once.

Beside Azure's two fields amlite reads its own opt-ins: ``allowRegionChange`` (a destination group
in another region: the storage is copied there first), ``allowTenantChange`` (a destination
subscription in another tenant) and, with it, ``principalMap`` ``{source object id: target object
id}`` for the role assignments to recreate there. Without them such moves are refused, as on Azure.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from amlite.domain.errors import invalid
from amlite.domain.moves import MoveRequest

_GROUP = re.compile(r"^/subscriptions/(?P<s>[^/]+)/resourceGroups/(?P<rg>[^/]+)/?$", re.IGNORECASE)
_RESOURCE = re.compile(
    r"^/subscriptions/(?P<s>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/(?P<ns>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
MAX_RESOURCES = 800  # ARM's limit on one move request
#: amlite's opt-ins, beside Azure's two fields (both refused by default, as Azure refuses them).
ALLOW_REGION_CHANGE = "allowRegionChange"
ALLOW_TENANT_CHANGE = "allowTenantChange"
PRINCIPAL_MAP = "principalMap"


@dataclass(frozen=True)
class ResourceId:
    """A top-level resource's ARM id, split."""

    subscription_id: str
    resource_group: str
    namespace: str
    type: str
    name: str

    @property
    def full_type(self) -> str:
        return f"{self.namespace}/{self.type}"


def parse_resource_id(text: str) -> ResourceId | None:
    match = _RESOURCE.match(text)
    if match is None:
        return None
    return ResourceId(match["s"], match["rg"], match["ns"], match["type"], match["name"])


def parse_group_id(text: str) -> tuple[str, str] | None:
    match = _GROUP.match(text)
    return (match["s"], match["rg"]) if match else None


def move_request(source_subscription: str, source_group: str, body: Any) -> MoveRequest:
    """The request a body makes of the source group, or ARM's 400 naming the field at fault."""
    if not isinstance(body, dict):
        raise invalid("InvalidRequestContent", "The request body must be a JSON object.")
    resources = body.get("resources")
    if not isinstance(resources, list) or not resources or not all(isinstance(r, str) for r in resources):
        raise invalid("InvalidRequestContent", "'resources' must be a non-empty list of resource ids.", "resources")
    if len(resources) > MAX_RESOURCES:
        raise invalid("InvalidRequestContent", f"A move may name at most {MAX_RESOURCES} resources.", "resources")
    for rid in resources:
        parsed = parse_resource_id(rid)
        if parsed is None:
            raise invalid("InvalidResourceId", f"'{rid}' is not the id of a top-level resource.", "resources")
        if (parsed.subscription_id.lower(), parsed.resource_group.lower()) != (source_subscription.lower(), source_group.lower()):
            raise invalid(
                "ResourceNotInSourceResourceGroup",
                f"The resource '{rid}' is not in the source resource group '{source_group}' of subscription "
                f"'{source_subscription}'. Every resource of a move must be in the group the request is sent to.",
                "resources",
            )
    target = body.get("targetResourceGroup")
    parsed_target = parse_group_id(target) if isinstance(target, str) else None
    if parsed_target is None:
        raise invalid("InvalidTargetResourceGroup",
                      "'targetResourceGroup' must be a resource group id: /subscriptions/{id}/resourceGroups/{name}.",
                      "targetResourceGroup")
    if (parsed_target[0].lower(), parsed_target[1].lower()) == (source_subscription.lower(), source_group.lower()):
        raise invalid("InvalidTargetResourceGroup",
                      "The target resource group is the source resource group; there is nothing to move.",
                      "targetResourceGroup")
    unique = tuple(dict.fromkeys(resources))
    cross_region = _flag(body, ALLOW_REGION_CHANGE)
    cross_tenant = _flag(body, ALLOW_TENANT_CHANGE)
    return MoveRequest(source_subscription=source_subscription, source_group=source_group, resource_ids=unique,
                       target_subscription=parsed_target[0], target_group=parsed_target[1],
                       cross_region=cross_region, cross_tenant=cross_tenant,
                       principal_map=_principal_map(body.get(PRINCIPAL_MAP), cross_tenant))


def _flag(body: dict[str, Any], field: str) -> bool:
    value = body.get(field)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid("InvalidRequestContent", f"'{field}' must be true or false.", field)
    return value


def _principal_map(value: Any, cross_tenant: bool) -> tuple[tuple[str, str], ...]:
    """``{source object id: target object id}``, canonical (lower-case GUIDs), sorted."""
    if value is None:
        return ()
    if not cross_tenant:
        raise invalid("InvalidRequestContent", f"'{PRINCIPAL_MAP}' applies only with '{ALLOW_TENANT_CHANGE}': true.",
                      PRINCIPAL_MAP)
    if not isinstance(value, dict):
        raise invalid("InvalidRequestContent", f"'{PRINCIPAL_MAP}' must map source object ids to target object ids.",
                      PRINCIPAL_MAP)
    pairs: dict[str, str] = {}
    for source, target in value.items():
        src, dst = _guid(source), _guid(target)
        if src is None or dst is None:
            raise invalid("InvalidRequestContent", f"'{PRINCIPAL_MAP}' entry '{source}': '{target}' must map one "
                          "principal object id (a GUID) to another.", PRINCIPAL_MAP)
        pairs[src] = dst
    return tuple(sorted(pairs.items()))


def _guid(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def request_json(request: MoveRequest) -> dict[str, Any]:
    """The request as the operation keeps it, so its task reads what the client asked."""
    return {"sourceSubscription": request.source_subscription, "sourceGroup": request.source_group,
            "resources": list(request.resource_ids), "targetSubscription": request.target_subscription,
            "targetGroup": request.target_group, "crossRegion": request.cross_region,
            "crossTenant": request.cross_tenant, "principalMap": dict(request.principal_map)}


def request_from_json(data: dict[str, Any]) -> MoveRequest:
    return MoveRequest(source_subscription=data["sourceSubscription"], source_group=data["sourceGroup"],
                       resource_ids=tuple(data["resources"]), target_subscription=data["targetSubscription"],
                       target_group=data["targetGroup"], cross_region=bool(data.get("crossRegion", False)),
                       cross_tenant=bool(data.get("crossTenant", False)),
                       principal_map=tuple(sorted((data.get("principalMap") or {}).items())))
