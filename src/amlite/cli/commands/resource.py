"""``amlite resource invoke-action`` and ``amlite resource move``, as az writes them (seed 000).

    amlite resource invoke-action --action validateMoveResources --ids /subscriptions/S/resourceGroups/RG \\
        --request-body '{"resources": [...], "targetResourceGroup": "/subscriptions/S2/resourceGroups/RG2"}'
    amlite resource move --destination-group RG2 --destination-subscription-id S2 --ids ID [ID ...]
        [--allow-region-change] [--allow-tenant-change --principal-map @map.json]   (amlite's opt-ins)

Both wait for the long-running operation, print nothing on success (az's output) and exit 1 with
the refusal, whose message names every reason, when the server refuses.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.session import CliError

__all__ = ["register"]

Ids = Annotated[list[str], typer.Option("--ids", help="One or more resource ids (space-separated).")]


def _body(text: str | None) -> Any:
    """``--request-body``: JSON (``@file`` was already replaced by the file's content, as everywhere)."""
    if text is None:
        return None
    return _json_option("--request-body", text)


def _json_option(option: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError("InvalidArgumentValue", f"{option} is not valid JSON: {exc.msg} (position {exc.pos}).", 1) from None


def resource_invoke_action(
    action: Annotated[str, typer.Option("--action", help="The action to invoke, e.g. validateMoveResources.")],
    ids: Ids,
    request_body: Annotated[str | None, typer.Option("--request-body", help="JSON body of the action, or @file.")] = None,
    api_version: Annotated[str | None, typer.Option("--api-version", help="The api-version of the resource's type.")] = None,
) -> Any:
    """Invoke an action on one or more resources and wait for it (long-running actions are followed)."""
    session = current_session()
    body = _body(request_body)
    results = []
    for resource_id in ids:
        poller = session.arm().resources.begin_invoke_action(resource_id, action, body, api_version=api_version)
        with session.progress(f"Invoking '{action}' on '{resource_id}' ..."):
            results.append(poller.result())
    found = [r for r in results if r is not None]
    if not found:
        return None
    return found[0] if len(ids) == 1 else found


def resource_move(
    ids: Ids,
    destination_group: Annotated[str, typer.Option("--destination-group", help="The destination resource group name.")],
    destination_subscription_id: Annotated[str | None, typer.Option("--destination-subscription-id", help="The destination subscription (default: the current one).")] = None,
    allow_region_change: Annotated[bool, typer.Option("--allow-region-change", help="amlite only: allow a destination group in another region; the workspace's storage is copied there first.")] = False,
    allow_tenant_change: Annotated[bool, typer.Option("--allow-tenant-change", help="amlite only: allow a destination subscription in another tenant (needs --principal-map).")] = False,
    principal_map: Annotated[str | None, typer.Option("--principal-map", help="amlite only: JSON (or @file) mapping source principal object ids to the target tenant's; yours must be among them.")] = None,
) -> None:
    """Move resources from one resource group to another (also to another subscription)."""
    from amlite.domain.move_ids import parse_resource_id  # with the move rules: only a move needs them

    session = current_session()
    parsed = [parse_resource_id(i) for i in ids]
    if any(p is None for p in parsed):
        bad = next(i for i, p in zip(ids, parsed) if p is None)
        raise CliError("InvalidArgumentValue", f"'{bad}' is not a valid resource id.", 1)
    sources = {(p.subscription_id.lower(), p.resource_group.lower()) for p in parsed if p is not None}
    if len(sources) != 1:
        raise CliError("InvalidArgumentValue", "All resources should be in the same resource group.", 1)
    first = parsed[0]
    assert first is not None
    target_sub = destination_subscription_id or session.subscription_id()
    body: dict[str, Any] = {"resources": ids,
                            "targetResourceGroup": f"/subscriptions/{target_sub}/resourceGroups/{destination_group}"}
    if allow_region_change:
        body["allowRegionChange"] = True
    if allow_tenant_change:
        body["allowTenantChange"] = True
    if principal_map is not None:
        mapping = _json_option("--principal-map", principal_map)
        if not isinstance(mapping, dict):
            raise CliError("InvalidArgumentValue", "--principal-map must be a JSON object: "
                           "{\"<source object id>\": \"<target object id>\"}.", 1)
        body["principalMap"] = mapping
    poller = session.arm().resources.begin_move_resources(first.resource_group, body,
                                                          subscription_id=first.subscription_id)
    with session.progress(f"Moving {len(ids)} resource(s) to '{destination_group}' ..."):
        poller.result()
    _warn_about_leftovers(session, poller.polling_url())


def _warn_about_leftovers(session: Any, result_url: str | None) -> None:
    """What the move dropped or left behind, from its operation's status (stdout stays az's: empty)."""
    if not result_url or "/operationResults/" not in result_url:
        return
    status = session.arm().operation_status(result_url.replace("/operationResults/", "/operationStatuses/"))
    result = status.get("properties") or {}
    for ra in result.get("removedRoleAssignments") or []:
        session.warn(f"Role assignment '{ra['id']}' at '{ra['scope']}' was removed by the move; recreate it at the "
                     "workspace's new id.")
    for ra in result.get("recreatedRoleAssignments") or []:
        session.warn(f"Role assignment of '{ra['sourcePrincipalId']}' was recreated for '{ra['principalId']}' at "
                     f"'{ra['scope']}'.")
    for copy in result.get("storageCopied") or []:
        session.warn(f"Storage account '{copy['account']}' was copied from '{copy['fromRegion']}' to "
                     f"'{copy['toRegion']}' ({copy['blobs']} blobs); the old region's copy is released.")
    for ds in result.get("datastoresLeftBehind") or []:
        session.warn(f"Datastore '{ds['name']}' still points at storage account '{ds['accountName']}' in "
                     f"'{ds['subscriptionId']}/{ds['resourceGroup']}'. Once the account has moved, run: {ds['fix']}")


def register(resource_app: typer.Typer) -> None:
    command(resource_app, "invoke-action")(resource_invoke_action)
    command(resource_app, "move")(resource_move)
