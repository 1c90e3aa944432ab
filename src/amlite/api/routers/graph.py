"""The directory, shaped like Microsoft Graph v1.0: users, service principals, groups and members.

These are not ARM routes, so they take no api-version; they need a bearer token like every other
route and answer the ARM error body (Graph's own error body has the same ``{"error": {"code",
"message"}}`` shape). Writes are checked at the tenant root ``/``: ``principals/write`` and
``principals/delete`` are granted by Owner and User Access Administrator there (Contributor's
NotActions exclude every ``Microsoft.Authorization`` write and delete). Reads are open to every
principal of the tenant, as Microsoft Entra's default user permissions let members read the
directory; ``az role assignment create --assignee`` needs that to resolve a name.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from amlite.api.deps import Authorize, container, JsonBody, root_scope
from amlite.api.render import json as json_response
from amlite.domain.errors import invalid
from amlite.domain.resources import Principal, PrincipalKind
from amlite.schemas.arm_resources import GroupBody, MemberBody, PasswordBody, ServicePrincipalBody, UserBody
from amlite.services.context import Caller

router = APIRouter()
READ = "Microsoft.Authorization/principals/read"
WRITE = "Microsoft.Authorization/principals/write"
DELETE = "Microsoft.Authorization/principals/delete"
ODATA = "https://graph.microsoft.com/v1.0/$metadata#"

_FILTER = re.compile(r"^\s*(?:displayName\s+eq\s+'(?P<eq>(?:[^']|'')*)'|startswith\(\s*displayName\s*,\s*'(?P<sw>(?:[^']|'')*)'\s*\))\s*$",
                     re.IGNORECASE)


def render(p: Principal) -> dict[str, Any]:
    created = p.created_at.isoformat().replace("+00:00", "Z") if p.created_at else None
    if p.kind is PrincipalKind.USER:
        return {"@odata.type": "#microsoft.graph.user", "id": p.id, "displayName": p.display_name,
                "userPrincipalName": p.user_principal_name, "accountEnabled": True, "createdDateTime": created}
    if p.kind is PrincipalKind.SERVICE_PRINCIPAL:
        return {"@odata.type": "#microsoft.graph.servicePrincipal", "id": p.id, "appId": p.app_id,
                "displayName": p.display_name, "servicePrincipalType": "Application",
                "servicePrincipalNames": [p.app_id], "appOwnerOrganizationId": p.tenant_id, "accountEnabled": True,
                "createdDateTime": created}
    return {"@odata.type": "#microsoft.graph.group", "id": p.id, "displayName": p.display_name,
            "securityEnabled": True, "mailEnabled": False, "createdDateTime": created}


def _list(request: Request, caller: Caller, kind: PrincipalKind, collection: str) -> dict[str, Any]:
    expression = request.query_params.get("$filter")
    exact = prefix = None
    if expression:
        match = _FILTER.match(expression)
        if not match:
            raise invalid("Request_UnsupportedQuery", "Only $filter=displayName eq '...' or "
                          "startswith(displayName,'...') is supported.", "$filter")
        exact = match.group("eq").replace("''", "'") if match.group("eq") is not None else None
        prefix = (match.group("sw") or "").replace("''", "'") or exact
    found = container(request).directory.list(caller, kind, prefix)
    if exact is not None:
        found = [p for p in found if p.display_name.lower() == exact.lower()]
    return {"@odata.context": ODATA + collection, "value": [render(p) for p in found]}


def _created(principal: Principal) -> Response:
    return json_response(render(principal), status=201)


# -- users ---------------------------------------------------------------------------------------

@router.post("/v1.0/users")
def create_user(request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope)),
                body: UserBody = Depends(JsonBody(UserBody))) -> Response:
    return _created(container(request).directory.create_user(caller, body))


@router.get("/v1.0/users")
def list_users(request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return _list(request, caller, PrincipalKind.USER, "users")


@router.get("/v1.0/users/{user}")
def get_user(user: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return render(container(request).directory.get(caller, PrincipalKind.USER, user))


@router.delete("/v1.0/users/{user}")
def delete_user(user: str, request: Request, caller: Caller = Depends(Authorize(DELETE, root_scope))) -> Response:
    container(request).directory.delete(caller, PrincipalKind.USER, user)
    return Response(status_code=204)


# -- service principals --------------------------------------------------------------------------

@router.post("/v1.0/servicePrincipals")
def create_service_principal(request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope)),
                             body: ServicePrincipalBody = Depends(JsonBody(ServicePrincipalBody))) -> Response:
    return _created(container(request).directory.create_service_principal(caller, body))


@router.get("/v1.0/servicePrincipals")
def list_service_principals(request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return _list(request, caller, PrincipalKind.SERVICE_PRINCIPAL, "servicePrincipals")


@router.get("/v1.0/servicePrincipals/{sp}")
def get_service_principal(sp: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return render(container(request).directory.get(caller, PrincipalKind.SERVICE_PRINCIPAL, sp))


@router.delete("/v1.0/servicePrincipals/{sp}")
def delete_service_principal(sp: str, request: Request, caller: Caller = Depends(Authorize(DELETE, root_scope))) -> Response:
    container(request).directory.delete(caller, PrincipalKind.SERVICE_PRINCIPAL, sp)
    return Response(status_code=204)


@router.post("/v1.0/servicePrincipals/{sp}/addPassword")
def add_password(sp: str, request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope)),
                 body: PasswordBody = Depends(JsonBody(PasswordBody))) -> dict[str, Any]:
    cred = container(request).directory.add_password(caller, sp, body)
    return {"@odata.context": ODATA + "microsoft.graph.passwordCredential", "keyId": cred.key_id,
            "secretText": cred.secret_text, "hint": cred.secret_text[:3], "displayName": cred.display_name,
            "startDateTime": cred.start.isoformat().replace("+00:00", "Z"),
            "endDateTime": cred.end.isoformat().replace("+00:00", "Z"), "customKeyIdentifier": None}


# -- groups and members --------------------------------------------------------------------------

@router.post("/v1.0/groups")
def create_group(request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope)),
                 body: GroupBody = Depends(JsonBody(GroupBody))) -> Response:
    return _created(container(request).directory.create_group(caller, body))


@router.get("/v1.0/groups")
def list_groups(request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return _list(request, caller, PrincipalKind.GROUP, "groups")


@router.get("/v1.0/groups/{group}")
def get_group(group: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    return render(container(request).directory.get(caller, PrincipalKind.GROUP, group))


@router.delete("/v1.0/groups/{group}")
def delete_group(group: str, request: Request, caller: Caller = Depends(Authorize(DELETE, root_scope))) -> Response:
    container(request).directory.delete(caller, PrincipalKind.GROUP, group)
    return Response(status_code=204)


@router.get("/v1.0/groups/{group}/members")
def list_members(group: str, request: Request, caller: Caller = Depends(Authorize(READ, None))) -> dict[str, Any]:
    members = container(request).directory.members(caller, group)
    return {"@odata.context": ODATA + "directoryObjects", "value": [render(p) for p in members]}


@router.post("/v1.0/groups/{group}/members/$ref")
def add_member(group: str, request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope)),
               body: MemberBody = Depends(JsonBody(MemberBody))) -> Response:
    container(request).directory.add_member(caller, group, body.odata_id)
    return Response(status_code=204)


@router.delete("/v1.0/groups/{group}/members/{member}/$ref")
def remove_member(group: str, member: str, request: Request, caller: Caller = Depends(Authorize(WRITE, root_scope))) -> Response:
    container(request).directory.remove_member(caller, group, member)
    return Response(status_code=204)
