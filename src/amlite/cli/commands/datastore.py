"""``amlite ml datastore``: create (from YAML), show, list and delete a workspace's datastores.

Credentials in the YAML (account key or SAS token) are sent once; the server keeps them encrypted
and ``show``/``list`` never print them, as az does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError
from amlite.cli.commands.assets import Group, Sets, Workspace, parse_sets, workspace_scope
from amlite.sdk.loaders import load_datastore

__all__ = ["register"]

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the datastore.")]


def datastore_table(result: Any) -> list[dict[str, Any]]:
    """Name, Type, AccountName and the container (blob container, file share or filesystem)."""
    rows = []
    for item in result if isinstance(result, list) else [result]:
        if isinstance(item, dict):
            rows.append({"Name": item.get("name"), "Type": item.get("type"), "AccountName": item.get("account_name"),
                         "Container": item.get("container_name") or item.get("filesystem")
                         or item.get("file_share_name")})
    return rows


def datastore_create(
    file: Annotated[Path, typer.Option("--file", "-f", help="The datastore YAML file.")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name (overrides the file's).")] = None,
    set_: Sets = None,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """Create (or replace) a datastore from a YAML file."""
    session = current_session()
    overrides = parse_sets(set_) + ([{"name": name}] if name else [])
    datastore = load_datastore(file, params_override=overrides)
    scope = workspace_scope(resource_group, workspace_name)
    with session.ml_client(scope) as client:
        return client.datastores.create_or_update(datastore)._to_dict()


def datastore_show(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Show a datastore (without its secrets)."""
    session = current_session()
    scope = workspace_scope(resource_group, workspace_name)
    with session.ml_client(scope) as client:
        return client.datastores.get(name)._to_dict()


def datastore_list(workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """List the workspace's datastores, the default ones included."""
    session = current_session()
    scope = workspace_scope(resource_group, workspace_name)
    with session.ml_client(scope) as client:
        return [store._to_dict() for store in client.datastores.list()]


_UPDATABLE = ("subscription_id", "resource_group", "description")


def datastore_update(
    name: Name,
    set_: Sets = None,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """Update a datastore's fields with --set (subscription_id, resource_group, description,
    tags.KEY): e.g. point it at its storage account's subscription and group after a move. Its
    credentials are kept."""
    session = current_session()
    scope = workspace_scope(resource_group, workspace_name)
    with session.ml_client(scope) as client:
        store = client.datastores.get(name)
        changes = {k: v for item in parse_sets(set_) for k, v in item.items()}
        for key, value in changes.items():
            if key.startswith("tags."):
                store.tags = {**(store.tags or {}), key[len("tags."):]: value}
            elif key in _UPDATABLE:
                setattr(store, key, value or None)
            else:
                raise CliError("InvalidArgumentValue", f"--set: '{key}' cannot be updated; use "
                               f"{', '.join(_UPDATABLE)} or tags.KEY (or 'amlite ml datastore create --file').", 2)
        store.credentials = client.datastores.list_secrets(name)
        return client.datastores.create_or_update(store)._to_dict()


def datastore_delete(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> None:
    """Delete a datastore (the data in the storage account is not touched); no prompt, as in az."""
    session = current_session()
    scope = workspace_scope(resource_group, workspace_name)
    with session.ml_client(scope) as client:
        client.datastores.delete(name)


def register(ml_app: typer.Typer) -> None:
    app = typer.Typer(help="Manage Azure ML datastores.", no_args_is_help=True)
    command(app, "create", table=datastore_table)(datastore_create)
    command(app, "show", table=datastore_table, not_found_exit_code=3)(datastore_show)
    command(app, "list", table=datastore_table)(datastore_list)
    command(app, "update", table=datastore_table)(datastore_update)
    command(app, "delete")(datastore_delete)
    ml_app.add_typer(app, name="datastore")
