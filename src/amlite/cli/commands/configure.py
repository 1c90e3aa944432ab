"""``amlite configure``: defaults for ``-g``/``-n`` kept in the profile directory, as az keeps them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from amlite.cli.args import parse_key_values
from amlite.cli.command import command, current_session
from amlite.cli.session import CliError

__all__ = ["register"]

KNOWN_DEFAULTS = ("group", "workspace", "location")


def configure(
    defaults: Annotated[list[str] | None, typer.Option("--defaults", "-d", help="Space-separated 'name=value' pairs: group=RG workspace=WS. An empty value unsets.")] = None,
    list_defaults: Annotated[bool, typer.Option("--list-defaults", "-l", help="List the configured defaults.")] = False,
) -> Any:
    """Manage defaults: 'amlite configure --defaults group=rg1 workspace=ws1'."""
    store = current_session().store
    values = parse_key_values(defaults, "--defaults")
    if values:
        unknown = sorted(set(values) - set(KNOWN_DEFAULTS))
        if unknown:
            raise CliError(
                "InvalidArgumentValue",
                f"--defaults: unknown name(s) {', '.join(unknown)}; use {', '.join(KNOWN_DEFAULTS)}.", 2,
            )
        store.save_defaults(values)
    if list_defaults:
        return [{"name": k, "source": str(store.directory / "config"), "value": v}
                for k, v in sorted(store.load_defaults().items())]
    if not values:
        raise CliError("MissingArgument", "give --defaults NAME=VALUE ... or --list-defaults", 2)
    return None


def register(app: typer.Typer) -> None:
    command(app, "configure")(configure)
