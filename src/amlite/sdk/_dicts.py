"""Helpers for ``_to_dict()``: the dict azure-ai-ml's entities give, which ``az ml ... -o json`` prints.

azure-ai-ml dumps an entity read from the server through its marshmallow schema: snake_case keys,
ARM ids of versioned assets prefixed with ``azureml:``, ``systemData`` as ``creation_context`` with
timestamps in ``+00:00`` form, and nothing for fields that are ``None``. These helpers do the parts
every entity shares, so each entity's ``_to_dict()`` only lists its own fields.
"""

from __future__ import annotations

from typing import Any

__all__ = ["az_time", "compact", "creation_context", "snake_keys"]

_SYSTEM_DATA = (
    ("createdAt", "created_at"), ("createdBy", "created_by"), ("createdByType", "created_by_type"),
    ("lastModifiedAt", "last_modified_at"), ("lastModifiedBy", "last_modified_by"),
    ("lastModifiedByType", "last_modified_by_type"),
)


def az_time(value: Any) -> Any:
    """``2024-01-02T03:04:05.123Z`` as azure-ai-ml prints a datetime: ``...+00:00``."""
    if isinstance(value, str) and value.endswith("Z"):
        return value[:-1] + "+00:00"
    return value


def creation_context(system_data: Any) -> dict[str, Any] | None:
    """ARM ``systemData`` as azure-ai-ml's ``creation_context``."""
    if not isinstance(system_data, dict):
        return None
    out = {ours: az_time(system_data.get(theirs)) for theirs, ours in _SYSTEM_DATA}
    return {k: v for k, v in out.items() if v is not None} or None


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None`` values, as azure-ai-ml's schemas do when they dump."""
    return {k: v for k, v in data.items() if v is not None}


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_")


def snake_keys(value: Any) -> Any:
    """camelCase keys to snake_case, all the way down (``livenessRoute`` → ``liveness_route``)."""
    if isinstance(value, dict):
        return {_snake(str(k)): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value
