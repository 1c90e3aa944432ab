"""``amlite deployment group create|show|list``: ARM template deployments into a resource group,
as ``az deployment group`` runs them. ``--parameters`` takes ``name=value`` pairs, ``@file.json``
parameter files (ARM's ``{"parameters": {"name": {"value": ...}}}`` or the bare parameters
object) and inline JSON, several times; later values win. A deployment that ends ``Failed``
prints ARM's error (which names the failing resource) and exits 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError

__all__ = ["register"]

app = typer.Typer(help="Manage Azure Resource Manager template deployments.", no_args_is_help=True)
group_app = typer.Typer(help="Manage Azure Resource Manager template deployment at resource group.",
                        no_args_is_help=True)

Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Name of the resource group.")]
Name = Annotated[str | None, typer.Option("--name", "-n", help="The deployment name (default: the template file's name).")]


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError("InvalidArgumentValue", f"Cannot read the {what} '{path}': {exc.strerror}.", 2) from None
    except json.JSONDecodeError as exc:
        raise CliError("InvalidTemplate", f"The {what} '{path}' is not valid JSON: {exc}.", 1) from None


def _coerce(value: str, declared: dict[str, Any]) -> Any:
    kind = str(declared.get("type", "string")).lower()
    try:
        if kind == "int":
            return int(value)
        if kind == "bool":
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
        if kind in ("object", "array", "secureobject"):
            return json.loads(value)
    except (ValueError, json.JSONDecodeError):
        raise CliError("InvalidArgumentValue", f"'{value}' is not a valid {kind}.", 2) from None
    return value


def parameter_values(items: list[str], template: dict[str, Any]) -> dict[str, Any]:
    """ARM's ``{"name": {"value": v}}`` from az-style ``--parameters`` arguments."""
    declared = template.get("parameters") or {} if isinstance(template, dict) else {}
    out: dict[str, Any] = {}
    for item in items:
        if item.startswith("@"):
            loaded = _read_json(Path(item[1:]), "parameters file")
            found = loaded.get("parameters", loaded) if isinstance(loaded, dict) else None
            if not isinstance(found, dict):
                raise CliError("InvalidArgumentValue", f"The parameters file '{item[1:]}' holds no parameters.", 2)
            out.update(found)
        elif item.lstrip().startswith("{"):
            try:
                found = json.loads(item)
            except json.JSONDecodeError as exc:
                raise CliError("InvalidArgumentValue", f"--parameters is not valid JSON: {exc}.", 2) from None
            out.update(found.get("parameters", found))
        elif "=" in item:
            key, value = item.split("=", 1)
            out[key] = {"value": _coerce(value, declared.get(key) or {})}
        else:
            raise CliError("InvalidArgumentValue", f"--parameters '{item}': use name=value, @file.json or JSON.", 2)
    return out


def deployment_create(
    template_file: Annotated[Path, typer.Option("--template-file", "-f", help="An ARM template (JSON) file.")],
    resource_group: Group = None,
    parameters: Annotated[list[str] | None, typer.Option("--parameters", "-p", help="name=value, @params.json or inline JSON (several allowed).")] = None,
    name: Name = None,
    mode: Annotated[str, typer.Option("--mode", help="Incremental (the only mode amlite deploys in).")] = "Incremental",
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Do not wait for the deployment to finish.")] = False,
) -> Any:
    """Start a deployment at resource group."""
    session = current_session()
    group = session.default_group(resource_group)
    template = _read_json(template_file, "template file")
    body = {"properties": {"mode": mode, "template": template,
                           "parameters": parameter_values(parameters or [], template)}}
    deployment_name = name or template_file.stem
    poller = session.arm().deployments.begin_create_or_update(group, deployment_name, body)
    if no_wait:
        return None
    with session.progress(f"Deploying '{deployment_name}' ..."):
        result = poller.result()
    error = (result.get("properties") or {}).get("error")
    if (result.get("properties") or {}).get("provisioningState") == "Failed" and error:
        details = "; ".join(f"({d.get('code')}) {d.get('message')}" for d in error.get("details") or [])
        raise CliError(str(error.get("code")), f"{error.get('message')} {details}".strip(), 1)
    return result


def deployment_show(name: Annotated[str, typer.Option("--name", "-n", help="The deployment name.")],
                    resource_group: Group = None) -> Any:
    """Show a deployment at resource group."""
    session = current_session()
    return session.arm().deployments.get(session.default_group(resource_group), name)


def deployment_list(resource_group: Group = None) -> Any:
    """List the deployments at resource group."""
    session = current_session()
    return list(session.arm().deployments.list_by_resource_group(session.default_group(resource_group)))


def deployment_table(result: Any) -> list[dict[str, Any]]:
    items = result if isinstance(result, list) else [result]
    return [{"Name": d.get("name"), "State": (d.get("properties") or {}).get("provisioningState"),
             "Timestamp": (d.get("properties") or {}).get("timestamp"),
             "Mode": (d.get("properties") or {}).get("mode")} for d in items if isinstance(d, dict)]


def register(root: typer.Typer) -> None:
    command(group_app, "create", table=deployment_table)(deployment_create)
    command(group_app, "show", table=deployment_table, not_found_exit_code=3)(deployment_show)
    command(group_app, "list", table=deployment_table)(deployment_list)
    app.add_typer(group_app, name="group")
    root.add_typer(app, name="deployment")
