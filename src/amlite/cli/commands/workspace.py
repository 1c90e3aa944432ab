"""``amlite ml workspace``: create, show, list, update and delete workspaces through the SDK.

``-g`` and ``-n`` may be omitted when ``amlite configure --defaults group=... workspace=...`` set
them, as in az; a ``config.json`` is written here (``show --write-config``) for the SDK's
``MLClient.from_config`` and never read by a command.
Output is the server's body (camelCase), as ``az`` prints ARM resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from amlite.cli.args import parse_tags
from amlite.cli.command import command, current_session
from amlite.cli.session import CliError
from amlite.cli.tables import workspace_table
from amlite.sdk.entities import Workspace

if TYPE_CHECKING:
    from amlite.schemas.workspaces import WorkspaceSpec

__all__ = ["register"]

ml_app = typer.Typer(help="Manage Azure Machine Learning resources.", no_args_is_help=True)
app = typer.Typer(help="Manage Azure ML workspaces.", no_args_is_help=True)

Name = Annotated[str | None, typer.Option("--name", "-n", help="Name of the workspace (default: 'amlite configure --defaults workspace=').")]
Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Name of the resource group (default: 'amlite configure --defaults group=').")]
Tags = Annotated[list[str] | None, typer.Option("--tags", help="Space-separated tags: key[=value] [key[=value] ...].")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the long-running operation to finish.")]


def _load_yaml(path: Path) -> dict[str, Any]:
    from amlite.schemas._yaml import YamlSchemaError, load_yaml_text

    try:
        data = load_yaml_text(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError("FileNotFound", f"The file '{path}' does not exist.") from None
    except (OSError, UnicodeDecodeError, YamlSchemaError) as exc:
        raise CliError("InvalidYaml", f"Cannot read '{path}': {exc}") from None
    if not isinstance(data, dict):
        raise CliError("InvalidYaml", f"'{path}' must hold a YAML mapping.")
    return data


def _workspace_spec(path: Path) -> WorkspaceSpec:
    """The YAML's fields, or a refusal naming a field amlite does not honour (never dropped)."""
    from amlite.schemas._yaml import YamlSchemaError
    from amlite.schemas.workspaces import parse_workspace

    try:
        return parse_workspace(_load_yaml(path), str(path))
    except YamlSchemaError as exc:
        raise CliError("InvalidYaml", str(exc)) from None


def workspace_create(
    name: Name = None,
    resource_group: Group = None,
    location: Annotated[str | None, typer.Option("--location", "-l", help="Location (default: the resource group's).")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Display name.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Description.")] = None,
    tags: Tags = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A workspace YAML file (name, location, display_name, description, tags).")] = None,
    no_wait: NoWait = False,
) -> Any:
    """Create a workspace."""
    from amlite.schemas.workspaces import WorkspaceSpec

    session = current_session()
    spec = _workspace_spec(file) if file else WorkspaceSpec()
    name = name or spec.name
    scope = session.workspace_scope(resource_group or spec.resource_group, name)
    workspace = Workspace(
        name=str(scope.workspace_name),
        location=location or spec.location,
        display_name=display_name if display_name is not None else spec.display_name,
        description=description if description is not None else spec.description,
        tags=parse_tags(tags) if tags is not None else dict(spec.tags),
    )
    with session.ml_client(scope) as client:
        with session.progress(f"Creating workspace '{workspace.name}' ..."):
            poller = client.workspaces.begin_create(workspace)
            if no_wait:
                return None
            return poller.result()._to_dict()


def workspace_show(
    name: Name = None,
    resource_group: Group = None,
    write_config: Annotated[str | None, typer.Option("--write-config", help="Also write config.json for this workspace into PATH (default: the current directory).", metavar="[PATH]")] = None,
) -> Any:
    """Show a workspace (and optionally write its config.json for MLClient.from_config)."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    with session.ml_client(scope) as client:
        workspace = client.workspaces.get(scope.workspace_name)
    if write_config is not None:
        written = workspace.dump_config(write_config or ".")
        session.warn(f"Wrote {written}")
    return workspace._to_dict()


def workspace_list(resource_group: Group = None) -> Any:
    """List workspaces in a resource group, or in the subscription when no group is given."""
    session = current_session()
    scope = session.workspace_scope(resource_group, None, need_group=False, need_name=False)
    with session.ml_client(scope) as client:
        where = "resource_group" if scope.resource_group else "subscription"
        return [ws._to_dict() for ws in client.workspaces.list(scope=where)]


def workspace_update(
    name: Name = None,
    resource_group: Group = None,
    description: Annotated[str | None, typer.Option("--description", help="New description.")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="New display name.")] = None,
    tags: Tags = None,
) -> Any:
    """Update a workspace's description, display name or tags."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    change = Workspace(name=str(scope.workspace_name), description=description,
                       display_name=display_name, tags=parse_tags(tags))
    with session.ml_client(scope) as client:
        with session.progress(f"Updating workspace '{change.name}' ..."):
            return client.workspaces.begin_update(change).result()._to_dict()


def workspace_delete(
    name: Name = None,
    resource_group: Group = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not prompt for confirmation.")] = False,
    no_wait: NoWait = False,
    permanently_delete: Annotated[bool, typer.Option("--permanently-delete", help="Purge the workspace at once (a soft-deleted one too) instead of soft-deleting it.")] = False,
    all_resources: Annotated[bool, typer.Option("--all-resources", help="When it is purged, also delete its storage account, key vault, container registry and Application Insights.")] = False,
) -> None:
    """Delete a workspace: it is soft-deleted (recoverable with 'recover' for the retention period) unless --permanently-delete."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    session.confirm("Are you sure you want to perform this operation?", yes)
    with session.ml_client(scope) as client:
        poller = client.workspaces.begin_delete(scope.workspace_name, permanently_delete=permanently_delete,
                                                delete_dependent_resources=all_resources)
        if not no_wait:
            with session.progress(f"Deleting workspace '{scope.workspace_name}' ..."):
                poller.result()


def workspace_recover(name: Name = None, resource_group: Group = None) -> Any:
    """Recover a soft-deleted workspace with everything it held (amlite's addition; re-creating it in its group does the same)."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    with session.ml_client(scope) as client:
        return client.workspaces.recover(scope.workspace_name)._to_dict()


def workspace_list_deleted() -> Any:
    """List the subscription's soft-deleted workspaces, with when each will be purged (amlite's addition)."""
    session = current_session()
    scope = session.workspace_scope(None, None, need_group=False, need_name=False)
    with session.ml_client(scope) as client:
        return [ws._to_dict() for ws in client.workspaces.list_deleted()]


def register(root: typer.Typer) -> None:
    command(app, "create", table=workspace_table)(workspace_create)
    command(app, "show", table=workspace_table, not_found_exit_code=3)(workspace_show)
    command(app, "list", table=workspace_table)(workspace_list)
    command(app, "update", table=workspace_table)(workspace_update)
    command(app, "delete")(workspace_delete)
    command(app, "recover", table=workspace_table, not_found_exit_code=3)(workspace_recover)
    command(app, "list-deleted", table=workspace_table)(workspace_list_deleted)
    ml_app.add_typer(app, name="workspace")
    root.add_typer(ml_app, name="ml")
