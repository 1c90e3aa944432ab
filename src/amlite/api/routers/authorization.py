"""Microsoft.Authorization: role definitions and role assignments at any scope.

Both are extension resources: they hang under ``{scope}/providers/Microsoft.Authorization/...``
where the scope is ``/`` (the tenant root), a subscription, a resource group or a resource. Each
route is registered twice, under a ``{scope:path}`` and at the root, because the root scope has
no path of its own; the scope the action is checked at is the one in the path.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api.deps import AUTHORIZATION_VERSION, Authorize, container, JsonBody, path_scope
from amlite.api.render import json as json_response
from amlite.api.render import ts
from amlite.domain.errors import invalid
from amlite.domain.rbac import RoleAssignment, RoleDefinition, parse_scope
from amlite.schemas.arm_resources import RoleAssignmentBody, RoleDefinitionBody
from amlite.services.context import Caller
from amlite.services.roles import assignment_id, definition_id

router = APIRouter()
V = [Depends(AUTHORIZATION_VERSION)]
NS = "/providers/Microsoft.Authorization"
DEFS, ASSIGNS = NS + "/roleDefinitions", NS + "/roleAssignments"
DEF_READ, DEF_WRITE, DEF_DELETE = (f"Microsoft.Authorization/roleDefinitions/{v}" for v in ("read", "write", "delete"))
RA_READ, RA_WRITE, RA_DELETE = (f"Microsoft.Authorization/roleAssignments/{v}" for v in ("read", "write", "delete"))

_NAME = re.compile(r"\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*", re.IGNORECASE)
_TYPE = re.compile(r"\s*type\s+eq\s+'(CustomRole|BuiltInRole)'\s*", re.IGNORECASE)
_AT_SCOPE = re.compile(r"\s*atScope\(\)\s*", re.IGNORECASE)
_PRINCIPAL = re.compile(r"\s*principalId\s+eq\s+'([0-9a-fA-F-]{36})'\s*", re.IGNORECASE)


def _scope(request: Request) -> str:
    return path_scope(dict(request.path_params))


def render_definition(scope: str, role: RoleDefinition) -> dict[str, Any]:
    return {
        "id": definition_id(scope, role.id), "name": role.id, "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role.name, "type": role.role_type, "description": role.description,
            "assignableScopes": list(role.assignable_scopes),
            "permissions": [{"actions": list(role.actions), "notActions": list(role.not_actions),
                             "dataActions": list(role.data_actions), "notDataActions": list(role.not_data_actions)}],
            "createdOn": ts(role.created_at), "updatedOn": ts(role.updated_at),
            "createdBy": role.created_by, "updatedBy": role.created_by,
        },
    }


def render_assignment(a: RoleAssignment) -> dict[str, Any]:
    sub = parse_scope(a.scope).subscription_id
    role_scope = f"/subscriptions/{sub}" if sub else "/"
    return {
        "id": assignment_id(a), "name": a.id, "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": definition_id(role_scope, a.role_definition_id), "principalId": a.principal_id,
            "principalType": a.principal_type, "scope": a.scope, "condition": None, "conditionVersion": None,
            "createdOn": ts(a.created_at), "updatedOn": ts(a.created_at), "createdBy": a.created_by,
            "updatedBy": a.created_by, "delegatedManagedIdentityResourceId": None, "description": None,
        },
    }


# -- role definitions ----------------------------------------------------------------------------

@router.put("/{scope:path}" + DEFS + "/{role_id}", dependencies=V)
@router.put(DEFS + "/{role_id}", dependencies=V)
def put_definition(role_id: str, request: Request, caller: Caller = Depends(Authorize(DEF_WRITE, path_scope)),
                   body: RoleDefinitionBody = Depends(JsonBody(RoleDefinitionBody))) -> Any:
    scope = _scope(request)
    role, created = container(request).roles.put_definition(caller, scope, role_id, body)
    return json_response(render_definition(scope, role), status=201 if created else 200)


@router.get("/{scope:path}" + DEFS + "/{role_id}", dependencies=V)
@router.get(DEFS + "/{role_id}", dependencies=V)
def get_definition(role_id: str, request: Request, caller: Caller = Depends(Authorize(DEF_READ, path_scope))) -> dict[str, Any]:
    scope = _scope(request)
    return render_definition(scope, container(request).roles.get_definition(caller, scope, role_id))


@router.delete("/{scope:path}" + DEFS + "/{role_id}", dependencies=V)
@router.delete(DEFS + "/{role_id}", dependencies=V)
def delete_definition(role_id: str, request: Request, caller: Caller = Depends(Authorize(DEF_DELETE, path_scope))) -> dict[str, Any]:
    scope = _scope(request)
    return render_definition(scope, container(request).roles.delete_definition(caller, scope, role_id))


@router.get("/{scope:path}" + DEFS, dependencies=V)
@router.get(DEFS, dependencies=V)
def list_definitions(request: Request, caller: Caller = Depends(Authorize(DEF_READ, path_scope))) -> dict[str, Any]:
    scope = _scope(request)
    name = role_type = None
    expression = request.query_params.get("$filter")
    if expression:
        by_name, by_type = _NAME.fullmatch(expression), _TYPE.fullmatch(expression)
        if by_name:
            name = by_name.group(1).replace("''", "'")
        elif by_type:
            role_type = by_type.group(1)
        else:
            raise invalid("InvalidFilterInQueryString", "Only $filter=roleName eq '...' or type eq "
                          "'CustomRole'|'BuiltInRole' is supported.", "$filter")
    roles = container(request).roles.list_definitions(caller, scope, name=name, role_type=role_type)
    return {"value": [render_definition(scope, r) for r in roles]}


# -- role assignments ----------------------------------------------------------------------------

@router.put("/{scope:path}" + ASSIGNS + "/{name}", dependencies=V)
@router.put(ASSIGNS + "/{name}", dependencies=V)
def create_assignment(name: str, request: Request, caller: Caller = Depends(Authorize(RA_WRITE, path_scope)),
                      body: RoleAssignmentBody = Depends(JsonBody(RoleAssignmentBody))) -> Any:
    assignment, created = container(request).roles.create_assignment(caller, _scope(request), name, body)
    return json_response(render_assignment(assignment), status=201 if created else 200)


@router.get("/{scope:path}" + ASSIGNS + "/{name}", dependencies=V)
@router.get(ASSIGNS + "/{name}", dependencies=V)
def get_assignment(name: str, request: Request, caller: Caller = Depends(Authorize(RA_READ, path_scope))) -> dict[str, Any]:
    return render_assignment(container(request).roles.get_assignment(caller, _scope(request), name))


@router.delete("/{scope:path}" + ASSIGNS + "/{name}", dependencies=V)
@router.delete(ASSIGNS + "/{name}", dependencies=V)
def delete_assignment(name: str, request: Request, caller: Caller = Depends(Authorize(RA_DELETE, path_scope))) -> Any:
    deleted = container(request).roles.delete_assignment(caller, _scope(request), name)
    return Response(status_code=204) if deleted is None else render_assignment(deleted)


@router.get("/{scope:path}" + ASSIGNS, dependencies=V)
@router.get(ASSIGNS, dependencies=V)
def list_assignments(request: Request, caller: Caller = Depends(Authorize(RA_READ, path_scope))) -> dict[str, Any]:
    at_scope, principal = False, None
    for term in re.split(r"\s+and\s+", request.query_params.get("$filter") or "", flags=re.IGNORECASE):
        if not term.strip():
            continue
        if _AT_SCOPE.fullmatch(term):
            at_scope = True
        elif (match := _PRINCIPAL.fullmatch(term)) is not None:
            principal = match.group(1).lower()
        else:
            raise invalid("InvalidFilterInQueryString", "Only $filter=atScope() and/or principalId eq '{id}' is "
                          "supported.", "$filter")
    found = container(request).roles.list_assignments(caller, _scope(request), at_scope=at_scope, principal_id=principal)
    return {"value": [render_assignment(a) for a in found]}
