"""The ``amlite`` console script: assembles the command groups and runs them.

``main()`` rewrites az-style arguments Click does not understand (``--tags a=b c=d``, ``@file``) before
handing over to Typer; everything else about a command lives in its module under ``commands/``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from amlite import __version__ as VERSION
from amlite.cli.args import expand_argv
from amlite.cli.command import emit_error, silence_stdout
from amlite.cli.lazy import LazyGroup
from amlite.cli.session import CliError

__all__ = ["app", "main"]

_COMMANDS = "amlite.cli.commands"


class RootGroup(LazyGroup):
    """The top-level commands and the module that registers each, in ``amlite --help``'s order;
    a module is imported only when one of its commands is used (``amlite.cli.lazy``)."""

    table = (
        ("server", f"{_COMMANDS}.server:register"),
        ("login", f"{_COMMANDS}.auth:register"),
        ("logout", f"{_COMMANDS}.auth:register"),
        ("configure", f"{_COMMANDS}.configure:register"),
        ("account", f"{_COMMANDS}.account:register"),
        ("provider", f"{_COMMANDS}.provider:register"),
        ("group", f"{_COMMANDS}.group:register"),
        ("resource", f"{_COMMANDS}.group:register"),
        ("deployment", f"{_COMMANDS}.deployment:register"),
        ("ml", f"{_COMMANDS}.ml:register"),
        ("ad", f"{_COMMANDS}.ad:register"),
        ("role", f"{_COMMANDS}.role:register"),
        ("policy", f"{_COMMANDS}.policy:register"),
        ("monitor", f"{_COMMANDS}.monitor:register"),
        ("network", f"{_COMMANDS}.network:register"),
        ("admin", f"{_COMMANDS}.admin:register"),
    )


app = typer.Typer(
    cls=RootGroup,
    name="amlite",
    help="amlite: a self-hosted Azure Machine Learning control plane. Commands mirror 'az'.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"amlite {VERSION}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """amlite: a self-hosted Azure Machine Learning control plane. Commands mirror 'az'."""


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``amlite`` script (and of ``python -m amlite``).

    A reader that stops early (``amlite ... | head``) ends the command quietly, as az does: the
    output it no longer wants goes nowhere instead of into a ``BrokenPipeError``.
    """
    try:
        args = expand_argv(sys.argv[1:] if argv is None else argv)
    except CliError as exc:
        emit_error(exc)
        sys.exit(exc.exit_code)
    try:
        app(args=args, prog_name="amlite")
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()


if __name__ == "__main__":
    main()
