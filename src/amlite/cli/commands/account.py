"""``amlite account``: the subscriptions of the stored login, tokens, locations and aliases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.commands.auth import refresh_subscriptions
from amlite.cli.session import CliError
from amlite.cli.tables import account_table, alias_table, location_table

__all__ = ["register"]

app = typer.Typer(help="Manage the subscriptions of your login.", no_args_is_help=True)
alias_app = typer.Typer(help="Manage subscription aliases (create subscriptions).", no_args_is_help=True)


def account_list(
    refresh: Annotated[bool, typer.Option("--refresh", help="Ask the server for the current subscriptions.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Accepted for az compatibility: every subscription is listed.")] = False,
) -> Any:
    """List the subscriptions of the login."""
    session = current_session()
    if refresh:
        return refresh_subscriptions(session)
    return list(session.profile().get("subscriptions") or [])


def account_show() -> Any:
    """Show the default subscription, or the one given with --subscription/-s."""
    return current_session().subscription()


def account_set() -> None:
    """Set the default subscription (by id or name, case-insensitive) with --subscription/-s."""
    session = current_session()
    if not session.options.subscription:
        raise CliError("MissingArgument", "the following arguments are required: --subscription/-s", 2)
    chosen = session.find_subscription(session.options.subscription)
    if chosen is None:
        raise CliError(
            "SubscriptionNotFound",
            f"The subscription of '{session.options.subscription}' doesn't exist in cloud 'amlite'.",
        )
    profile = session.profile()
    for sub in profile.get("subscriptions") or []:
        sub["isDefault"] = str(sub.get("id")).lower() == str(chosen["id"]).lower()
    session.store.save_profile(profile)


def get_access_token(
    resource: Annotated[str | None, typer.Option("--resource", help="Resource to get a token for (default: ARM).")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Scope to get a token for.")] = None,
) -> Any:
    """Get a token to call the amlite REST API (as `az account get-access-token`)."""
    session = current_session()
    scopes = [scope] if scope else ([resource.rstrip("/") + "/.default"] if resource else [])
    token = session.credential().get_token(*scopes)
    sub = session.subscription()
    expires = dt.datetime.fromtimestamp(token.expires_on)
    return {
        "accessToken": token.token,
        "expiresOn": expires.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "expires_on": token.expires_on,
        "subscription": sub.get("id"),
        "tenant": sub.get("tenantId") or session.profile().get("tenantId"),
        "tokenType": "Bearer",
    }


def list_locations() -> Any:
    """List the regions the server is configured with."""
    session = current_session()
    return list(session.arm().subscriptions.list_locations(session.subscription_id()))


def alias_create(
    name: Annotated[str, typer.Option("--name", "-n", help="Alias name.")],
    display_name: Annotated[str, typer.Option("--display-name", help="Display name of the new subscription.")],
    workload: Annotated[str, typer.Option("--workload", help="Production or DevTest.")] = "Production",
    subscription_id: Annotated[str | None, typer.Option("--subscription-id", help="Use this id for the new subscription.")] = None,
) -> Any:
    """Create a subscription through an alias and add it to the login's subscriptions."""
    session = current_session()
    with session.progress("Creating subscription ..."):
        result = session.arm().subscription_aliases.begin_create(
            name, display_name, workload=workload, subscription_id=subscription_id
        ).result()
    try:
        refresh_subscriptions(session)
    except Exception:  # noqa: BLE001 - the alias exists; a failed refresh only needs a warning
        session.warn("Run 'amlite account list --refresh' to see the new subscription.")
    return result


def account_create(
    name: Annotated[str, typer.Option("--name", "-n", help="Name of the new subscription (its alias and, unless --display-name, its display name).")],
    display_name: Annotated[str | None, typer.Option("--display-name", help="Display name of the new subscription.")] = None,
    workload: Annotated[str, typer.Option("--workload", help="Production or DevTest.")] = "Production",
    subscription_id: Annotated[str | None, typer.Option("--subscription-id", help="Use this id for the new subscription.")] = None,
) -> Any:
    """Create a subscription (tenant administrators) and add it to the login's subscriptions.

    The subscription is made through the alias route (``account alias create``), so the same name
    again answers the same subscription; afterwards ``--subscription NAME`` finds it by name."""
    session = current_session()
    with session.progress("Creating subscription ..."):
        result = session.arm().subscription_aliases.begin_create(
            name, display_name or name, workload=workload, subscription_id=subscription_id
        ).result()
    new_id = str(((result or {}).get("properties") or {}).get("subscriptionId") or "")
    entries = refresh_subscriptions(session)
    for entry in entries:
        if str(entry.get("id", "")).lower() == new_id.lower():
            return entry
    raise CliError("SubscriptionNotFound", f"The subscription '{new_id}' was created but is not visible to this "
                   "login; run 'amlite account list --refresh'.")


def register(root: typer.Typer) -> None:
    command(app, "create", table=account_table)(account_create)
    command(app, "list", table=account_table)(account_list)
    command(app, "show", table=account_table, subscription_short=True)(account_show)
    command(app, "set", subscription_short=True)(account_set)
    command(app, "get-access-token")(get_access_token)
    command(app, "list-locations", table=location_table)(list_locations)
    command(alias_app, "create", table=alias_table)(alias_create)
    app.add_typer(alias_app, name="alias")
    root.add_typer(app, name="account")
