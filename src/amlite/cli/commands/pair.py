"""``amlite ml workspace pair create|show|list|delete``: paired workspaces (docs/bcdr.md).

``--primary`` and ``--secondary`` take workspace ids, as ``az`` commands that name a workspace in
another group do. ``--mode`` is the pair's mode (``hot-hot``, ``hot-warm``, ``hot-cold``, the
seed's "hot/hot, hot/warm, hot/cold" with a dash so that it needs no quoting in a shell);
``--per-kind models=hot-hot,jobs=hot-cold`` sets a mode per kind (models, environments,
components, data, jobs, endpoints). ``show`` prints the lag per kind and, per endpoint, whether its
standby in the secondary is current.

``amlite ml workspace failover --pair P`` and ``failback --pair P`` switch the pair's active
workspace and print the switch's report; then the nearest ``config.json`` (or ``--config PATH``)
is rewritten to name the newly active workspace when it named the one just left, so that
``MLClient.from_config()`` and the CLI's defaults follow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import Outcome, command, current_session
from amlite.cli.session import CliError
from amlite.cli.tables import pair_table, switch_table
from amlite.sdk.config import find_config_file, parse_arm_id

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
    auto_failover: Annotated[bool, typer.Option("--auto-failover", help="Fail over by itself when the primary's "
                                                "region stays unavailable (off by default).")] = False,
    failover_after: Annotated[int | None, typer.Option("--failover-after", help="Seconds the primary's region must "
                                                       "be unavailable before an automatic failover (default 300).")]
    = None,
) -> Any:
    """Pair two workspaces; hot kinds are copied to the secondary from now on (existing versions too)."""
    return current_session().arm().workspace_pairs.create(name, primary, secondary, mode, parse_per_kind(per_kind),
                                                          auto_failover, failover_after)


def pair_show(name: Name) -> Any:
    """Show a pair and its lag per kind (versions not yet copied, the oldest's creation time)."""
    return current_session().arm().workspace_pairs.get(name)


def pair_list() -> Any:
    """List the pairs whose primary you can read."""
    return current_session().arm().workspace_pairs.list()


def pair_delete(name: Name) -> None:
    """Unpair; what was copied stays in the secondary."""
    current_session().arm().workspace_pairs.delete(name)


Pair = Annotated[str, typer.Option("--pair", help="Name of the workspace pair.")]
ConfigPath = Annotated[str | None, typer.Option("--config", help="The config.json to rewrite (default: the nearest "
                                                "one from the current directory up).")]


def workspace_failover(pair: Pair, config: ConfigPath = None) -> Outcome:
    """Fail a pair over to its secondary: resubmits the primary's running jobs there, reports the
    RTO and what was not copied (RPO) per kind, and points config.json at the secondary."""
    return _switched(current_session().arm().workspace_pairs.failover(pair), config)


def workspace_failback(pair: Pair, config: ConfigPath = None) -> Outcome:
    """Fail a pair back to its primary (its region must be back): copies back what the secondary
    made meanwhile, reports as a failover does, and points config.json at the primary."""
    return _switched(current_session().arm().workspace_pairs.failback(pair), config)


def _switched(report: dict[str, Any], config: str | None) -> Outcome:
    done = report.get("status") == "Succeeded"
    path = None
    if config is not None:
        path = find_config_file(config)
        if path is None:
            raise CliError("ConfigFileNotFound", f"No config.json at '{config}'.", 2)
    elif done:
        path = find_config_file()
    rewritten = bool(done and path is not None and follow_config(path, report["fromWorkspaceId"],
                                                                   report["toWorkspaceId"]))
    return Outcome({**report, "configFile": str(path) if path else None, "configRewritten": rewritten},
                   0 if report.get("status") in ("Succeeded", "InProgress") else 1)


def follow_config(path: Path, old_id: str, new_id: str) -> bool:
    """Rewrite ``path`` to name ``new_id`` if it names ``old_id`` (keys other than the workspace's
    are kept); True when it was rewritten."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError("InvalidConfigFile", f"Cannot read {path}: {exc}", 2) from None
    if not isinstance(data, dict):
        return False
    old, new = parse_arm_id(old_id), parse_arm_id(new_id)
    scope = parse_arm_id(str(data.get("Scope") or data.get("scope") or ""))
    named = (str(data.get("subscription_id") or scope.get("subscriptions", "")),
             str(data.get("resource_group") or scope.get("resourcegroups", "")),
             str(data.get("workspace_name") or scope.get("workspaces", "")))
    if tuple(x.lower() for x in named) != (old["subscriptions"].lower(), old["resourcegroups"].lower(),
                                           old["workspaces"].lower()):
        return False
    data.update(subscription_id=new["subscriptions"], resource_group=new["resourcegroups"],
                workspace_name=new["workspaces"])
    for key in ("Scope", "scope"):
        if key in data:
            data[key] = new_id
    path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    return True


def register(workspace_app: typer.Typer) -> None:
    command(app, "create", table=pair_table)(pair_create)
    command(app, "show", table=pair_table, not_found_exit_code=3)(pair_show)
    command(app, "list", table=pair_table)(pair_list)
    command(app, "delete")(pair_delete)
    workspace_app.add_typer(app, name="pair")
    command(workspace_app, "failover", table=switch_table)(workspace_failover)
    command(workspace_app, "failback", table=switch_table)(workspace_failback)
