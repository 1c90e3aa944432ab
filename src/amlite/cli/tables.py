"""Table transformers: the columns ``-o table`` shows for each kind of result, chosen as az does."""

from __future__ import annotations

import json
from typing import Any

from amlite.sdk.config import parse_arm_id

__all__ = [
    "account_table",
    "alias_table",
    "drift_table",
    "generic_resource_table",
    "group_table",
    "location_table",
    "pair_table",
    "provider_table",
    "registry_table",
    "switch_table",
    "workspace_table",
]


def _items(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, list):
        return [r for r in result if isinstance(r, dict)]
    return [result] if isinstance(result, dict) else []


def _props(item: dict[str, Any]) -> dict[str, Any]:
    props = item.get("properties")
    return props if isinstance(props, dict) else {}


def account_table(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "Name": s.get("name"),
            "CloudName": s.get("cloudName"),
            "SubscriptionId": s.get("id"),
            "TenantId": s.get("tenantId"),
            "State": s.get("state"),
            "IsDefault": s.get("isDefault"),
        }
        for s in _items(result)
    ]


def location_table(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "DisplayName": loc.get("displayName"),
            "Name": loc.get("name"),
            "RegionalDisplayName": loc.get("regionalDisplayName"),
        }
        for loc in _items(result)
    ]


def provider_table(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "Namespace": p.get("namespace"),
            "RegistrationPolicy": p.get("registrationPolicy"),
            "RegistrationState": p.get("registrationState"),
        }
        for p in _items(result)
    ]


def group_table(result: Any) -> list[dict[str, Any]]:
    return [
        {"Name": g.get("name"), "Location": g.get("location"), "Status": _props(g).get("provisioningState")}
        for g in _items(result)
    ]


def _group_of(item: dict[str, Any]) -> Any:
    return item.get("resourceGroup") or parse_arm_id(str(item.get("id") or "")).get("resourcegroups")


def workspace_table(result: Any) -> list[dict[str, Any]]:
    """Name, ResourceGroup, Location, DisplayName of ``az ml workspace`` dicts."""
    return [
        {"Name": w.get("name"), "ResourceGroup": _group_of(w), "Location": w.get("location"),
         "DisplayName": w.get("display_name")}
        for w in _items(result)
    ]


def drift_table(result: Any) -> list[dict[str, Any]]:
    """One row per difference of ``ml workspace diff`` (none when the two are equal)."""
    rows = result.get("differences", []) if isinstance(result, dict) else []
    return [{"Resource": d.get("resource"), "Change": d.get("change"), "Path": d.get("path", ""),
             "A": json.dumps(d.get("a")) if "a" in d else "", "B": json.dumps(d.get("b")) if "b" in d else ""}
            for d in rows]


def registry_table(result: Any) -> list[dict[str, Any]]:
    """Name, ResourceGroup, Location and the replication Regions of ``az ml registry`` dicts."""
    return [
        {"Name": r.get("name"), "ResourceGroup": _group_of(r), "Location": r.get("location"),
         "Regions": ", ".join(str(x.get("location")) for x in r.get("replication_locations") or []
                              if isinstance(x, dict))}
        for r in _items(result)
    ]


def pair_table(result: Any) -> list[dict[str, Any]]:
    """A workspace pair per row: its mode, active side and the two workspaces (by name)."""
    rows = []
    for p in _items(result):
        props = _props(p)
        rows.append({"Name": p.get("name"), "Mode": props.get("mode"), "Active": props.get("activeSide"),
                     "Primary": str(props.get("primaryWorkspaceId") or "").rsplit("/", 1)[-1],
                     "Secondary": str(props.get("secondaryWorkspaceId") or "").rsplit("/", 1)[-1],
                     "AutoFailover": props.get("autoFailover")})
    return rows


def switch_table(result: Any) -> list[dict[str, Any]]:
    """A failover's or failback's report: what switched, how long it took, what was left behind."""
    return [{"Pair": r.get("pair"), "Action": r.get("action"), "Status": r.get("status"),
             "To": str(r.get("toWorkspaceId") or "").rsplit("/", 1)[-1], "RtoSeconds": r.get("rtoSeconds"),
             "JobsResubmitted": len(r.get("jobs") or []),
             "NotCopied": sum(len(v) for v in (r.get("notCopied") or {}).values() if isinstance(v, list)),
             "NotRecovered": len(r.get("notRecovered") or [])}
            for r in _items(result)]


def generic_resource_table(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "Name": r.get("name"),
            "ResourceGroup": parse_arm_id(str(r.get("id") or "")).get("resourcegroups"),
            "Location": r.get("location"),
            "Type": r.get("type"),
        }
        for r in _items(result)
    ]


def alias_table(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "Name": a.get("name"),
            "SubscriptionId": _props(a).get("subscriptionId"),
            "ProvisioningState": _props(a).get("provisioningState"),
        }
        for a in _items(result)
    ]
