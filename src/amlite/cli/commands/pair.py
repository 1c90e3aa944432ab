"""``amlite ml workspace pair create|show|list|delete``: paired workspaces (docs/bcdr.md).

``--primary`` and ``--secondary`` take workspace ids, as ``az`` commands that name a workspace in
another group do. ``--mode`` is the pair's mode (``hot-hot``, ``hot-warm``, ``hot-cold``, the
seed's "hot/hot, hot/warm, hot/cold" with a dash so that it needs no quoting in a shell);
``--per-kind models=hot-hot,jobs=hot-cold`` sets a mode per kind (models, environments,
components, data, jobs, endpoints). ``show`` prints the lag per kind and, per endpoint, whether its
standby in the secondary is current.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError

__all__ = ["register"]

app = typer.Typer(help="Pair workspaces in two regions (business continuity).", no_args_is_help=True)

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the pair (unique in the tenant).")]


def parse_per_kind(value: str | None) -> dict[str, str] | None:
    """``models=hot-hot,jobs=hot-cold`` (commas or spaces) as a dict; the server judges the names."""
    if not value:
        return None
    out: dict[str, str] = {}
    for item in value.replace(" ", ",").split(","):
        if not item:
            continue
        kind, sep, mode = item.partition("=")
        if not sep or not kind or not mode:
            raise CliError("InvalidArgumentValue", f"--per-kind takes KIND=MODE pairs, not '{item}'.", 2)
        out[kind.strip()] = mode.strip()
    return out


def pair_create(
    name: Name,
    primary: Annotated[str, typer.Option("--primary", help="The primary workspace's id.")],
    secondary: Annotated[str, typer.Option("--secondary", help="The secondary workspace's id (another region).")],
    mode: Annotated[str, typer.Option("--mode", help="hot-hot, hot-warm or hot-cold.")],
    per_kind: Annotated[str | None, typer.Option("--per-kind", help="Modes per kind: models=hot-hot,jobs=hot-cold.")] = None,
) -> Any:
    """Pair two workspaces; hot kinds are copied to the secondary from now on (existing versions too)."""
    return current_session().arm().workspace_pairs.create(name, primary, secondary, mode, parse_per_kind(per_kind))


def pair_show(name: Name) -> Any:
    """Show a pair and its lag per kind (versions not yet copied, the oldest's creation time)."""
    return current_session().arm().workspace_pairs.get(name)


def pair_list() -> Any:
    """List the pairs whose primary you can read."""
    return current_session().arm().workspace_pairs.list()


def pair_delete(name: Name) -> None:
    """Unpair; what was copied stays in the secondary."""
    current_session().arm().workspace_pairs.delete(name)


def register(workspace_app: typer.Typer) -> None:
    command(app, "create")(pair_create)
    command(app, "show", not_found_exit_code=3)(pair_show)
    command(app, "list")(pair_list)
    command(app, "delete")(pair_delete)
    workspace_app.add_typer(app, name="pair")
