"""Operation groups of :class:`amlite.MLClient` (``ml_client.workspaces`` and, later, assets)."""

from __future__ import annotations

from amlite.sdk.operations.workspaces import WorkspaceOperations

__all__ = ["WorkspaceOperations"]
