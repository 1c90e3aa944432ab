"""``amlite role``: role definitions and role assignments, as ``az role`` has them.

Like az, the CLI resolves names on the client: ``--role Reader`` through the role definitions
list (``$filter=roleName eq 'Reader'``), ``--assignee`` through the directory (a user principal
name, an object id, or a service principal's app id). Results are printed flattened as az prints
them (``roleName``, ``roleType``, ``principalId``, ``scope``... at the top level).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError
from amlite.sdk.authorization import AuthorizationClient
from amlite.sdk.errors import ResourceNotFoundError

__all__ = ["authorization_client", "create_assignment", "default_scope", "register"]

app = typer.Typer(help="Manage role definitions and role assignments.", no_args_is_help=True)
definition_app = typer.Typer(help="Manage role definitions.", no_args_is_help=True)
assignment_app = typer.Typer(help="Manage role assignments.", no_args_is_help=True)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
Scope = Annotated[str | None, typer.Option("--scope", help="Scope: '/', /subscriptions/ID, .../resourceGroups/RG or a resource id (default: the subscription).")]
Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Use the resource group's scope.")]
RoleDefinitionArg = Annotated[str, typer.Option("--role-definition", help="JSON text, @file.json, or a file path, in az's format (Name, Description, Actions, NotActions, DataActions, NotDataActions, AssignableScopes).")]


def authorization_client() -> AuthorizationClient:
    session = current_session()
    return AuthorizationClient(session.credential(), session.endpoint)


def default_scope(scope: str | None, resource_group: str | None) -> str:
    if scope:
        return scope
    sub = f"/subscriptions/{current_session().subscription_id()}"
    return f"{sub}/resourceGroups/{resource_group}" if resource_group else sub


def flatten(item: dict[str, Any]) -> dict[str, Any]:
    """az prints ARM's ``properties`` at the top level; a definition's ``type`` becomes ``roleType``."""
    props = dict(item.get("properties") or {})
    out = {k: v for k, v in item.items() if k != "properties"}
    if "roleName" in props:
        props["roleType"] = props.pop("type", None)
    out.update(props)
    scope = str(props.get("scope") or "")
    match = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)", scope, re.IGNORECASE)
    if "principalId" in props:
        out["resourceGroup"] = match.group(1) if match else None
    return out


def resolve_role(scope: str, role: str) -> dict[str, Any]:
    client = authorization_client()
    ref = role.rstrip("/").rsplit("/", 1)[-1]
    if _GUID.match(ref):
        try:
            return client.role_definitions.get(scope, ref)
        except ResourceNotFoundError:
            raise CliError("RoleNotFound", f"Role '{role}' doesn't exist.") from None
    found = client.role_definitions.list(scope, role_name=role)
    if not found:
        raise CliError("RoleNotFound", f"Role '{role}' doesn't exist.")
    return found[0]


def resolve_assignee(assignee: str) -> tuple[str, str]:
    """(object id, principal type) of a user principal name, object id, or app id."""
    from amlite.cli.commands.ad import graph_client

    graph = graph_client()
    kinds = (("ServicePrincipal", graph.service_principals), ("User", graph.users), ("Group", graph.groups))
    for kind, ops in kinds:
        if kind != "User" and not _GUID.match(assignee):
            continue
        try:
            return str(ops.get(assignee)["id"]), kind
        except ResourceNotFoundError:
            continue
    raise CliError("PrincipalNotFound", f"Cannot find user or service principal in graph database for '{assignee}'.")


def create_assignment(scope: str, role: str, principal_id: str, principal_type: str) -> dict[str, Any]:
    definition = resolve_role(scope, role)
    made = authorization_client().role_assignments.create(scope, definition["id"], principal_id,
                                                          principal_type=principal_type)
    return flatten(made)


# -- definitions ---------------------------------------------------------------------------------

def _read_definition(value: str) -> dict[str, Any]:
    """JSON text (``@file.json`` already replaced by the file's content), or a file's path."""
    path = Path(value).expanduser()
    try:
        text = path.read_text(encoding="utf-8") if not value.lstrip().startswith("{") and path.exists() else value
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise CliError("InvalidArgumentValue", f"--role-definition is neither a JSON file nor JSON: {exc}", 2) from None
    if not isinstance(data, dict):
        raise CliError("InvalidArgumentValue", "--role-definition must hold a JSON object.", 2)
    return {k.lower(): v for k, v in data.items()}


def _properties(data: dict[str, Any]) -> dict[str, Any]:
    name = data.get("name") if not _GUID.match(str(data.get("name", ""))) else None
    name = data.get("rolename") or name
    if not name:
        raise CliError("InvalidArgumentValue", "The role definition needs a 'Name'.", 2)
    perms = (data.get("permissions") or [{}])[0] if data.get("permissions") else {}
    def pick(key: str) -> list[str]:
        return list(data.get(key.lower()) or perms.get(key[0].lower() + key[1:]) or [])
    return {"roleName": name, "description": data.get("description") or "", "type": "CustomRole",
            "assignableScopes": list(data.get("assignablescopes") or []),
            "permissions": [{"actions": pick("Actions"), "notActions": pick("NotActions"),
                             "dataActions": pick("DataActions"), "notDataActions": pick("NotDataActions")}]}


def definition_create(role_definition: RoleDefinitionArg) -> Any:
    """Create a custom role from az's JSON."""
    props = _properties(_read_definition(role_definition))
    scope = (props["assignableScopes"] or [default_scope(None, None)])[0]
    return flatten(authorization_client().role_definitions.create_or_update(scope, str(uuid.uuid4()), props))


def definition_update(role_definition: RoleDefinitionArg) -> Any:
    """Update a custom role (found by its Id, or by its Name) from az's JSON."""
    data = _read_definition(role_definition)
    props = _properties(data)
    scope = (props["assignableScopes"] or [default_scope(None, None)])[0]
    ref = str(data.get("id") or data.get("name") or "").rstrip("/").rsplit("/", 1)[-1]
    role_id = ref if _GUID.match(ref) else str(resolve_role(scope, props["roleName"])["name"])
    return flatten(authorization_client().role_definitions.create_or_update(scope, role_id, props))


def definition_delete(name: Annotated[str, typer.Option("--name", "-n", help="Role name or id.")], scope: Scope = None) -> None:
    """Delete a custom role (refused while assignments use it)."""
    where = default_scope(scope, None)
    role = resolve_role(where, name)
    authorization_client().role_definitions.delete(where, str(role["name"]))


def definition_list(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Only the role with this name.")] = None,
    custom_role_only: Annotated[bool, typer.Option("--custom-role-only", help="Only custom roles.")] = False,
    scope: Scope = None,
) -> Any:
    """List role definitions usable at a scope."""
    found = authorization_client().role_definitions.list(default_scope(scope, None), role_name=name,
                                                         custom_only=custom_role_only)
    return [flatten(r) for r in found]


# -- assignments ---------------------------------------------------------------------------------

def assignment_create(
    role: Annotated[str, typer.Option("--role", help="Role name or id.")],
    assignee: Annotated[str | None, typer.Option("--assignee", help="User principal name, object id or app id.")] = None,
    assignee_object_id: Annotated[str | None, typer.Option("--assignee-object-id", help="Object id (skips the directory lookup).")] = None,
    assignee_principal_type: Annotated[str | None, typer.Option("--assignee-principal-type", help="User, ServicePrincipal or Group (with --assignee-object-id).")] = None,
    scope: Scope = None,
    resource_group: Group = None,
) -> Any:
    """Create a role assignment."""
    if assignee_object_id:
        principal, kind = assignee_object_id, assignee_principal_type or "User"
    elif assignee:
        principal, kind = resolve_assignee(assignee)
    else:
        raise CliError("MissingArgument", "give --assignee or --assignee-object-id", 2)
    return create_assignment(default_scope(scope, resource_group), role, principal, kind)


def _matching(scope: str | None, resource_group: str | None, assignee: str | None, role: str | None,
              include_inherited: bool, all_: bool) -> list[dict[str, Any]]:
    where = default_scope(None if all_ else scope, None if all_ else resource_group)
    principal = resolve_assignee(assignee)[0] if assignee else None
    found = authorization_client().role_assignments.list(where, principal_id=principal)
    if not all_:
        low = where.lower().rstrip("/") or "/"
        found = [a for a in found if str(a["properties"]["scope"]).lower().rstrip("/") == low or (
            include_inherited and (low + "/").startswith(str(a["properties"]["scope"]).lower().rstrip("/") + "/"))]
    if role:
        wanted = resolve_role(where, role)["name"]
        found = [a for a in found if str(a["properties"]["roleDefinitionId"]).endswith(str(wanted))]
    return found


def assignment_list(
    scope: Scope = None, resource_group: Group = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Only this principal's (UPN, object id or app id).")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Only this role's (name or id).")] = None,
    include_inherited: Annotated[bool, typer.Option("--include-inherited", help="Also those at scopes above.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Everything in the subscription, at any scope.")] = False,
) -> Any:
    """List role assignments (at the scope; --include-inherited adds those above, --all everything)."""
    found = _matching(scope, resource_group, assignee, role, include_inherited, all_)
    client = authorization_client()
    names: dict[str, str] = {}
    principals: dict[str, str | None] = {}
    out = []
    for item in found:
        flat = flatten(item)
        role_id = str(flat["roleDefinitionId"]).rsplit("/", 1)[-1]
        if role_id not in names:  # a role assignable at a scope is visible there
            names[role_id] = str(client.role_definitions.get(str(flat["scope"]), role_id)["properties"]["roleName"])
        flat["roleDefinitionName"] = names[role_id]
        flat["principalName"] = _principal_name(str(flat.get("principalId") or ""), str(flat.get("principalType") or ""),
                                                principals)
        out.append(flat)
    return out


def _principal_name(principal_id: str, principal_type: str, cache: dict[str, str | None]) -> str | None:
    """az's ``principalName``: a user's UPN, a service principal's app id, a group's display name."""
    if principal_id not in cache:
        from amlite.cli.commands.ad import graph_client

        graph = graph_client()
        ops, field = {"ServicePrincipal": (graph.service_principals, "appId"),
                      "Group": (graph.groups, "displayName")}.get(principal_type, (graph.users, "userPrincipalName"))
        try:
            cache[principal_id] = ops.get(principal_id).get(field)
        except ResourceNotFoundError:  # deleted since: az prints the assignment without a name too
            cache[principal_id] = None
    return cache[principal_id]


def assignment_delete(
    ids: Annotated[list[str] | None, typer.Option("--ids", help="Role assignment ids.")] = None,
    scope: Scope = None, resource_group: Group = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Principal of the assignments to delete.")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Role of the assignments to delete.")] = None,
) -> None:
    """Delete role assignments by id, or those matching --assignee/--role at the scope."""
    client = authorization_client()
    targets = list(ids or [])
    if not targets:
        if not assignee and not role:
            raise CliError("MissingArgument", "give --ids, or --assignee and/or --role", 2)
        targets = [str(a["id"]) for a in _matching(scope, resource_group, assignee, role, False, False)]
        if not targets:
            raise CliError("ResourceNotFound", "No matched assignments were found to delete.")
    for target in targets:
        client.role_assignments.delete_by_id(target)


def definition_table(result: Any) -> list[dict[str, Any]]:
    """Name, Type, Description: az's columns for ``role definition list``."""
    items = result if isinstance(result, list) else [result]
    return [{"Name": r.get("roleName"), "Type": r.get("type"), "Description": r.get("description")}
            for r in items if isinstance(r, dict)]


def assignment_table(result: Any) -> list[dict[str, Any]]:
    """Principal, Role, Scope: az's columns for ``role assignment list``."""
    items = result if isinstance(result, list) else [result]
    return [{"Principal": r.get("principalName") or r.get("principalId"), "Role": r.get("roleDefinitionName"),
             "Scope": r.get("scope")} for r in items if isinstance(r, dict)]


def register(root: typer.Typer) -> None:
    command(definition_app, "create")(definition_create)
    command(definition_app, "update")(definition_update)
    command(definition_app, "delete")(definition_delete)
    command(definition_app, "list", table=definition_table)(definition_list)
    command(assignment_app, "create")(assignment_create)
    command(assignment_app, "list", table=assignment_table)(assignment_list)
    command(assignment_app, "delete")(assignment_delete)
    app.add_typer(definition_app, name="definition")
    app.add_typer(assignment_app, name="assignment")
    root.add_typer(app, name="role")
