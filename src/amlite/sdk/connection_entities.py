"""``WorkspaceConnection``, named as in azure-ai-ml: a connection of a workspace, from YAML
(:func:`amlite.sdk.load_connection`) or from the server.

Credentials go to the server once, on create or update; the server never returns them, so a
connection read from the server has ``credentials`` of only a ``type``. Those allowed read the
secrets with ``ml_client.connections.get(name, populate_secrets=True)`` (``listsecrets``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amlite.schemas import YamlSchemaError
from amlite.schemas.connections import ConnectionSpec, connection_dict, connection_type_of, parse_connection
from amlite.sdk.asset_entities import spec_error

__all__ = ["WorkspaceConnection", "connection_from_rest"]


@dataclass
class WorkspaceConnection:
    """A connection: ``type`` is azure-ai-ml's (``azure_open_ai``, ``git``, ``custom``...)."""

    name: str
    type: str = ""
    target: str | None = None
    credentials: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    is_shared: bool = True
    id: str | None = None
    #: the REST properties a YAML became (credentials included), for create and update
    _spec: ConnectionSpec | None = field(default=None, repr=False, compare=False)
    #: the server's answer, and the workspace asked (to mark a connection shared from a hub)
    _rest: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _workspace_id: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_yaml_dict(cls, data: dict[str, Any], source: str | None = None) -> WorkspaceConnection:
        try:
            spec = parse_connection(data, source)
        except YamlSchemaError as exc:
            raise spec_error(exc) from None
        props = spec.properties
        creds = dict(data["credentials"]) if isinstance(data.get("credentials"), dict) else None
        return cls(name=spec.name, type=spec.connection_type, target=props["target"], credentials=creds,
                   metadata=dict(props["metadata"]), is_shared=bool(props["isSharedToAll"]), _spec=spec)

    def _to_rest(self) -> dict[str, Any]:
        if self._spec is None:
            raise spec_error(YamlSchemaError("a connection to create needs its YAML (use load_connection)"))
        return {"properties": dict(self._spec.properties)}

    def _to_dict(self) -> dict[str, Any]:
        """azure-ai-ml's dict of the connection (what ``az ml connection show`` prints), secrets
        never included; ``shared_from`` names the hub a project sees it from."""
        if self._rest is not None:
            return connection_dict(self._rest, self._workspace_id)
        assert self._spec is not None
        return connection_dict({"name": self.name, "id": self.id,
                                "properties": {k: v for k, v in self._spec.properties.items() if k != "credentials"}})


def connection_from_rest(body: dict[str, Any], workspace_id: str | None = None) -> WorkspaceConnection:
    """The entity for a connection body; ``properties.credentials`` is there only in the answer of
    ``listsecrets``."""
    props: dict[str, Any] = body.get("properties") or {}
    shown = connection_dict(body, workspace_id)
    creds = dict(shown["credentials"])
    if isinstance(props.get("credentials"), dict):
        creds.update(props["credentials"])
    return WorkspaceConnection(
        name=str(body.get("name") or ""), type=connection_type_of(str(props.get("category") or "")),
        target=props.get("target"), credentials=creds, metadata=dict(props.get("metadata") or {}),
        is_shared=bool(props.get("isSharedToAll", False)), id=body.get("id"), _rest=body, _workspace_id=workspace_id,
    )
