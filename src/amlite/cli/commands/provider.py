"""``amlite provider``: resource providers of a subscription (list, show, register, unregister)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.tables import provider_table

__all__ = ["register"]

app = typer.Typer(help="Manage resource providers.", no_args_is_help=True)

Namespace = Annotated[str, typer.Option("--namespace", "-n", help="The resource provider namespace, e.g. Microsoft.MachineLearningServices.")]


def provider_list() -> Any:
    """List the resource providers of the subscription and their registration state."""
    return list(current_session().arm().providers.list())


def provider_show(namespace: Namespace) -> Any:
    """Show one resource provider."""
    return current_session().arm().providers.get(namespace)


def provider_register(namespace: Namespace) -> None:
    """Register a resource provider in the subscription (prints nothing, as az)."""
    current_session().arm().providers.register(namespace)


def provider_unregister(namespace: Namespace) -> None:
    """Unregister a resource provider (refused while the subscription holds its resources)."""
    current_session().arm().providers.unregister(namespace)


def register(root: typer.Typer) -> None:
    command(app, "list", table=provider_table)(provider_list)
    command(app, "show", table=provider_table, not_found_exit_code=3)(provider_show)
    command(app, "register")(provider_register)
    command(app, "unregister")(provider_unregister)
    root.add_typer(app, name="provider")
