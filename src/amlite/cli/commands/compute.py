"""``amlite ml compute``: create (from Azure ML compute YAML, or ``-n --type --size``), show, list,
start, stop, restart, delete, list-nodes, list-sizes and list-usage, through the SDK.

Output is azure-ai-ml's entity dict (``az ml compute show`` prints ``AmlCompute``'s or
``ComputeInstance``'s), with az's ``resourceGroup`` added. A YAML field amlite does not honour is
refused by name (``schemas/computes.py``), never dropped. A Ray compute (amlite's addition) is
created from a file only (``type: ray``, ``address:``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.args import parse_tags
from amlite.cli.command import command, current_session
from amlite.cli.commands.assets import Group, Sets, Workspace, parse_sets, workspace_scope
from amlite.cli.session import CliError
from amlite.sdk.compute_entities import AmlCompute, Compute, ComputeInstance, load_compute

__all__ = ["register"]

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the compute.")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the long-running operation to finish.")]
Location = Annotated[str | None, typer.Option("--location", "-l", help="Region (default: the workspace's).")]
_DOING = {"start": "Starting", "stop": "Stopping", "restart": "Restarting"}
TYPES = {"amlcompute": "amlcompute", "computeinstance": "computeinstance"}


def compute_table(result: Any) -> list[dict[str, Any]]:
    """Name, Type, Size, State as az's table shows a compute."""
    rows = []
    for item in result if isinstance(result, list) else [result]:
        if isinstance(item, dict):
            rows.append({"Name": item.get("name"), "Type": item.get("type"), "Size": item.get("size"),
                         "State": item.get("state") or item.get("provisioning_state"),
                         "ResourceGroup": item.get("resourceGroup")})
    return rows


def _from_flags(file: Path | None, name: str | None, type_: str | None, size: str | None,
                min_instances: int | None, max_instances: int | None, idle: int | None, tier: str | None,
                description: str | None, tags: list[str] | None, sets: list[str] | None) -> Compute:
    flags = {"name": name, "type": type_, "size": size, "min_instances": min_instances,
             "max_instances": max_instances, "idle_time_before_scale_down": idle, "tier": tier,
             "description": description}
    overrides = parse_sets(sets) + [{k: v} for k, v in flags.items() if v is not None]
    if tags is not None:
        overrides += [{f"tags.{k}": v} for k, v in parse_tags(tags).items()]
    if file is not None:
        return load_compute(file, params_override=overrides)
    if not (name and type_ and size):
        raise CliError("MissingArguments", "Give --file, or --name, --type (amlcompute or computeinstance) and --size.")
    kind = TYPES.get(type_.lower())
    if kind is None:
        raise CliError("InvalidArgumentValue", f"--type '{type_}' is not valid; use amlcompute or computeinstance.")
    if kind == "computeinstance":
        if any(v is not None for v in (min_instances, max_instances, idle, tier)):
            raise CliError("InvalidArgumentValue", "A compute instance has one node: --min-instances, "
                           "--max-instances, --idle-time-before-scale-down and --tier are for amlcompute.")
        return ComputeInstance(name=name, size=size, description=description,
                               tags=parse_tags(tags) if tags else {})
    tier_ = tier.lower() if tier else None
    return AmlCompute(name=name, size=size, description=description, tags=parse_tags(tags) if tags else {},
                      tier=tier_, min_instances=min_instances, max_instances=max_instances,
                      idle_time_before_scale_down=idle)


def compute_create(
    file: Annotated[Path | None, typer.Option("--file", "-f", help="An Azure ML compute YAML file.")] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the compute (overrides the file's).")] = None,
    type_: Annotated[str | None, typer.Option("--type", "-t", help="amlcompute or computeinstance.")] = None,
    size: Annotated[str | None, typer.Option("--size", help="VM size, e.g. Standard_DS3_v2 (see list-sizes).")] = None,
    min_instances: Annotated[int | None, typer.Option("--min-instances", help="Fewest nodes of a cluster.")] = None,
    max_instances: Annotated[int | None, typer.Option("--max-instances", help="Most nodes of a cluster.")] = None,
    idle_time_before_scale_down: Annotated[int | None, typer.Option("--idle-time-before-scale-down", help="Seconds a cluster node idles before scale-down.")] = None,
    tier: Annotated[str | None, typer.Option("--tier", help="dedicated or low_priority (clusters).")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Description.")] = None,
    tags: Annotated[list[str] | None, typer.Option("--tags", help="Space-separated tags: key[=value] [key[=value] ...].")] = None,
    set_: Sets = None,
    no_wait: NoWait = False,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """Create a compute cluster or instance (refused with QuotaExceeded beyond the vCPU quota), or attach
    a Ray cluster from a file with 'type: ray' and its dashboard's 'address'."""
    session = current_session()
    compute = _from_flags(file, name, type_, size, min_instances, max_instances, idle_time_before_scale_down, tier,
                          description, tags, set_)
    with session.ml_client(workspace_scope(resource_group, workspace_name)) as client:
        with session.progress(f"Creating compute '{compute.name}' ..."):
            poller = client.compute.begin_create_or_update(compute)
            if no_wait:
                return None
            return poller.result()._to_dict()


def compute_show(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Show a compute."""
    with current_session().ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return client.compute.get(name)._to_dict()


def compute_list(
    type_: Annotated[str | None, typer.Option("--type", "-t", help="Only this type: amlcompute or computeinstance.")] = None,
    workspace_name: Workspace = None, resource_group: Group = None,
) -> Any:
    """List the workspace's computes."""
    with current_session().ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return [c._to_dict() for c in client.compute.list(compute_type=type_)]


def _power(action: str) -> Any:
    def run(name: Name, no_wait: NoWait = False, workspace_name: Workspace = None, resource_group: Group = None) -> None:
        session = current_session()
        with session.ml_client(workspace_scope(resource_group, workspace_name)) as client:
            poller = getattr(client.compute, f"begin_{action}")(name)
            if not no_wait:
                with session.progress(f"{_DOING[action]} compute '{name}' ..."):
                    poller.result()

    run.__name__ = f"compute_{action}"
    run.__doc__ = f"{action.capitalize()} a compute instance."
    return run


def compute_delete(
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not prompt for confirmation.")] = False,
    no_wait: NoWait = False, workspace_name: Workspace = None, resource_group: Group = None,
) -> None:
    """Delete a compute (asks for confirmation unless --yes); jobs on its nodes lose them."""
    session = current_session()
    scope = workspace_scope(resource_group, workspace_name)
    session.confirm("Are you sure you want to perform this operation?", yes)
    with session.ml_client(scope) as client:
        poller = client.compute.begin_delete(name)
        if not no_wait:
            with session.progress(f"Deleting compute '{name}' ..."):
                poller.result()


def compute_list_nodes(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """List a compute's nodes: those running jobs and the idle ones."""
    with current_session().ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return [n._to_dict() for n in client.compute.list_nodes(name)]


def compute_list_sizes(
    location: Location = None,
    type_: Annotated[str | None, typer.Option("--type", "-t", help="Only sizes for this type: amlcompute or computeinstance.")] = None,
    workspace_name: Workspace = None, resource_group: Group = None,
) -> Any:
    """List the VM sizes of a region, with family, vCPUs, memory and GPUs."""
    compute_type = {"amlcompute": "AmlCompute", "computeinstance": "ComputeInstance"}.get((type_ or "").lower())
    if type_ and compute_type is None:
        raise CliError("InvalidArgumentValue", f"--type '{type_}' is not valid; use amlcompute or computeinstance.")
    with current_session().ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return [s._to_dict() for s in client.compute.list_sizes(location=location, compute_type=compute_type)]


def compute_list_usage(location: Location = None, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """List the vCPUs used and allowed in a region, in total and per VM family."""
    with current_session().ml_client(workspace_scope(resource_group, workspace_name)) as client:
        return [u._to_dict() for u in client.compute.list_usage(location=location)]


def register(ml_app: typer.Typer) -> None:
    app = typer.Typer(help="Manage Azure ML compute resources.", no_args_is_help=True)
    command(app, "create", table=compute_table)(compute_create)
    command(app, "show", table=compute_table, not_found_exit_code=3)(compute_show)
    command(app, "list", table=compute_table)(compute_list)
    for action in ("start", "stop", "restart"):
        command(app, action)(_power(action))
    command(app, "delete")(compute_delete)
    command(app, "list-nodes")(compute_list_nodes)
    command(app, "list-sizes")(compute_list_sizes)
    command(app, "list-usage")(compute_list_usage)
    ml_app.add_typer(app, name="compute")
