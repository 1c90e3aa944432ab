"""``amlite ml registry``: create, show, list, update and delete registries through the SDK.

``create --file registry.yml`` reads the CLI v2 YAML of seed 002 as written. Registry names are
unique in the tenant, so ``show``, ``update`` and ``delete`` need only ``-n``; ``create`` needs a
resource group (``-g``, else ``amlite configure --defaults group=``). Adding or
removing a region is an ``update --file`` with the edited YAML (the primary ``location`` never
changes). Output is the server's body, as ``az`` prints it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.commands.assets import parse_sets
from amlite.cli.session import CliError
from amlite.cli.tables import registry_table
from amlite.sdk.errors import ErrorDetail, ResourceNotFoundError, ValidationException
from amlite.sdk.registry_entities import Registry, load_registry

__all__ = ["register"]

app = typer.Typer(help="Manage Azure ML registries.", no_args_is_help=True)

Name = Annotated[str | None, typer.Option("--name", "-n", help="Name of the registry.")]
Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Name of the resource group (default: 'amlite configure --defaults group=').")]
File = Annotated[Path | None, typer.Option("--file", "-f", help="A registry YAML file (name, description, tags, location, replication_locations).")]
Sets = Annotated[list[str] | None, typer.Option("--set", help="Space-separated KEY=VALUE overrides (description=..., tags.k=v).")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the long-running operation to finish.")]


def _load(file: Path, sets: list[str] | None) -> Registry:
    try:
        return load_registry(file, params_override=parse_sets(sets))
    except ValidationException as exc:
        raise CliError("InvalidYaml", f"{file}: {exc.error.message if exc.error else exc}") from None


def _need(name: str | None) -> str:
    if not name:
        raise CliError("MissingArgument", "the following arguments are required: --name/-n", exit_code=2)
    return name


def registry_create(file: File = None, name: Name = None, resource_group: Group = None, set_: Sets = None,
                    no_wait: NoWait = False) -> Any:
    """Create a registry from a YAML file (--name overrides the file's name)."""
    session = current_session()
    if file is None:
        raise CliError("MissingArgument", "the following arguments are required: --file/-f", exit_code=2)
    registry = _load(file, set_)
    registry.name = name or registry.name
    scope = session.workspace_scope(resource_group, None, need_name=False)
    with session.ml_client(scope) as client:
        with session.progress(f"Creating registry '{registry.name}' ..."):
            poller = client.registries.begin_create(registry)
            return None if no_wait else poller.result()._to_dict()


def _in_group(registry: Registry, resource_group: str | None) -> Registry:
    """The registry, when ``-g`` (which az requires, and amlite accepts) names its group."""
    if resource_group and (registry.resource_group or "").lower() != resource_group.lower():
        raise ResourceNotFoundError(error=ErrorDetail(
            code="ResourceNotFound", message=f"The Resource 'Microsoft.MachineLearningServices/registries/"
                                             f"{registry.name}' under resource group '{resource_group}' was not found."))
    return registry


def registry_show(name: Name = None, resource_group: Group = None) -> Any:
    """Show a registry (found by name anywhere in the tenant; -g, if given, must be its group); exit 3 if missing."""
    session = current_session()
    scope = session.workspace_scope(None, None, need_group=False, need_name=False)
    with session.ml_client(scope) as client:
        return _in_group(client.registries.get(_need(name)), resource_group)._to_dict()


def registry_list(resource_group: Group = None) -> Any:
    """List registries in a resource group, or in the subscription when no group is given."""
    session = current_session()
    scope = session.workspace_scope(resource_group, None, need_group=False, need_name=False)
    with session.ml_client(scope) as client:
        where = "resource_group" if scope.resource_group else "subscription"
        return [r._to_dict() for r in client.registries.list(scope=where)]


def registry_update(name: Name = None, file: File = None, set_: Sets = None, resource_group: Group = None) -> Any:
    """Update a registry: --set description=... tags.k=v, or --file with the edited YAML (regions added
    or removed; the primary location cannot change)."""
    session = current_session()
    scope = session.workspace_scope(None, None, need_group=False, need_name=False)
    with session.ml_client(scope) as client:
        if file is not None:
            change = _load(file, set_)
            change.name = name or change.name
        else:
            change = Registry(name=_need(name))
            for override in parse_sets(set_):
                for key, value in override.items():
                    if key == "description":
                        change.description = value
                    elif key.startswith("tags."):
                        change.tags = {**(change.tags or client.registries.get(change.name).tags or {}), key[5:]: value}
                    else:
                        raise CliError("InvalidArgumentValue",
                                       f"--set: '{key}' cannot be updated; use description or tags.KEY "
                                       "(regions: --file with the edited YAML).", 2)
        found = _in_group(client.registries.get(change.name), resource_group)
        change.resource_group, change.subscription_id = found.resource_group, found.subscription_id
        with session.progress(f"Updating registry '{change.name}' ..."):
            return client.registries.begin_update(change).result()._to_dict()


def registry_delete(name: Name = None, resource_group: Group = None,
                    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not prompt for confirmation.")] = False,
                    no_wait: NoWait = False,
                    permanently_delete: Annotated[bool, typer.Option("--permanently-delete", help="Purge the registry and its storage in every region at once (a soft-deleted one too; name its --resource-group).")] = False) -> None:
    """Delete a registry: it is soft-deleted (recoverable with 'recover', its name reserved) unless --permanently-delete."""
    session = current_session()
    scope = session.workspace_scope(None, None, need_group=False, need_name=False)
    session.confirm("Are you sure you want to perform this operation?", yes)
    with session.ml_client(scope) as client:
        if resource_group and not permanently_delete:
            _in_group(client.registries.get(_need(name)), resource_group)
        poller = client.registries.begin_delete(_need(name), resource_group=resource_group,
                                                permanently_delete=permanently_delete)
        if not no_wait:
            with session.progress(f"Deleting registry '{name}' ..."):
                poller.result()


def registry_recover(name: Name = None, resource_group: Group = None) -> Any:
    """Recover a soft-deleted registry with its assets (amlite's addition)."""
    session = current_session()
    scope = session.workspace_scope(resource_group, None, need_name=False)
    with session.ml_client(scope) as client:
        return client.registries.recover(_need(name), resource_group=scope.resource_group)._to_dict()


def registry_list_deleted() -> Any:
    """List the subscription's soft-deleted registries, with when each will be purged (amlite's addition)."""
    session = current_session()
    scope = session.workspace_scope(None, None, need_group=False, need_name=False)
    with session.ml_client(scope) as client:
        return [r._to_dict() for r in client.registries.list_deleted()]


def register(ml_app: typer.Typer) -> None:
    command(app, "create", table=registry_table)(registry_create)
    command(app, "show", table=registry_table, not_found_exit_code=3)(registry_show)
    command(app, "list", table=registry_table)(registry_list)
    command(app, "update", table=registry_table)(registry_update)
    command(app, "delete")(registry_delete)
    command(app, "recover", table=registry_table, not_found_exit_code=3)(registry_recover)
    command(app, "list-deleted", table=registry_table)(registry_list_deleted)
    ml_app.add_typer(app, name="registry")
