"""``amlite ml online-endpoint`` and ``amlite ml online-deployment``, with az's arguments.

``online-endpoint create/update --file`` (``--traffic "blue=90 green=10"`` on update),
``show/list/delete/invoke/get-credentials``; ``online-deployment create/update --file``
(``--all-traffic`` sends the endpoint's whole traffic to the new deployment once it runs),
``show/list/delete/get-logs``. Output is azure-ai-ml's entity dict plus ``resourceGroup``, as az
prints it; ``invoke`` prints the scoring answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.commands.assets import Group, Sets, Workspace, parse_sets, workspace_scope
from amlite.cli.session import CliError
from amlite.sdk.endpoint_entities import load_online_deployment, load_online_endpoint, online_endpoint_with

__all__ = ["register", "parse_traffic"]

File = Annotated[Path | None, typer.Option("--file", "-f", help="The YAML file.")]
EndpointName = Annotated[str, typer.Option("--name", "-n", help="Name of the endpoint.")]
OptionalEndpointName = Annotated[str | None, typer.Option("--name", "-n", help="Name of the endpoint.")]
DeploymentEndpoint = Annotated[str, typer.Option("--endpoint-name", "-e", help="Name of the endpoint.")]
OptionalDeploymentEndpoint = Annotated[str | None, typer.Option("--endpoint-name", "-e", help="Name of the endpoint.")]
DeploymentName = Annotated[str, typer.Option("--name", "-n", help="Name of the deployment.")]
OptionalDeploymentName = Annotated[str | None, typer.Option("--name", "-n", help="Name of the deployment.")]


def parse_traffic(text: str) -> dict[str, int]:
    """``"blue=90 green=10"`` as az takes it."""
    out: dict[str, int] = {}
    for item in text.split():
        name, sep, weight = item.partition("=")
        if not sep or not name or not weight.strip().isdigit():
            raise CliError("InvalidArgumentValue",
                           f"--traffic: '{item}' is not NAME=WEIGHT (e.g. --traffic \"blue=90 green=10\").")
        out[name] = int(weight)
    return out


def _client(resource_group: str | None, workspace_name: str | None) -> Any:
    return current_session().ml_client(workspace_scope(resource_group, workspace_name))


def endpoint_create(file: File = None, name: OptionalEndpointName = None, set_: Sets = None,
                    workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Create an endpoint from its YAML file."""
    if file is None:
        raise CliError("MissingArguments", "online-endpoint create needs --file.")
    endpoint = load_online_endpoint(file, params_override=parse_sets(set_) + ([{"name": name}] if name else []))
    with _client(resource_group, workspace_name) as client:
        return client.online_endpoints.begin_create_or_update(endpoint).result()._to_dict()


def endpoint_update(name: OptionalEndpointName = None, file: File = None,
                    traffic: Annotated[str | None, typer.Option("--traffic", "-r", help='Traffic weights: "blue=90 green=10".')] = None,
                    set_: Sets = None, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Update an endpoint from its YAML file and/or set its traffic."""
    with _client(resource_group, workspace_name) as client:
        if file is not None:
            endpoint = load_online_endpoint(file, params_override=parse_sets(set_) + ([{"name": name}] if name else []))
            current = client.online_endpoints.get(endpoint.name)
            if endpoint.traffic is None:
                endpoint.traffic = current.traffic
        elif name is not None:
            endpoint = client.online_endpoints.get(name)
            if set_:
                endpoint = online_endpoint_with(endpoint, parse_sets(set_))
        else:
            raise CliError("MissingArguments", "online-endpoint update needs --name or --file.")
        if traffic is not None:
            endpoint.traffic = parse_traffic(traffic)
        return client.online_endpoints.begin_create_or_update(endpoint).result()._to_dict()


def endpoint_show(name: EndpointName, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Show an endpoint."""
    with _client(resource_group, workspace_name) as client:
        return client.online_endpoints.get(name)._to_dict()


def endpoint_list(workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """List the workspace's endpoints."""
    with _client(resource_group, workspace_name) as client:
        return [e._to_dict() for e in client.online_endpoints.list()]


def endpoint_delete(name: EndpointName, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not prompt.")] = False,
                    no_wait: Annotated[bool, typer.Option("--no-wait", help="Do not wait for the deletion.")] = False,
                    workspace_name: Workspace = None, resource_group: Group = None) -> None:
    """Delete an endpoint and all its deployments."""
    with _client(resource_group, workspace_name) as client:
        poller = client.online_endpoints.begin_delete(name)
        if not no_wait:
            poller.result()


def endpoint_invoke(name: EndpointName,
                    request_file: Annotated[Path, typer.Option("--request-file", "-r", help="The JSON request file.")],
                    deployment_name: Annotated[str | None, typer.Option("--deployment-name", "-d", help="Send to this deployment.")] = None,
                    workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Send the request file to the endpoint's scoring URI and print the answer."""
    with _client(resource_group, workspace_name) as client:
        text = client.online_endpoints.invoke(name, request_file=str(request_file), deployment_name=deployment_name)
    try:
        return json.loads(text)
    except ValueError:
        return text


def endpoint_credentials(name: EndpointName, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """The endpoint's keys (Key auth) or an access token (token auth)."""
    with _client(resource_group, workspace_name) as client:
        return client.online_endpoints.get_keys(name)._to_dict()


def deployment_create(file: File = None, name: OptionalDeploymentName = None,
                      endpoint_name: OptionalDeploymentEndpoint = None,
                      all_traffic: Annotated[bool, typer.Option("--all-traffic", help="Send all the endpoint's traffic to it.")] = False,
                      set_: Sets = None, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Create a deployment from its YAML file; waits until its init() ran."""
    if file is None:  # the scoring code is uploaded again from the file's folder on update too
        raise CliError("MissingArguments", "online-deployment create and update need --file (the deployment's YAML).")
    overrides = parse_sets(set_) + ([{"name": name}] if name else []) + ([{"endpoint_name": endpoint_name}] if endpoint_name else [])
    deployment = load_online_deployment(file, params_override=overrides)
    with _client(resource_group, workspace_name) as client:
        result = client.online_deployments.begin_create_or_update(deployment).result()
        if all_traffic:
            endpoint = client.online_endpoints.get(str(deployment.endpoint_name))
            endpoint.traffic = {deployment.name: 100}
            client.online_endpoints.begin_create_or_update(endpoint).result()
        return result._to_dict()


def deployment_show(name: DeploymentName, endpoint_name: DeploymentEndpoint, workspace_name: Workspace = None,
                    resource_group: Group = None) -> Any:
    """Show a deployment."""
    with _client(resource_group, workspace_name) as client:
        return client.online_deployments.get(name, endpoint_name)._to_dict()


def deployment_list(endpoint_name: DeploymentEndpoint, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """List an endpoint's deployments."""
    with _client(resource_group, workspace_name) as client:
        return [d._to_dict() for d in client.online_deployments.list(endpoint_name)]


def deployment_delete(name: DeploymentName, endpoint_name: DeploymentEndpoint,
                      yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not prompt.")] = False,
                      workspace_name: Workspace = None, resource_group: Group = None) -> None:
    """Delete a deployment (it must take no traffic)."""
    with _client(resource_group, workspace_name) as client:
        client.online_deployments.begin_delete(name, endpoint_name).result()


def deployment_logs(name: DeploymentName, endpoint_name: DeploymentEndpoint,
                    lines: Annotated[int | None, typer.Option("--lines", "-l", help="How many of the last lines.")] = None,
                    container: Annotated[str | None, typer.Option("--container", "-c", help="inference-server (the only log kept).")] = None,
                    workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Print the deployment's log (what its scoring process printed)."""
    kind = None if container in (None, "inference-server") else container
    with _client(resource_group, workspace_name) as client:
        return client.online_deployments.get_logs(name, endpoint_name, lines=lines if lines is not None else 5000,
                                                  container_type=kind)


def register(ml_app: typer.Typer) -> None:
    endpoints = typer.Typer(help="Manage Azure ML online endpoints.", no_args_is_help=True)
    command(endpoints, "create")(endpoint_create)
    command(endpoints, "update")(endpoint_update)
    command(endpoints, "show", not_found_exit_code=3)(endpoint_show)
    command(endpoints, "list")(endpoint_list)
    command(endpoints, "delete")(endpoint_delete)
    command(endpoints, "invoke")(endpoint_invoke)
    command(endpoints, "get-credentials")(endpoint_credentials)
    ml_app.add_typer(endpoints, name="online-endpoint")
    deployments = typer.Typer(help="Manage Azure ML online deployments.", no_args_is_help=True)
    command(deployments, "create")(deployment_create)
    command(deployments, "update")(deployment_create)
    command(deployments, "show", not_found_exit_code=3)(deployment_show)
    command(deployments, "list")(deployment_list)
    command(deployments, "delete")(deployment_delete)
    command(deployments, "get-logs")(deployment_logs)
    ml_app.add_typer(deployments, name="online-deployment")
