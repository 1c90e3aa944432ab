"""``amlite policy``: policy assignments and the built-in definitions, as ``az policy`` has them.

``--policy`` takes a definition's name (its GUID), its id or its display name, as az resolves
it; ``--params`` takes the assignment parameters in az's shape (``{"tagName": {"value": "env"}}``),
as JSON text, ``@file.json`` or a file's path. Results are printed flattened as az prints them
(``policyDefinitionId``, ``parameters``, ``scope``... at the top level).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command
from amlite.cli.commands.role import authorization_client, default_scope
from amlite.cli.session import CliError

__all__ = ["register"]

app = typer.Typer(help="Manage resource policies.", no_args_is_help=True)
assignment_app = typer.Typer(help="Manage policy assignments.", no_args_is_help=True)
definition_app = typer.Typer(help="Read the built-in policy definitions.", no_args_is_help=True)

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the policy assignment.")]
Scope = Annotated[str | None, typer.Option("--scope", help="Scope: /subscriptions/ID or .../resourceGroups/RG (default: the subscription).")]
Group = Annotated[str | None, typer.Option("--resource-group", "-g", help="Use the resource group's scope.")]


def flatten(item: dict[str, Any]) -> dict[str, Any]:
    """az prints ARM's ``properties`` at the top level."""
    out = {k: v for k, v in item.items() if k != "properties"}
    out.update(dict(item.get("properties") or {}))
    return out


def _params(value: str | None) -> dict[str, Any] | None:
    """JSON text (``@file.json`` already replaced by the file's content), or a file's path."""
    if value is None:
        return None
    path = Path(value).expanduser()
    try:
        text = path.read_text(encoding="utf-8") if not value.lstrip().startswith("{") and path.exists() else value
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise CliError("InvalidArgumentValue", f"--params is neither a JSON file nor JSON: {exc}", 2) from None
    if not isinstance(data, dict):
        raise CliError("InvalidArgumentValue", "--params must hold a JSON object.", 2)
    # az also accepts a parameter file's shape ({"parameters": {...}}) and bare values.
    if set(data) == {"parameters"} and isinstance(data["parameters"], dict):
        data = data["parameters"]
    return {k: v if isinstance(v, dict) and "value" in v else {"value": v} for k, v in data.items()}


def assignment_create(
    name: Name,
    policy: Annotated[str, typer.Option("--policy", help="Name, id or display name of the policy definition.")],
    scope: Scope = None,
    resource_group: Group = None,
    params: Annotated[str | None, typer.Option("--params", "-p", help="Parameters as JSON, @file.json or a file path: '{\"tagName\": {\"value\": \"env\"}}'.")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Display name of the assignment.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Description of the assignment.")] = None,
    enforcement_mode: Annotated[str | None, typer.Option("--enforcement-mode", "-e", help="Default or DoNotEnforce.")] = None,
    not_scopes: Annotated[list[str] | None, typer.Option("--not-scopes", help="Scopes excluded from the assignment (several allowed).")] = None,
) -> Any:
    """Create (or replace) a policy assignment at a subscription or resource group."""
    props: dict[str, Any] = {"policyDefinitionId": policy}
    parsed = _params(params)
    if parsed is not None:
        props["parameters"] = parsed
    for key, value in (("displayName", display_name), ("description", description),
                       ("enforcementMode", enforcement_mode)):
        if value is not None:
            props[key] = value
    if not_scopes:
        props["notScopes"] = [s for item in not_scopes for s in item.split() if s]
    made = authorization_client().policy_assignments.create(default_scope(scope, resource_group), name, props)
    return flatten(made)


def assignment_list(
    scope: Scope = None,
    resource_group: Group = None,
    disable_scope_strict_search: Annotated[bool, typer.Option("--disable-scope-strict-search", help="Include the assignments below the scope too.")] = False,
) -> Any:
    """List the policy assignments that apply at a scope (with those below it, on request)."""
    found = authorization_client().policy_assignments.list(default_scope(scope, resource_group),
                                                           at_scope=not disable_scope_strict_search)
    return [flatten(a) for a in found]


def assignment_show(name: Name, scope: Scope = None, resource_group: Group = None) -> Any:
    """Show a policy assignment."""
    return flatten(authorization_client().policy_assignments.get(default_scope(scope, resource_group), name))


def assignment_delete(name: Name, scope: Scope = None, resource_group: Group = None) -> None:
    """Delete a policy assignment (prints nothing, as az)."""
    authorization_client().policy_assignments.delete(default_scope(scope, resource_group), name)


def definition_list() -> Any:
    """List the built-in policy definitions amlite enforces."""
    return [flatten(d) for d in authorization_client().policy_definitions.list()]


def definition_show(name: Annotated[str, typer.Option("--name", "-n", help="Name (GUID) of the policy definition.")]) -> Any:
    """Show a built-in policy definition."""
    return flatten(authorization_client().policy_definitions.get(name))


def register(root: typer.Typer) -> None:
    command(assignment_app, "create")(assignment_create)
    command(assignment_app, "list")(assignment_list)
    command(assignment_app, "show", not_found_exit_code=3)(assignment_show)
    command(assignment_app, "delete")(assignment_delete)
    command(definition_app, "list")(definition_list)
    command(definition_app, "show", not_found_exit_code=3)(definition_show)
    app.add_typer(assignment_app, name="assignment")
    app.add_typer(definition_app, name="definition")
    root.add_typer(app, name="policy")
