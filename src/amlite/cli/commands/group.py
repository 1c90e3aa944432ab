"""``amlite group`` (resource groups) and ``amlite resource list`` (what a group holds)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from amlite.cli.args import apply_set_remove, parse_tags
from amlite.cli.command import command, current_session
from amlite.cli.commands import resource
from amlite.cli.tables import generic_resource_table, group_table

__all__ = ["register"]

app = typer.Typer(help="Manage resource groups.", no_args_is_help=True)
resource_app = typer.Typer(help="Manage resources.", no_args_is_help=True)

Group = Annotated[str, typer.Option("--name", "--resource-group", "-n", "-g", help="Name of the resource group.")]
OptionalGroup = Annotated[str | None, typer.Option("--name", "--resource-group", "-n", "-g", help="Name of the resource group (default: 'amlite configure --defaults group=').")]
Tags = Annotated[list[str] | None, typer.Option("--tags", help="Space-separated tags: key[=value] [key[=value] ...]. Use \"\" to clear.")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the long-running operation to finish.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not prompt for confirmation.")]


def group_create(
    name: Group,
    location: Annotated[str, typer.Option("--location", "-l", help="Location, e.g. eastus.")],
    tags: Tags = None,
    managed_by: Annotated[str | None, typer.Option("--managed-by", help="ID of the resource that manages this group.")] = None,
) -> Any:
    """Create a new resource group (or update the tags of an existing one)."""
    return current_session().arm().resource_groups.create_or_update(
        name, location, tags=parse_tags(tags), managed_by=managed_by
    )


def group_show(name: OptionalGroup = None) -> Any:
    """Get a resource group."""
    session = current_session()
    return session.arm().resource_groups.get(session.default_group(name))


def group_list(
    tag: Annotated[str | None, typer.Option("--tag", help="A single tag in 'key[=value]' format.")] = None,
) -> Any:
    """List resource groups."""
    return list(current_session().arm().resource_groups.list(tag=tag))


def group_exists(name: OptionalGroup = None) -> Any:
    """Check if a resource group exists (prints true or false)."""
    session = current_session()
    return session.arm().resource_groups.exists(session.default_group(name))


def group_update(
    name: OptionalGroup = None,
    tags: Tags = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Set a tag: tags.KEY=VALUE (several allowed).")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Remove a tag: tags.KEY, or 'tags' for all.")] = None,
) -> Any:
    """Update a resource group's tags (--tags replaces them; --set/--remove edit them)."""
    session = current_session()
    group = session.default_group(name)
    groups = session.arm().resource_groups
    new_tags = parse_tags(tags)
    if set_ or remove:
        base = new_tags if new_tags is not None else dict(groups.get(group).get("tags") or {})
        new_tags = apply_set_remove(base, set_, remove)
    if new_tags is None:
        return groups.get(group)
    return groups.update(group, tags=new_tags)


def group_delete(
    name: OptionalGroup = None,
    yes: Yes = False,
    no_wait: NoWait = False,
    force_deletion_types: Annotated[list[str] | None, typer.Option("--force-deletion-types", "-f", help="Resource types to delete with the group, e.g. Microsoft.MachineLearningServices/workspaces.")] = None,
) -> None:
    """Delete a resource group (asks for confirmation unless --yes)."""
    session = current_session()
    group = session.default_group(name)
    session.confirm("Are you sure you want to perform this operation?", yes)
    poller = session.arm().resource_groups.begin_delete(
        group, force_deletion_types=[t for t in force_deletion_types or [] if t] or None
    )
    if not no_wait:
        with session.progress(f"Deleting resource group '{group}' ..."):
            poller.result()


def resource_list(
    resource_group: Annotated[str | None, typer.Option("--resource-group", "-g", help="Name of the resource group.")] = None,
) -> Any:
    """List the resources of a resource group."""
    session = current_session()
    return list(session.arm().resource_groups.list_resources(session.default_group(resource_group)))


def register(root: typer.Typer) -> None:
    command(app, "create", table=group_table)(group_create)
    command(app, "show", table=group_table, not_found_exit_code=3)(group_show)
    command(app, "list", table=group_table)(group_list)
    command(app, "exists")(group_exists)
    command(app, "update", table=group_table)(group_update)
    command(app, "delete")(group_delete)
    command(resource_app, "list", table=generic_resource_table)(resource_list)
    resource.register(resource_app)
    root.add_typer(app, name="group")
    root.add_typer(resource_app, name="resource")
