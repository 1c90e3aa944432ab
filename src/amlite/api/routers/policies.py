"""Microsoft.Authorization policy assignments (at a subscription or resource group) and the
built-in policy definitions amlite enforces (``domain.policies``).

Assignments are extension resources under ``{scope}/providers/Microsoft.Authorization/
policyAssignments/{name}``; definitions are read at the root (and, as ARM also serves the
built-ins there, under a subscription).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api.deps import POLICY_VERSION, Authorize, JsonBody, container, path_scope
from amlite.api.render import json as json_response
from amlite.api.render import ts
from amlite.domain.errors import invalid
from amlite.domain.policies import ASSIGNMENTS_SEGMENT, DEFINITIONS_PATH, PolicyAssignment, PolicyDefinition
from amlite.schemas.arm_resources import PolicyAssignmentBody
from amlite.services.context import Caller

router = APIRouter()
V = [Depends(POLICY_VERSION)]
PA_READ, PA_WRITE, PA_DELETE = (f"Microsoft.Authorization/policyAssignments/{v}" for v in ("read", "write", "delete"))
PD_READ = "Microsoft.Authorization/policyDefinitions/read"

_AT_SCOPE = re.compile(r"\s*atScope\(\)\s*", re.IGNORECASE)


def render_definition(d: PolicyDefinition) -> dict[str, Any]:
    return {
        "id": d.id, "name": d.name, "type": "Microsoft.Authorization/policyDefinitions",
        "properties": {
            "displayName": d.display_name, "policyType": "BuiltIn", "mode": d.mode, "description": d.description,
            "metadata": {"category": d.category, "version": "1.0.0"},
            "parameters": {p.name: {"type": p.type, "metadata": {"displayName": p.display_name,
                                                                  "description": p.description}}
                           for p in d.parameters},
            "policyRule": d.policy_rule(),
        },
    }


def render_assignment(a: PolicyAssignment) -> dict[str, Any]:
    return {
        "id": a.id, "name": a.name, "type": "Microsoft.Authorization/policyAssignments", "location": None,
        "identity": None,
        "properties": {
            "displayName": a.display_name or None, "description": a.description or None,
            "policyDefinitionId": a.definition.id, "definitionVersion": "1.*.*", "scope": a.scope,
            "notScopes": list(a.not_scopes), "parameters": {k: {"value": v} for k, v in a.parameters.items()},
            "enforcementMode": a.enforcement_mode, "metadata": {"createdBy": a.created_by,
                                                                 "createdOn": ts(a.created_at),
                                                                 "updatedOn": ts(a.updated_at) if a.updated_at else None},
            "nonComplianceMessages": [],
        },
        "systemData": {"createdBy": a.created_by, "createdAt": ts(a.created_at),
                       "lastModifiedAt": ts(a.updated_at or a.created_at)},
    }


def _scope(request: Request) -> str:
    return path_scope(dict(request.path_params))


# -- definitions ---------------------------------------------------------------------------------

@router.get(DEFINITIONS_PATH, dependencies=V)
@router.get("/subscriptions/{subscription_id}" + DEFINITIONS_PATH, dependencies=V)
def list_definitions(request: Request, caller: Caller = Depends(Authorize(PD_READ, None))) -> dict[str, Any]:
    # Built-in definitions are readable by every signed-in principal, as on Azure.
    sub = request.path_params.get("subscription_id")
    return {"value": [render_definition(d) for d in container(request).policies.definitions(caller, sub)]}


@router.get(DEFINITIONS_PATH + "/{name}", dependencies=V)
@router.get("/subscriptions/{subscription_id}" + DEFINITIONS_PATH + "/{name}", dependencies=V)
def get_definition(name: str, request: Request, caller: Caller = Depends(Authorize(PD_READ, None))) -> dict[str, Any]:
    sub = request.path_params.get("subscription_id")
    return render_definition(container(request).policies.definition(caller, name, sub))


# -- assignments ---------------------------------------------------------------------------------

@router.put("/{scope:path}" + ASSIGNMENTS_SEGMENT + "/{name}", dependencies=V)
def put_assignment(name: str, request: Request, caller: Caller = Depends(Authorize(PA_WRITE, path_scope)),
                   body: PolicyAssignmentBody = Depends(JsonBody(PolicyAssignmentBody))) -> Any:
    assignment, created = container(request).policies.create_or_update(caller, _scope(request), name, body)
    return json_response(render_assignment(assignment), status=201 if created else 200)


@router.get("/{scope:path}" + ASSIGNMENTS_SEGMENT + "/{name}", dependencies=V)
def get_assignment(name: str, request: Request, caller: Caller = Depends(Authorize(PA_READ, path_scope))) -> dict[str, Any]:
    return render_assignment(container(request).policies.get(caller, _scope(request), name))


@router.get("/{scope:path}" + ASSIGNMENTS_SEGMENT, dependencies=V)
def list_assignments(request: Request, caller: Caller = Depends(Authorize(PA_READ, path_scope))) -> dict[str, Any]:
    flt = request.query_params.get("$filter")
    if flt is not None and not _AT_SCOPE.fullmatch(flt):
        raise invalid("InvalidFilterInQueryString", f"The filter '{flt}' is not supported; use 'atScope()'.", "$filter")
    found = container(request).policies.list(caller, _scope(request), at_scope=flt is not None)
    return {"value": [render_assignment(a) for a in found]}


@router.delete("/{scope:path}" + ASSIGNMENTS_SEGMENT + "/{name}", dependencies=V)
def delete_assignment(name: str, request: Request, caller: Caller = Depends(Authorize(PA_DELETE, path_scope))) -> Any:
    gone = container(request).policies.delete(caller, _scope(request), name)
    if gone is None:
        return Response(status_code=204)
    return render_assignment(gone)

