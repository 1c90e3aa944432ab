"""Workspace connections to ARM JSON, as Azure ML's REST API shapes them
(``WorkspaceConnectionPropertiesV2BasicResource``). ``credentials`` appear only in the answer of
``listsecrets``; every other answer leaves them out, as Azure does."""

from __future__ import annotations

from typing import Any

from amlite.api.render import system_data, ts
from amlite.services.connections import ConnectionSecrets, ConnectionView

TYPE = "Microsoft.MachineLearningServices/workspaces/connections"


def connection(view: ConnectionView) -> dict[str, Any]:
    c = view.connection
    props: dict[str, Any] = {
        "category": c.category, "target": c.target, "authType": c.auth_type, "metadata": dict(c.metadata),
        "isSharedToAll": c.is_shared_to_all, "createdByWorkspaceArmId": view.owner.arm_id,
    }
    if c.expiry_time is not None:
        props["expiryTime"] = ts(c.expiry_time)
    return {"id": view.arm_id, "name": c.name, "type": TYPE, "properties": props, "systemData": system_data(c.stamp)}


def with_secrets(found: ConnectionSecrets) -> dict[str, Any]:
    body = connection(found.view)
    body["properties"]["credentials"] = dict(found.credentials)
    return body
