"""``amlite ml connection``: create (from YAML), show, list, update and delete a workspace's
connections.

Credentials in the YAML are sent once; the server keeps them encrypted and ``create``, ``show``,
``list`` and ``update`` never print them (``credentials`` shows only their ``type``), as az does.
A project lists its hub's shared connections too, marked ``shared_from`` with the hub's id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError
from amlite.cli.commands.assets import Group, Sets, Workspace, parse_sets, workspace_scope
from amlite.schemas import YamlSchemaError
from amlite.schemas._yaml import apply_overrides
from amlite.schemas.connections import connection_dict, parse_connection
from amlite.sdk.asset_entities import spec_error
from amlite.sdk.loaders import load_connection

__all__ = ["register"]

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the connection.")]
File = Annotated[Path, typer.Option("--file", "-f", help="The connection YAML file.")]


def connection_table(result: Any) -> list[dict[str, Any]]:
    """Name, Type, Target, the credentials' type, and where a shared connection comes from."""
    rows = []
    for item in result if isinstance(result, list) else [result]:
        if isinstance(item, dict):
            rows.append({"Name": item.get("name"), "Type": item.get("type"), "Target": item.get("target"),
                         "Auth": (item.get("credentials") or {}).get("type"),
                         "SharedFrom": (item.get("shared_from") or "").rsplit("/", 1)[-1]})
    return rows


def connection_create(
    file: File,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name (overrides the file's).")] = None,
    set_: Sets = None,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """Create (or replace) a connection from a YAML file."""
    session = current_session()
    overrides = parse_sets(set_) + ([{"name": name}] if name else [])
    connection = load_connection(file, params_override=overrides)
    with session.ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return client.connections.create_or_update(connection)._to_dict()


def connection_show(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Show a connection (without its secrets)."""
    session = current_session()
    with session.ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return client.connections.get(name)._to_dict()


def connection_list(
    type_: Annotated[str | None, typer.Option("--type", "-t", help="Only connections of this type (git, azure_open_ai, ...).")] = None,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """List the connections the workspace sees: its own and, in a project, its hub's shared ones."""
    session = current_session()
    with session.ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return [c._to_dict() for c in client.connections.list(connection_type=type_)]


def connection_update(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the connection (default: the file's).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A connection YAML with the new settings.")] = None,
    set_: Sets = None,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """Update a connection from a YAML file and/or --set KEY=VALUE on its current settings.
    Credentials not given stay as they are."""
    session = current_session()
    overrides = parse_sets(set_)
    with session.ml_client(workspace_scope(resource_group, workspace_name)) as client:
        if file is not None:
            spec = load_connection(file, params_override=overrides + ([{"name": name}] if name else []))._spec
        else:
            if not name:
                raise CliError("MissingArgument", "the following arguments are required: --name/-n or --file/-f", 2)
            if not overrides:
                raise CliError("MissingArgument", "give --file/-f or at least one --set KEY=VALUE.", 2)
            spec = _changed(client.connections.get(name)._to_dict(), overrides)
        assert spec is not None
        return client.connections.update(spec.name, spec.properties)._to_dict()


def _changed(current: dict[str, Any], overrides: list[dict[str, str]]) -> Any:
    """The connection as shown, with ``--set`` applied, as the properties of a PATCH: credentials
    of an unchanged type are left out, so the server keeps them."""
    data = {k: v for k, v in current.items() if k not in ("id", "shared_from", "tags")}
    keys = {key for item in overrides for key in item}
    if "target" in keys:  # the type's own name for the target (azure_endpoint, ...) follows target
        for alias in ("azure_endpoint", "endpoint", "api_base", "url"):
            data.pop(alias, None)
    try:
        spec = parse_connection(apply_overrides(data, overrides), "--set")
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    return spec


def connection_delete(
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not prompt for confirmation.")] = False,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> None:
    """Delete a connection and its stored credentials (asks for confirmation unless --yes)."""
    session = current_session()
    session.confirm("Are you sure you want to perform this operation?", yes)
    with session.ml_client(workspace_scope(resource_group, workspace_name)) as client:
        client.connections.delete(name)


def register(ml_app: typer.Typer) -> None:
    app = typer.Typer(help="Manage Azure ML workspace connections.", no_args_is_help=True)
    command(app, "create", table=connection_table)(connection_create)
    command(app, "show", table=connection_table, not_found_exit_code=3)(connection_show)
    command(app, "list", table=connection_table)(connection_list)
    command(app, "update", table=connection_table)(connection_update)
    command(app, "delete")(connection_delete)
    ml_app.add_typer(app, name="connection")
