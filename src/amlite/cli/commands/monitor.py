"""``amlite monitor activity-log list``: the audit log, as ``az monitor activity-log list`` reads it.

The window is ``--start-time``..``--end-time``, or the last ``--offset`` (default 6h, as az);
the rest narrows it in the server's ``$filter`` (resource group, scope, caller, correlation id).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.commands.role import authorization_client
from amlite.cli.session import CliError

__all__ = ["register"]

app = typer.Typer(help="Monitor the control plane.", no_args_is_help=True)
log_app = typer.Typer(help="Read the activity log (the audit log of every write and every denial).", no_args_is_help=True)

_OFFSET = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$", re.IGNORECASE)


def _when(value: str, option: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CliError("InvalidArgumentValue", f"{option}: '{value}' is not an ISO 8601 date/time.", 2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _offset(value: str) -> dt.timedelta:
    match = _OFFSET.match(value.strip())
    if not value.strip() or match is None or not any(match.groups()):
        raise CliError("InvalidArgumentValue", f"--offset: '{value}' is not like 1h, 30m, 2d or 1d12h.", 2)
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def activity_log_list(
    resource_group: Annotated[str | None, typer.Option("--resource-group", "-g", help="Only events in this resource group.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", "--resource-id", help="Only events at this scope (an ARM id) or below it.")] = None,
    start_time: Annotated[str | None, typer.Option("--start-time", help="Start of the window (ISO 8601); default: end minus --offset.")] = None,
    end_time: Annotated[str | None, typer.Option("--end-time", help="End of the window (ISO 8601); default: now.")] = None,
    offset: Annotated[str, typer.Option("--offset", help="Window length when --start-time is not given, e.g. 1h, 30m, 7d.")] = "6h",
    caller: Annotated[str | None, typer.Option("--caller", help="Only events of this caller (UPN, app id or object id).")] = None,
    correlation_id: Annotated[str | None, typer.Option("--correlation-id", help="Only events of this correlation id.")] = None,
    max_events: Annotated[int, typer.Option("--max-events", help="At most this many events.")] = 50,
) -> Any:
    """List activity log events of the subscription, newest first."""
    end = _when(end_time, "--end-time") if end_time else dt.datetime.now(dt.timezone.utc)
    start = _when(start_time, "--start-time") if start_time else end - _offset(offset)
    terms = [f"eventTimestamp ge '{_iso(start)}'", f"eventTimestamp le '{_iso(end)}'"]
    for field, value in (("resourceGroupName", resource_group), ("resourceUri", scope), ("caller", caller),
                         ("correlationId", correlation_id)):
        if value:
            terms.append(f"{field} eq '{value.replace(chr(39), chr(39) * 2)}'")
    sub = current_session().subscription_id()
    return authorization_client().activity_logs.list(sub, " and ".join(terms), max_events=max_events)


def _value(field: Any) -> Any:
    return field.get("value") if isinstance(field, dict) else field


def activity_log_table(result: Any) -> list[dict[str, Any]]:
    """Time, Caller, Operation, Status and the resource: a readable row per event."""
    items = result if isinstance(result, list) else [result]
    return [{"EventTimestamp": e.get("eventTimestamp"), "Caller": e.get("caller"),
             "Operation": _value(e.get("operationName")), "Status": _value(e.get("status")),
             "ResourceGroup": e.get("resourceGroupName"),
             "Resource": str(e.get("resourceId") or "").rsplit("/", 1)[-1] or None}
            for e in items if isinstance(e, dict)]


def register(root: typer.Typer) -> None:
    command(log_app, "list", table=activity_log_table)(activity_log_list)
    app.add_typer(log_app, name="activity-log")
    root.add_typer(app, name="monitor")
