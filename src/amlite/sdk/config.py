"""Finding and writing ``config.json``, the file that names a workspace for ``MLClient.from_config``.

Discovery follows azure-ai-ml: look in the given path (or the current directory) and each of its
parents for ``config.json`` or ``.azureml/config.json``; the nearest wins. A path that is a file is
used as is. Keys are ``subscription_id``, ``resource_group`` and ``workspace_name``; a ``Scope``
key holding a workspace's ARM id is understood as well, as azure-ai-ml does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amlite.sdk.errors import ValidationException

__all__ = ["WorkspaceConfig", "find_config_file", "load_config", "parse_arm_id", "write_config"]

CONFIG_FILE_NAME = "config.json"
CONFIG_SUBDIR = ".azureml"


@dataclass(frozen=True)
class WorkspaceConfig:
    """What a config.json names: one workspace, and where the file was found."""

    subscription_id: str | None
    resource_group: str | None
    workspace_name: str | None
    path: Path


def parse_arm_id(arm_id: str) -> dict[str, str]:
    """Map the fixed words of an ARM id (lower-cased) to the names that follow them.

    ``/subscriptions/s/resourceGroups/r/providers/NS/workspaces/w`` gives
    ``{"subscriptions": "s", "resourcegroups": "r", "providers": "NS", "workspaces": "w"}``.
    """
    parts = [p for p in arm_id.strip("/").split("/") if p]
    return {parts[i].lower(): parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def find_config_file(
    path: str | os.PathLike[str] | None = None, file_name: str | None = None
) -> Path | None:
    """The nearest config file from ``path`` (default: the current directory) upwards, or None."""
    start = Path(path) if path is not None else Path.cwd()
    start = start.expanduser()
    if start.is_file():
        return start.resolve()
    name = file_name or CONFIG_FILE_NAME
    directory = start.resolve()
    for folder in (directory, *directory.parents):
        for candidate in (folder / name, folder / CONFIG_SUBDIR / name):
            if candidate.is_file():
                return candidate
    return None


def load_config(
    path: str | os.PathLike[str] | None = None, file_name: str | None = None
) -> WorkspaceConfig:
    """Find and read a config file; :class:`ValidationException` if there is none or it is bad."""
    found = find_config_file(path, file_name)
    if found is None:
        where = Path(path) if path is not None else Path.cwd()
        raise ValidationException(
            f"We could not find {file_name or CONFIG_FILE_NAME} in: {where} or in its parent "
            "directories. Please provide the full path to the config file or ensure that "
            "config.json exists in the parent directories.",
            code="ConfigFileNotFound",
        )
    try:
        data: Any = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationException(f"Cannot read {found}: {exc}", code="InvalidConfigFile") from exc
    if not isinstance(data, dict):
        raise ValidationException(f"{found} must hold a JSON object.", code="InvalidConfigFile")
    for key in ("subscription_id", "resource_group", "workspace_name", "Scope", "scope"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValidationException(f"{found}: '{key}' must be a string.", code="InvalidConfigFile")
    sub = data.get("subscription_id")
    group = data.get("resource_group")
    name = data.get("workspace_name")
    scope = data.get("Scope") or data.get("scope")
    if isinstance(scope, str) and scope:
        ids = parse_arm_id(scope)
        sub = sub or ids.get("subscriptions")
        group = group or ids.get("resourcegroups")
        name = name or ids.get("workspaces")
    return WorkspaceConfig(sub, group, name, found)


def write_config(
    subscription_id: str,
    resource_group: str,
    workspace_name: str,
    path: str | os.PathLike[str] | None = None,
    file_name: str | None = None,
) -> Path:
    """Write config.json into ``path`` (a directory, default the current one, or a file path)."""
    target = Path(path).expanduser() if path is not None else Path.cwd()
    if target.is_dir() or path is None or str(path).endswith(os.sep):
        target = target / (file_name or CONFIG_FILE_NAME)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "subscription_id": subscription_id,
        "resource_group": resource_group,
        "workspace_name": workspace_name,
    }
    target.write_text(json.dumps(body, indent=4) + "\n", encoding="utf-8")
    return target
