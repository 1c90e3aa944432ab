"""``amlite admin region fail|restore|show|list``: outage drills (docs/bcdr.md).

A failed region's workspaces, registries (by primary region) and storage answer as Azure does
during a regional outage until the region is restored. Tenant administrators only (the drill's
actions at the tenant root). ``REGION`` is a name or a display name (``eastus``, ``"East US"``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session

__all__ = ["register"]

app = typer.Typer(help="Administer the amlite server (tenant administrators).", no_args_is_help=True)
region_app = typer.Typer(help="Outage drills: fail and restore a region.", no_args_is_help=True)

Region = Annotated[str, typer.Argument(help="The region, e.g. eastus or \"East US\".")]


def region_fail(region: Region) -> Any:
    """Fail a region: its workspaces, registries and storage answer 503 until restored."""
    return current_session().arm().region_drills.fail(region)


def region_restore(region: Region) -> Any:
    """Restore a failed region; registry copies into it catch up."""
    return current_session().arm().region_drills.restore(region)


def region_show(region: Region) -> Any:
    """Show whether a region is failed, since when and by whom."""
    return current_session().arm().region_drills.get(region)


def region_list() -> Any:
    """List the regions ever failed and their state."""
    return current_session().arm().region_drills.list()


def register(root: typer.Typer) -> None:
    command(region_app, "fail")(region_fail)
    command(region_app, "restore")(region_restore)
    command(region_app, "show")(region_show)
    command(region_app, "list")(region_list)
    app.add_typer(region_app, name="region")
    root.add_typer(app, name="admin")
