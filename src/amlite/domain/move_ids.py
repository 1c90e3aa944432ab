"""Reading a move request's body: the ARM ids it names, judged before anything is looked up.

``validateMoveResources`` and ``moveResources`` take ``{"resources": [ids], "targetResourceGroup":
"/subscriptions/{s}/resourceGroups/{rg}"}``. A malformed body is a 400 that changes nothing; ids
that are well formed but name nothing (or something that cannot move) are the validation's
business (``services/move_checks.py``), reported with every other reason at once.
"""

from __future__ import annotations

import re
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
    return MoveRequest(source_subscription=source_subscription, source_group=source_group, resource_ids=unique,
                       target_subscription=parsed_target[0], target_group=parsed_target[1])


def request_json(request: MoveRequest) -> dict[str, Any]:
    """The request as the operation keeps it, so its task reads what the client asked."""
    return {"sourceSubscription": request.source_subscription, "sourceGroup": request.source_group,
            "resources": list(request.resource_ids), "targetSubscription": request.target_subscription,
            "targetGroup": request.target_group}


def request_from_json(data: dict[str, Any]) -> MoveRequest:
    return MoveRequest(source_subscription=data["sourceSubscription"], source_group=data["sourceGroup"],
                       resource_ids=tuple(data["resources"]), target_subscription=data["targetSubscription"],
                       target_group=data["targetGroup"])
