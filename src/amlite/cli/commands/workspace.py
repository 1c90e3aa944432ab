"""``amlite ml workspace``: create, show, list, update and delete workspaces through the SDK.

``-g`` and ``-n`` may be omitted when ``amlite configure --defaults group=... workspace=...`` set
them, as in az; a ``config.json`` is written here (``show --write-config``) for the SDK's
``MLClient.from_config`` and never read by a command.
Output is the server's body (camelCase), as ``az`` prints ARM resources.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from amlite.cli.args import parse_tags
from amlite.cli.commands import pair
from amlite.cli.command import command, current_session
from amlite.cli.command import Outcome, command, current_session
from amlite.cli.session import CliError
from amlite.cli.tables import drift_table, workspace_table
from amlite.sdk.entities import Workspace

if TYPE_CHECKING:
    from amlite.schemas.workspaces import WorkspaceSpec

__all__ = ["register"]

app = typer.Typer(help="Manage Azure ML workspaces.", no_args_is_help=True)

Name = Annotated[str | None, typer.Option("--name", "-n", help="Name of the workspace (default: 'amlite configure --defaults workspace=').")]
Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Name of the resource group (default: 'amlite configure --defaults group=').")]
Tags = Annotated[list[str] | None, typer.Option("--tags", help="Space-separated tags: key[=value] [key[=value] ...].")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the long-running operation to finish.")]
PublicAccess = Annotated[str | None, typer.Option("--public-network-access", help="Hub: Enabled or Disabled (its projects inherit it).")]
ManagedNetwork = Annotated[str | None, typer.Option("--managed-network", help="Hub: isolation mode of the managed network: disabled, allow_internet_outbound or allow_only_approved_outbound.")]
AppInsights = Annotated[str | None, typer.Option("--application-insights", help="Project: the ARM id of its own Application Insights (instead of the hub's).")]
DefaultProjectGroup = Annotated[str | None, typer.Option("--default-project-resource-group", help="Hub: the resource group (name or ARM id) where users with the hub's join action create projects without a role on the group.")]


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
    file: Annotated[Path | None, typer.Option("--file", "-f", help="A workspace YAML file (name, location, display_name, description, tags; kind: hub with its settings, kind: project with hub_id).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="default, hub or project.")] = None,
    hub_id: Annotated[str | None, typer.Option("--hub-id", help="Project: the ARM id of its hub.")] = None,
    default_project_resource_group: DefaultProjectGroup = None,
    public_network_access: PublicAccess = None,
    managed_network: ManagedNetwork = None,
    customer_managed_key: Annotated[str | None, typer.Option("--customer-managed-key", help="Hub: the key vault key URI that encrypts it (its projects inherit it).")] = None,
    application_insights: AppInsights = None,
    no_wait: NoWait = False,
) -> Any:
    """Create a workspace, a hub (--kind hub) or a project of a hub (--kind project --hub-id)."""
    from amlite.schemas.workspaces import WorkspaceSpec

    session = current_session()
    spec = _workspace_spec(file) if file else WorkspaceSpec()
    name = name or spec.name
    scope = session.workspace_scope(resource_group or spec.resource_group, name)
    given = spec.kind_fields()
    if kind is not None:
        if kind.lower() not in ("default", "hub", "project"):
            raise CliError("InvalidArgumentValue", f"--kind '{kind}' is not valid: use default, hub or project.")
        given["kind"] = kind.capitalize()
    for key, value in (("hub_id", hub_id), ("default_resource_group", default_project_resource_group),
                       ("public_network_access", public_network_access), ("managed_network", managed_network),
                       ("customer_managed_key", customer_managed_key), ("application_insights", application_insights)):
        if value is not None:
            given[key] = value
    if given.get("kind") == "Project" and not given.get("hub_id"):
        raise CliError("MissingArgument", "A project needs its hub: --hub-id HUB_ARM_ID (or hub_id in the YAML).")
    workspace = Workspace(
        name=str(scope.workspace_name),
        location=location or spec.location,
        display_name=display_name if display_name is not None else spec.display_name,
        description=description if description is not None else spec.description,
        tags=parse_tags(tags) if tags is not None else dict(spec.tags),
        **given,
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
    public_network_access: PublicAccess = None,
    managed_network: ManagedNetwork = None,
    default_project_resource_group: DefaultProjectGroup = None,
    application_insights: AppInsights = None,
) -> Any:
    """Update a workspace's description, display name or tags; a hub's network settings and default
    project group; a project's Application Insights."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    change = Workspace(name=str(scope.workspace_name), description=description,
                       display_name=display_name, tags=parse_tags(tags),
                       public_network_access=public_network_access, managed_network=managed_network,
                       default_resource_group=default_project_resource_group,
                       application_insights=application_insights)
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


def workspace_export(
    to: Annotated[Path, typer.Option("--to", help="The bundle file to write: .tar or .tar.gz (.tgz).")],
    name: Name = None,
    resource_group: Group = None,
) -> Any:
    """Export a workspace's assets, artifacts, jobs (with logs, metrics, outputs), lineage and datastores to a bundle with a checksum manifest (amlite's addition)."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    with session.ml_client(scope) as client:
        with session.progress(f"Exporting workspace '{scope.workspace_name}' to {to} ..."):
            counts = client.workspaces.export_bundle(to, scope.workspace_name)
    return {"bundle": str(to), "size": to.stat().st_size, **counts}


def workspace_import(
    from_: Annotated[Path, typer.Option("--from", help="The bundle file to import (.tar or .tar.gz).")],
    name: Name = None,
    resource_group: Group = None,
) -> Any:
    """Import a bundle into a workspace: every member is checked against the manifest first; what exists is kept, so a re-import adds nothing (amlite's addition)."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    if not from_.is_file():
        raise CliError("FileNotFound", f"The bundle '{from_}' does not exist.")
    with session.ml_client(scope) as client:
        with session.progress(f"Importing {from_} into workspace '{scope.workspace_name}' ..."):
            return client.workspaces.import_bundle(from_, scope.workspace_name)


def workspace_backup(
    to: Annotated[Path, typer.Option("--to", help="The backup file to write: .tar or .tar.gz (.tgz).")],
    name: Name = None,
    resource_group: Group = None,
) -> Any:
    """Back up a workspace's metadata and artifacts at this point in time: an export that also carries the datastores' secrets, encrypted (amlite's addition; restore with 'restore')."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    with session.ml_client(scope) as client:
        with session.progress(f"Backing up workspace '{scope.workspace_name}' to {to} ..."):
            counts = client.workspaces.export_bundle(to, scope.workspace_name, backup=True)
    return {"bundle": str(to), "size": to.stat().st_size, **counts}


def workspace_restore(
    from_: Annotated[Path, typer.Option("--from", help="The backup (or export) file to restore.")],
    name: Name = None,
    resource_group: Group = None,
) -> Any:
    """Restore a backup into this workspace or another one, in any region: an import that also restores the datastores' secrets (amlite's addition)."""
    return workspace_import(from_, name, resource_group)
def _template(session: Any, group: str, name: str) -> dict[str, Any]:
    ws_id = (f"/subscriptions/{session.subscription_id()}/resourceGroups/{group}"
             f"/providers/Microsoft.MachineLearningServices/workspaces/{name}")
    return dict(session.arm().resource_groups.export_template(group, [ws_id])["template"])


def workspace_export_template(
    name: Name = None,
    resource_group: Group = None,
    file: Annotated[Path | None, typer.Option("--file", help="Write the template to this file instead of printing it.")] = None,
) -> Any:
    """Export the workspace's configuration, computes, online endpoints and deployments and its role
    assignments as an ARM template; deploy it with 'amlite deployment group create --template-file'."""
    session = current_session()
    scope = session.workspace_scope(resource_group, name)
    template = _template(session, str(scope.resource_group), str(scope.workspace_name))
    if file is None:
        return template
    file.write_text(json.dumps(template, indent=2) + "\n", encoding="utf-8")
    session.warn(f"Wrote {file}")
    return None


_WS_ID = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/"
                    r"workspaces/([^/]+)$", re.IGNORECASE)


def _side(session: Any, ref: str, group: str | None) -> tuple[str, str]:
    found = _WS_ID.match(ref.rstrip("/"))
    if found:
        if found.group(1).lower() != session.subscription_id().lower():
            raise CliError("InvalidArgumentValue", f"'{ref}' is in another subscription; pass --subscription.", 2)
        return found.group(2), found.group(3)
    return session.default_group(group), ref


def workspace_diff(
    a: Annotated[str, typer.Argument(help="The first workspace: a name (with -g) or an ARM id.")],
    b: Annotated[str, typer.Argument(help="The second workspace: a name (with a second -g) or an ARM id.")],
    resource_group: Annotated[list[str] | None, typer.Option("--resource-group", "-g", help="The group of A, then of B (one -g: both).")] = None,
) -> Any:
    """Report the drift between two workspaces' configuration, computes, endpoints, deployments and
    role assignments (names and locations aside). Exit code 0 when they are equal, 1 when they differ."""
    from amlite.domain.templates import drift  # the template engine: only this command needs it

    session = current_session()
    groups = list(resource_group or [])
    if len(groups) > 2:
        raise CliError("InvalidArgumentValue", "Give -g at most twice: A's group, then B's.", 2)
    ga = groups[0] if groups else None
    gb = groups[1] if len(groups) > 1 else ga
    left, right = _side(session, a, ga), _side(session, b, gb)
    differences = drift(_template(session, *left), _template(session, *right))
    report = {"a": f"{left[0]}/{left[1]}", "b": f"{right[0]}/{right[1]}", "equal": not differences,
              "differences": differences}
    return Outcome(report, 1 if differences else 0)


def register(ml_app: typer.Typer) -> None:
    command(app, "create", table=workspace_table)(workspace_create)
    command(app, "show", table=workspace_table, not_found_exit_code=3)(workspace_show)
    command(app, "list", table=workspace_table)(workspace_list)
    command(app, "update", table=workspace_table)(workspace_update)
    command(app, "delete")(workspace_delete)
    command(app, "recover", table=workspace_table, not_found_exit_code=3)(workspace_recover)
    command(app, "list-deleted", table=workspace_table)(workspace_list_deleted)
    pair.register(app)
    command(app, "export")(workspace_export)
    command(app, "import")(workspace_import)
    command(app, "backup")(workspace_backup)
    command(app, "restore")(workspace_restore)
    command(app, "export-template")(workspace_export_template)
    command(app, "diff", table=drift_table, not_found_exit_code=3)(workspace_diff)
    ml_app.add_typer(app, name="workspace")
