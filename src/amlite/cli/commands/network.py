"""``amlite network private-endpoint-connection``: list, show, approve, reject and delete a
workspace's private endpoint connections, with az's arguments (``--id``, or ``--resource-name``,
``--resource-group``/``-g`` and ``--type``/``--resource-type``; ``--name``/``-n`` the connection).
After a workspace move its connections are recreated Pending: ``approve`` reconnects them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError

__all__ = ["register"]

WORKSPACES = "Microsoft.MachineLearningServices/workspaces"
ConnectionName = Annotated[str | None, typer.Option("--name", "-n", help="Name of the private endpoint connection.")]
Id = Annotated[str | None, typer.Option("--id", help="The connection's id (or, for list, the resource's id).")]
ResourceName = Annotated[str | None, typer.Option("--resource-name", help="Name of the resource (the workspace).")]
Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Name of the resource group.")]
Type = Annotated[str | None, typer.Option("--type", "--resource-type", help=f"Type of the resource: {WORKSPACES}.")]
Description = Annotated[str | None, typer.Option("--description", help="Comment for the approval or rejection.")]


def _resource_id(id_: str | None, resource_name: str | None, group: str | None, type_: str | None) -> str:
    session = current_session()
    if id_:
        return id_
    if not resource_name or not type_:
        raise CliError("MissingArgument", "the following arguments are required: --id, or --resource-name, "
                       "--resource-group/-g and --type", 2)
    if type_.lower() != WORKSPACES.lower():
        raise CliError("InvalidArgumentValue", f"--type '{type_}' is not supported; amlite's resources with private "
                       f"endpoint connections are {WORKSPACES}.", 2)
    return (f"/subscriptions/{session.subscription_id()}/resourceGroups/{session.default_group(group)}"
            f"/providers/{WORKSPACES}/{resource_name}")


def _connection(id_: str | None, name: str | None, resource_name: str | None, group: str | None,
                type_: str | None) -> tuple[str, str]:
    """(the resource's id, the connection's name), from --id or the parts."""
    if id_:
        base, sep, tail = id_.rstrip("/").rpartition("/privateEndpointConnections/")
        if not sep or not tail:
            raise CliError("InvalidArgumentValue", f"--id '{id_}' is not a private endpoint connection id.", 2)
        return base, tail
    if not name:
        raise CliError("MissingArgument", "the following arguments are required: --name/-n (or --id)", 2)
    return _resource_id(None, resource_name, group, type_), name


def pec_list(id_: Id = None, name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the resource.")] = None,
             resource_name: ResourceName = None, resource_group: Group = None, type_: Type = None) -> Any:
    """List the private endpoint connections of a resource."""
    resource = _resource_id(id_, resource_name or name, resource_group, type_)
    return current_session().arm().private_endpoint_connections.list(resource)


def pec_show(id_: Id = None, name: ConnectionName = None, resource_name: ResourceName = None,
             resource_group: Group = None, type_: Type = None) -> Any:
    """Show a private endpoint connection."""
    resource, connection = _connection(id_, name, resource_name, resource_group, type_)
    return current_session().arm().private_endpoint_connections.get(resource, connection)


def pec_approve(id_: Id = None, name: ConnectionName = None, resource_name: ResourceName = None,
                resource_group: Group = None, type_: Type = None, description: Description = None) -> Any:
    """Approve a private endpoint connection."""
    resource, connection = _connection(id_, name, resource_name, resource_group, type_)
    return current_session().arm().private_endpoint_connections.set_status(resource, connection, "Approved", description)


def pec_reject(id_: Id = None, name: ConnectionName = None, resource_name: ResourceName = None,
               resource_group: Group = None, type_: Type = None, description: Description = None) -> Any:
    """Reject a private endpoint connection."""
    resource, connection = _connection(id_, name, resource_name, resource_group, type_)
    return current_session().arm().private_endpoint_connections.set_status(resource, connection, "Rejected", description)


def pec_delete(id_: Id = None, name: ConnectionName = None, resource_name: ResourceName = None,
               resource_group: Group = None, type_: Type = None) -> None:
    """Delete a private endpoint connection."""
    resource, connection = _connection(id_, name, resource_name, resource_group, type_)
    current_session().arm().private_endpoint_connections.delete(resource, connection)


def register(root: typer.Typer) -> None:
    network = typer.Typer(help="Manage network resources.", no_args_is_help=True)
    pec = typer.Typer(help="Manage private endpoint connections.", no_args_is_help=True)
    command(pec, "list")(pec_list)
    command(pec, "show", not_found_exit_code=3)(pec_show)
    command(pec, "approve")(pec_approve)
    command(pec, "reject")(pec_reject)
    command(pec, "delete")(pec_delete)
    network.add_typer(pec, name="private-endpoint-connection")
    root.add_typer(network, name="network")
