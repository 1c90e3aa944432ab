"""``amlite ml model|environment|component|data``: versioned assets from Azure ML CLI v2 YAML.

The four kinds share their commands (create, show, list, update, archive, restore), so one factory
builds each group; ``model download`` is the model's own. As in az, ``create --file F`` reads the
YAML (relative paths from the file's folder), ``--name/--version/--path/--set k=v`` override it,
local files are uploaded (a progress bar on stderr for large ones when it is a terminal), and the
server's body is printed. ``-w``/``-g`` default as for ``ml workspace`` (``amlite configure
--defaults``).

``--registry-name R`` makes a command work on registry ``R``'s assets instead, from any
workspace's context (the registry is found by name in the tenant; a workspace in context, if
any, is the one whose region a download is served from). ``share`` copies a workspace version
into a registry, with the exact options of ``az ml <kind> share``; since ``--registry-name`` is
already the target there, ``--source-registry-name`` names a registry to share *from* instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.progress import transfer_progress
from amlite.cli.session import CliError, WorkspaceScope
from amlite.sdk.asset_entities import ListViewType

__all__ = ["register"]

Workspace = Annotated[str | None, typer.Option("--workspace-name", "-w", help="Name of the workspace (default: 'amlite configure --defaults workspace=').")]
Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Name of the resource group (default: 'amlite configure --defaults group=').")]
RegistryName = Annotated[str | None, typer.Option("--registry-name", help="Work on this registry's assets instead of a workspace's.")]
Sets = Annotated[list[str] | None, typer.Option("--set", help="Space-separated KEY=VALUE overrides of the YAML (dotted keys: tags.team=a).")]

#: The loader of each kind in ``amlite.sdk.loaders`` (imported by the commands that read a YAML).
_LOADERS = {"model": "load_model", "environment": "load_environment", "component": "load_component", "data": "load_data"}
_OPERATIONS = {"model": "models", "environment": "environments", "component": "components", "data": "data"}


def asset_table(result: Any) -> list[dict[str, Any]]:
    """Name, Version (the latest one for a list of assets), Description, CreatedAt."""
    rows: list[dict[str, Any]] = []
    for item in result if isinstance(result, list) else [result]:
        if not isinstance(item, dict):
            continue
        rows.append({"Name": item.get("name"), "Version": item.get("version") or item.get("latest_version"),
                     "Description": item.get("description"),
                     "CreatedAt": (item.get("creation_context") or {}).get("created_at")})
    return rows


def parse_sets(values: list[str] | None) -> list[dict[str, str]]:
    """``["tags.a=b", "version=2"]`` → azure-ai-ml's ``params_override`` list."""
    overrides: list[dict[str, str]] = []
    for item in values or []:
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError("InvalidArgumentValue", f"--set: '{item}' is not in KEY=VALUE form.", 2)
        overrides.append({key.strip(): value})
    return overrides


def workspace_scope(resource_group: str | None, workspace_name: str | None) -> Any:
    """The session's scope, with the missing-workspace message naming ``-w`` (``-n`` is the asset here)."""
    try:
        return current_session().workspace_scope(resource_group, workspace_name)
    except CliError as exc:
        if exc.code == "MissingArgument" and "--name/-n" in exc.message:
            exc.message = exc.message.replace("--name/-n", "--workspace-name/-w")
        raise


def _operations(client: Any, kind: str) -> Any:
    return getattr(client, _OPERATIONS[kind])


def asset_client(resource_group: str | None, workspace_name: str | None, registry_name: str | None) -> Any:
    """An MLClient on the workspace in context, or on registry ``registry_name`` (then a workspace
    is optional: without one in context the registry is still found by name)."""
    session = current_session()
    if registry_name is None:
        return session.ml_client(workspace_scope(resource_group, workspace_name))
    try:
        scope = workspace_scope(resource_group, workspace_name)
    except CliError as exc:
        if exc.code != "MissingArgument":
            raise
        scope = WorkspaceScope(session.subscription_id(), None, None)
    client = session.ml_client(scope)
    client.registry_name = registry_name
    return client


File = Annotated[Path | None, typer.Option("--file", "-f", help="The asset's YAML file (Azure ML CLI v2 schema).")]
NameOverride = Annotated[str | None, typer.Option("--name", "-n", help="Name (overrides the file's).")]
VersionOverride = Annotated[str | None, typer.Option("--version", "-v", help="Version (overrides the file's; omitted: the next integer).")]
PathOverride = Annotated[str | None, typer.Option("--path", "-p", help="Local path or URI (overrides the file's).")]
TypeOverride = Annotated[str | None, typer.Option("--type", "-t", help="Asset type (model: custom_model|mlflow_model|triton_model; data: uri_file|uri_folder|mltable).")]


def _create(kind: str, file: Path | None, overrides: list[dict[str, str]], workspace_name: str | None,
            resource_group: str | None, registry_name: str | None = None) -> Any:
    from amlite.sdk import loaders

    session = current_session()
    if file is not None:
        entity = getattr(loaders, _LOADERS[kind])(file, params_override=overrides)
    elif kind in ("model", "data"):
        from amlite.schemas._yaml import apply_overrides

        entity = loaders.asset_from_dict(kind, apply_overrides({}, overrides), Path.cwd())
    else:
        raise CliError("MissingArgument", "the following arguments are required: --file/-f", 2)
    with asset_client(resource_group, workspace_name, registry_name) as client:
        operations = _operations(client, kind)
        with transfer_progress(f"Uploading {entity.name}", quiet=session.options.only_show_errors) as hook:
            operations.on_progress = hook
            return operations.create_or_update(entity)._to_dict()


def _given(**values: str | None) -> list[dict[str, str]]:
    return [{key: value} for key, value in values.items() if value is not None]


def _make_create(kind: str) -> Callable[..., Any]:
    if kind in ("model", "data"):
        def create_with_path(file: File = None, name: NameOverride = None, version: VersionOverride = None,
                             path: PathOverride = None, type_: TypeOverride = None, set_: Sets = None,
                             workspace_name: Workspace = None, resource_group: Group = None,
                             registry_name: RegistryName = None) -> Any:
            overrides = parse_sets(set_) + _given(name=name, version=version, path=path, type=type_)
            return _create(kind, file, overrides, workspace_name, resource_group, registry_name)

        create_with_path.__doc__ = f"Create a {kind} version from a YAML file or options (local files are uploaded)."
        return create_with_path

    def create(file: File = None, name: NameOverride = None, version: VersionOverride = None, set_: Sets = None,
               workspace_name: Workspace = None, resource_group: Group = None,
               registry_name: RegistryName = None) -> Any:
        overrides = parse_sets(set_) + _given(name=name, version=version)
        return _create(kind, file, overrides, workspace_name, resource_group, registry_name)

    create.__doc__ = f"Create a {kind} version from a YAML file (local files are uploaded)."
    return create


Name = Annotated[str, typer.Option("--name", "-n", help="Name of the asset.")]
OptionalVersion = Annotated[str | None, typer.Option("--version", "-v", help="Version (omitted: the whole asset).")]


def _make_show(kind: str) -> Callable[..., Any]:
    def show(
        name: Name,
        version: Annotated[str | None, typer.Option("--version", "-v", help="Version.")] = None,
        label: Annotated[str | None, typer.Option("--label", "-l", help="Label instead of a version: 'latest'.")] = None,
        workspace_name: Workspace = None,
        resource_group: Group = None,
        registry_name: RegistryName = None,
    ) -> Any:
        if (version is None) == (label is None):
            raise CliError("MissingArgument", "give exactly one of --version/-v and --label/-l", 2)
        with asset_client(resource_group, workspace_name, registry_name) as client:
            return _operations(client, kind).get(name, version=version, label=label)._to_dict()

    show.__doc__ = f"Show a {kind} version (by --version or --label latest)."
    return show


def _make_list(kind: str) -> Callable[..., Any]:
    def list_(
        name: Annotated[str | None, typer.Option("--name", "-n", help="List the versions of this asset.")] = None,
        include_archived: Annotated[bool, typer.Option("--include-archived", help="Also list archived ones.")] = False,
        archived_only: Annotated[bool, typer.Option("--archived-only", help="List only archived ones.")] = False,
        max_results: Annotated[int | None, typer.Option("--max-results", "-r", help="At most this many.")] = None,
        tags: Annotated[list[str] | None, typer.Option(
            "--tags", help="Only versions with these tags: KEY=VALUE or KEY (any value), space-separated; "
                           "without --name, the versions of every model of the workspace (models only).")] = None,
        workspace_name: Workspace = None,
        resource_group: Group = None,
        registry_name: RegistryName = None,
    ) -> Any:
        view = ListViewType.ARCHIVED_ONLY if archived_only else ListViewType.ALL if include_archived \
            else ListViewType.ACTIVE_ONLY
        wanted = _tag_filter(tags)
        if wanted and name is None and kind != "model":
            raise CliError("InvalidArgumentValue", f"--tags without --name searches models only; give --name "
                                                   f"to filter the versions of one {kind}.")
        with asset_client(resource_group, workspace_name, registry_name) as client:
            items = []
            operations = _operations(client, kind)
            found = (operations.search(wanted, list_view_type=view) if wanted and name is None  # type: ignore[attr-defined]
                     else operations.list(name, list_view_type=view, tags=wanted or None))
            for item in found:
                if max_results is not None and len(items) >= max_results:
                    break
                items.append(item._to_dict())
            return items

    list_.__doc__ = f"List {kind} assets, or the versions of one with --name."
    return list_


def _tag_filter(tags: list[str] | None) -> dict[str, Any]:
    """``["stage=prod", "team"]`` → ``{"stage": "prod", "team": None}``."""
    wanted: dict[str, Any] = {}
    for item in (part for text in tags or [] for part in text.split()):
        key, sep, value = item.partition("=")
        if not key:
            raise CliError("InvalidArgumentValue", f"--tags: '{item}' names no tag (KEY=VALUE or KEY).")
        wanted[key] = value if sep else None
    return wanted


def _make_update(kind: str) -> Callable[..., Any]:
    def update(
        name: Name,
        version: Annotated[str, typer.Option("--version", "-v", help="Version to update.")],
        set_: Sets = None,
        workspace_name: Workspace = None,
        resource_group: Group = None,
        registry_name: RegistryName = None,
    ) -> Any:
        description: str | None = None
        clear_tags = False
        tag_changes: dict[str, str] = {}
        for override in parse_sets(set_):  # checked before any request: a bad --set changes nothing
            ((key, value),) = override.items()
            if key == "description":
                description = value
            elif key == "tags" and value.strip() in ("", "{}"):
                clear_tags, tag_changes = True, {}
            elif key.startswith("tags.") and len(key) > len("tags."):
                tag_changes[key[len("tags."):]] = value
            else:
                raise CliError("InvalidArgumentValue", f"--set: only description, tags and tags.KEY can change "
                               f"on a version (its content is immutable), not '{key}'.", 2)
        with asset_client(resource_group, workspace_name, registry_name) as client:
            operations = _operations(client, kind)
            tags: dict[str, str] | None = None
            if clear_tags or tag_changes:
                tags = {} if clear_tags else dict(operations.get(name, version=version).tags or {})
                tags.update(tag_changes)
            return operations.update(name, version, description=description, tags=tags)._to_dict()

    update.__doc__ = f"Update the description or tags of a {kind} version (--set description=... tags.k=v)."
    return update


def _make_state(kind: str, action: str) -> Callable[..., Any]:
    def change(name: Name, version: OptionalVersion = None, workspace_name: Workspace = None,
               resource_group: Group = None, registry_name: RegistryName = None) -> None:
        with asset_client(resource_group, workspace_name, registry_name) as client:
            getattr(_operations(client, kind), action)(name, version=version)

    change.__doc__ = f"{action.capitalize()} a {kind} version, or every version of it without --version."
    return change


def _make_delete(kind: str) -> Callable[..., Any]:
    def delete(name: Name, version: Annotated[str, typer.Option("--version", "-v", help="Version to delete.")],
               workspace_name: Workspace = None, resource_group: Group = None, registry_name: RegistryName = None,
               permanently_delete: Annotated[bool, typer.Option("--permanently-delete", help="Purge the version at once (a soft-deleted one too) instead of soft-deleting it.")] = False) -> None:
        with asset_client(resource_group, workspace_name, registry_name) as client:
            _operations(client, kind).delete_version(name, version, permanently_delete=permanently_delete)

    delete.__doc__ = (f"Soft-delete a {kind} version (amlite's addition; az has no delete): hidden, recoverable "
                      "with 'recover' until the retention ends, unless --permanently-delete.")
    return delete


def _make_recover(kind: str) -> Callable[..., Any]:
    def recover(name: Name, version: Annotated[str, typer.Option("--version", "-v", help="Version to recover.")],
                workspace_name: Workspace = None, resource_group: Group = None,
                registry_name: RegistryName = None) -> Any:
        with asset_client(resource_group, workspace_name, registry_name) as client:
            return _operations(client, kind).recover_version(name, version)._to_dict()

    recover.__doc__ = (f"Recover a soft-deleted {kind} version (amlite's addition; 'restore' is az's "
                       "un-archive).")
    return recover


def model_download(
    name: Name,
    version: Annotated[str, typer.Option("--version", "-v", help="Version to download.")],
    download_path: Annotated[Path, typer.Option("--download-path", "-p", help="Folder to download into (the files go to DIR/NAME).")] = Path("."),
    workspace_name: Workspace = None,
    resource_group: Group = None,
    registry_name: RegistryName = None,
) -> Any:
    """Download a model version's files into DIR/NAME, byte for byte (from a registry: from the
    replica in the region of the workspace in context, when it is ready there)."""
    session = current_session()
    with asset_client(resource_group, workspace_name, registry_name) as client:
        with transfer_progress(f"Downloading {name}:{version}", quiet=session.options.only_show_errors) as hook:
            client.models.on_progress = hook
            dest = client.models.download(name, version, download_path)
    if registry_name is None:
        return None
    regions = client.models.last_served_regions
    if not session.options.only_show_errors:
        print(f"Downloaded {name}:{version} from registry '{registry_name}', served from region "
              f"{', '.join(regions) or 'none'}.", file=sys.stderr)
    return {"downloadPath": str(dest), "servedRegions": regions}


def _make_share(kind: str) -> Callable[..., Any]:
    def share(
        name: Name,
        version: Annotated[str, typer.Option("--version", "-v", help="Version of the asset to share.")],
        registry_name: Annotated[str, typer.Option("--registry-name", help="The registry to share into.")],
        share_with_name: Annotated[str, typer.Option("--share-with-name", help="The asset's name in the registry.")],
        share_with_version: Annotated[str, typer.Option("--share-with-version", help="The asset's version in the registry.")],
        source_registry_name: Annotated[str | None, typer.Option(
            "--source-registry-name", help="Share from this registry's version instead of the workspace's.")] = None,
        workspace_name: Workspace = None,
        resource_group: Group = None,
    ) -> Any:
        with asset_client(resource_group, workspace_name, source_registry_name) as client:
            return _operations(client, kind).share(name, version, registry_name=registry_name,
                                                   share_with_name=share_with_name,
                                                   share_with_version=share_with_version)._to_dict()

    share.__doc__ = (f"Share a {kind} version from a workspace (or another registry) to a registry (its files "
                     "are copied once; the registry keeps its lineage).")
    return share


def environment_list_images(workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """List the images built for the workspace's environments in its container registry (a
    project sees only those under its own namespace of its hub's registry)."""
    with asset_client(resource_group, workspace_name, None) as client:
        return client.environments.list_images()


def image_table(result: Any) -> list[dict[str, Any]]:
    return [{"Name": i.get("name"), "Environment": i.get("environment_id"), "BuiltByJob": i.get("built_by_job"),
             "BuiltAt": i.get("built_at")} for i in result if isinstance(i, dict)]


def build_group(kind: str) -> typer.Typer:
    app = typer.Typer(help=f"Manage Azure ML {kind} assets.", no_args_is_help=True)
    command(app, "create", table=asset_table)(_make_create(kind))
    command(app, "show", table=asset_table, not_found_exit_code=3)(_make_show(kind))
    command(app, "list", table=asset_table)(_make_list(kind))
    command(app, "update", table=asset_table)(_make_update(kind))
    command(app, "archive")(_make_state(kind, "archive"))
    command(app, "restore")(_make_state(kind, "restore"))
    command(app, "share", table=asset_table)(_make_share(kind))
    command(app, "delete")(_make_delete(kind))
    command(app, "recover", table=asset_table, not_found_exit_code=3)(_make_recover(kind))
    if kind == "model":
        command(app, "download")(model_download)
    if kind == "environment":
        command(app, "list-images", table=image_table)(environment_list_images)
    return app


def register(ml_app: typer.Typer) -> None:
    for kind in ("model", "environment", "component", "data"):
        ml_app.add_typer(build_group(kind), name=kind)
