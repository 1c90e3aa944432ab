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
from amlite.cli.session import CliError
from amlite.cli.commands import account, ad, admin, auth, configure, group, monitor, network, policy, provider, role, server
from amlite.cli.commands import deployment, workspace
from amlite.cli.commands import assets, compute, connection, datastore, job, online, registry

__all__ = ["app", "main"]

app = typer.Typer(
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


server.register(app)
auth.register(app)
account.register(app)
configure.register(app)
provider.register(app)
group.register(app)
deployment.register(app)
workspace.register(app)
assets.register(workspace.ml_app)
datastore.register(workspace.ml_app)
connection.register(workspace.ml_app)
compute.register(workspace.ml_app)
online.register(workspace.ml_app)
registry.register(workspace.ml_app)
job.register(workspace.ml_app)
ad.register(app)
role.register(app)
policy.register(app)
monitor.register(app)
network.register(app)
admin.register(app)


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
