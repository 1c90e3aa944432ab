"""``amlite ad``: users, service principals and groups of the directory, as ``az ad`` has them.

``ad sp create-for-rbac`` prints the new credential once, in az's shape
(``{"appId", "displayName", "password", "tenant"}``); the server keeps only its hash.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.commands.role import create_assignment, default_scope
from amlite.sdk.graph import GraphClient

__all__ = ["graph_client", "register"]

app = typer.Typer(help="Manage the directory: users, service principals and groups.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
sp_app = typer.Typer(help="Manage service principals.", no_args_is_help=True)
group_app = typer.Typer(help="Manage groups.", no_args_is_help=True)
member_app = typer.Typer(help="Manage the members of a group.", no_args_is_help=True)

Id = Annotated[str, typer.Option("--id", help="Object id (users: or user principal name; service principals: or app id).")]
GroupRef = Annotated[str, typer.Option("--group", "-g", help="Group object id.")]
MemberId = Annotated[str, typer.Option("--member-id", help="Object id of the member (user, service principal or group).")]
DisplayName = Annotated[str | None, typer.Option("--display-name", help="Only those whose display name starts with this.")]


def graph_client() -> GraphClient:
    session = current_session()
    return GraphClient(session.credential(), session.endpoint)


# -- users ---------------------------------------------------------------------------------------

def user_create(
    display_name: Annotated[str, typer.Option("--display-name", help="The user's display name.")],
    password: Annotated[str, typer.Option("--password", help="The user's password (at least 8 characters).")],
    user_principal_name: Annotated[str, typer.Option("--user-principal-name", help="Sign-in name, e.g. ana@amlite.local.")],
) -> Any:
    """Create a user."""
    return graph_client().users.create(user_principal_name, password, display_name)


def user_list(
    display_name: DisplayName = None,
    upn: Annotated[str | None, typer.Option("--upn", help="Only the user with this user principal name.")] = None,
) -> Any:
    """List users."""
    users = graph_client().users.list(display_name, prefix=True)
    if upn:
        users = [u for u in users if str(u.get("userPrincipalName", "")).lower() == upn.lower()]
    return users


def user_show(id_: Id) -> Any:
    """Show a user (by object id or user principal name)."""
    return graph_client().users.get(id_)


def user_delete(id_: Id) -> None:
    """Delete a user; its role assignments go with it."""
    graph_client().users.delete(id_)


# -- service principals --------------------------------------------------------------------------

def sp_create_for_rbac(
    name: Annotated[str, typer.Option("--name", "-n", help="Display name of the service principal.")],
    role: Annotated[str | None, typer.Option("--role", help="Role to assign at each of --scopes (name or id).")] = None,
    scopes: Annotated[list[str] | None, typer.Option("--scopes", help="Scopes of the role assignment (space-separated).")] = None,
) -> Any:
    """Create a service principal with a client secret, and optionally assign it a role."""
    session = current_session()
    graph = graph_client()
    sp = graph.service_principals.create(name)
    secret = graph.service_principals.add_password(sp["id"])
    if role:
        for scope in scopes or [default_scope(None, None)]:
            create_assignment(scope, role, sp["id"], "ServicePrincipal")
    elif scopes:
        session.warn("--scopes without --role assigns nothing.")
    return {"appId": sp["appId"], "displayName": sp["displayName"], "password": secret["secretText"],
            "tenant": session.profile().get("tenantId")}


def sp_list(display_name: DisplayName = None,
            all_: Annotated[bool, typer.Option("--all", help="Accepted for az compatibility: all are listed.")] = False) -> Any:
    """List service principals."""
    return graph_client().service_principals.list(display_name, prefix=True)


def sp_show(id_: Id) -> Any:
    """Show a service principal (by object id or app id)."""
    return graph_client().service_principals.get(id_)


def sp_delete(id_: Id) -> None:
    """Delete a service principal; its tokens stop working and its role assignments go."""
    graph_client().service_principals.delete(id_)


# -- groups --------------------------------------------------------------------------------------

def group_create(
    display_name: Annotated[str, typer.Option("--display-name", help="The group's display name.")],
    mail_nickname: Annotated[str, typer.Option("--mail-nickname", help="Mail nickname (az requires it; amlite stores no mail).")],
) -> Any:
    """Create a security group."""
    return graph_client().groups.create(display_name, mail_nickname)


def group_list(display_name: DisplayName = None) -> Any:
    """List groups."""
    return graph_client().groups.list(display_name, prefix=True)


def group_show(group: GroupRef) -> Any:
    """Show a group."""
    return graph_client().groups.get(group)


def group_delete(group: GroupRef) -> None:
    """Delete a group; its role assignments and memberships go with it."""
    graph_client().groups.delete(group)


def member_add(group: GroupRef, member_id: MemberId) -> None:
    """Add a user, service principal or group to a group."""
    graph_client().groups.add_member(group, member_id)


def member_list(group: GroupRef) -> Any:
    """List the direct members of a group."""
    return graph_client().groups.list_members(group)


def member_remove(group: GroupRef, member_id: MemberId) -> None:
    """Remove a member from a group."""
    graph_client().groups.remove_member(group, member_id)


def register(root: typer.Typer) -> None:
    for name, func in (("create", user_create), ("list", user_list), ("delete", user_delete)):
        command(user_app, name)(func)
    command(user_app, "show", not_found_exit_code=3)(user_show)
    command(sp_app, "create-for-rbac")(sp_create_for_rbac)
    command(sp_app, "list")(sp_list)
    command(sp_app, "show", not_found_exit_code=3)(sp_show)
    command(sp_app, "delete")(sp_delete)
    for name, func in (("create", group_create), ("list", group_list), ("delete", group_delete)):
        command(group_app, name)(func)
    command(group_app, "show", not_found_exit_code=3)(group_show)
    command(member_app, "add")(member_add)
    command(member_app, "list")(member_list)
    command(member_app, "remove")(member_remove)
    group_app.add_typer(member_app, name="member")
    app.add_typer(user_app, name="user")
    app.add_typer(sp_app, name="sp")
    app.add_typer(group_app, name="group")
    root.add_typer(app, name="ad")
