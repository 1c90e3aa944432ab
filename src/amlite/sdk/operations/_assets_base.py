"""What the operations of every versioned asset kind share (azure-ai-ml's ``_AssetOperations``).

URLs follow docs/api.md: ``{ws}/{kind}/{name}`` for a container, ``.../versions/{version}`` for a
version, ``POST .../versions`` to let the server pick the next version, ``.../archive|restore``.
Uploads go through :mod:`amlite.sdk.artifacts` before the version is created, so a version never
points at bytes the server does not have; a failure before the version ``PUT`` leaves no version.

With ``MLClient(..., registry_name=R)`` the same operations work on registry ``R``'s assets
(``{reg}/{kind}/...``, found by name wherever it lives in the tenant), and ``share`` copies a
version of the client's workspace — or, with ``registry_name``, of that registry — into a registry.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import HttpPipeline, ItemPaged, quote
from amlite.sdk.asset_entities import ListViewType
from amlite.sdk.errors import ValidationException

if TYPE_CHECKING:
    from amlite.sdk.ml_client import MLClient

__all__ = ["AssetOperations", "ProgressHook", "local_path_error"]

NAMESPACE = "Microsoft.MachineLearningServices"
T = TypeVar("T")

#: Called as files move: ``(bytes done, bytes total)``, as sdk/artifacts.py reports it.
ProgressHook = Callable[[int, int], None]
_VIEW_TYPES = {ListViewType.ACTIVE_ONLY, ListViewType.ARCHIVED_ONLY, ListViewType.ALL}


def local_path_error(field: str, path: Path, what: str = "does not exist") -> ValidationException:
    error = ValidationException(f"{field}: the local path '{path}' {what}.", code="LocalPathNotFound")
    error.error.target = field
    return error


class AssetOperations(Generic[T], ABC):
    """get/list/archive/restore/update for one asset kind; subclasses add ``create_or_update``."""

    KIND = ""  # models | environments | components | data

    def __init__(self, pipeline: HttpPipeline, client: MLClient) -> None:
        self._pipeline = pipeline
        self._client = client
        #: Set by callers (the CLI's progress bars) to follow uploads and downloads.
        self.on_progress: ProgressHook | None = None
        self._registry_ids: dict[str, str] = {}

    # -- urls ---------------------------------------------------------------------------------
    def _owner_path(self) -> str:
        """The registry's ARM id with ``registry_name``, else the workspace's."""
        name = getattr(self._client, "registry_name", None)
        if not name:
            return self._workspace_path()
        key = name.lower()
        if key not in self._registry_ids:
            body = self._pipeline.get_json(f"/providers/{NAMESPACE}/registries/{quote(name)}",
                                           api_version=ML_API_VERSION)
            self._registry_ids[key] = str(body["id"])
        return self._registry_ids[key]

    def _caller_region(self) -> str | None:
        """The region of the workspace in context (registry downloads are served from its replica)."""
        client = self._client
        if not (client.subscription_id and client.resource_group_name and client.workspace_name):
            return None
        body = self._pipeline.get_json(self._workspace_path(), api_version=ML_API_VERSION)
        return str(body.get("location") or "") or None

    def _workspace_path(self) -> str:
        client = self._client
        missing = [label for label, value in (("subscription_id", client.subscription_id),
                                              ("resource_group_name", client.resource_group_name),
                                              ("workspace_name", client.workspace_name)) if not value]
        if missing:
            raise ValidationException(
                f"MLClient needs {', '.join(missing)} for {self.KIND} operations.", code="MissingWorkspace"
            )
        return (f"/subscriptions/{quote(str(client.subscription_id))}/resourceGroups/"
                f"{quote(str(client.resource_group_name))}/providers/{NAMESPACE}/workspaces/"
                f"{quote(str(client.workspace_name))}")

    def _container_url(self, name: str) -> str:
        return f"{self._owner_path()}/{self.KIND}/{quote(name)}"

    def _version_url(self, name: str, version: str) -> str:
        return f"{self._container_url(name)}/versions/{quote(version)}"

    # -- to be provided by subclasses -------------------------------------------------------------
    @abstractmethod
    def _from_rest(self, body: dict[str, Any]) -> T:  # pragma: no cover - subclasses define it
        ...

    # -- shared operations --------------------------------------------------------------------
    def _put_version(self, name: str, version: str | None, body: dict[str, Any]) -> T:
        """``PUT`` an explicit version, or ``POST .../versions`` so the server picks the next one."""
        if version is None:
            response = self._pipeline.send("POST", f"{self._container_url(name)}/versions",
                                           api_version=ML_API_VERSION, json=body)
        else:
            response = self._pipeline.send("PUT", self._version_url(name, version),
                                           api_version=ML_API_VERSION, json=body)
        return self._from_rest(response.json())

    def get(self, name: str, version: str | None = None, label: str | None = None) -> T:
        """One version, by ``version`` or ``label`` (``"latest"``: the newest non-archived version)."""
        if (version is None) == (label is None):
            raise ValidationException("Give exactly one of version and label.", code="InvalidArguments")
        target = f"@{label}" if label is not None else str(version)
        body = self._pipeline.get_json(self._version_url(name, target), api_version=ML_API_VERSION)
        return self._from_rest(body)

    def list(self, name: str | None = None, *, list_view_type: str = ListViewType.ACTIVE_ONLY,
             tags: dict[str, str] | None = None) -> ItemPaged[T]:
        """Versions of ``name`` (newest first), or the containers of this kind without a name."""
        if list_view_type not in _VIEW_TYPES:
            raise ValidationException(
                f"list_view_type must be one of {sorted(_VIEW_TYPES)}.", code="InvalidArguments"
            )
        params: dict[str, Any] = {"listViewType": list_view_type}
        if name is None:
            path = f"{self._owner_path()}/{self.KIND}"
        else:
            path = f"{self._container_url(name)}/versions"
            if tags:
                params["tags"] = ",".join(k if v is None else f"{k}={v}" for k, v in tags.items())
        return self._pipeline.paged(path, api_version=ML_API_VERSION, params=params, factory=self._from_rest)

    def _post_state(self, action: str, name: str, version: str | None) -> None:
        url = self._container_url(name) if version is None else self._version_url(name, str(version))
        self._pipeline.send("POST", f"{url}/{action}", api_version=ML_API_VERSION)

    def share(self, name: str, version: str, *, registry_name: str, share_with_name: str,
              share_with_version: str, **kwargs: Any) -> T:
        """Copy a version into registry ``registry_name`` as ``share_with_name:share_with_version``:
        from the client's workspace, or from the client's ``registry_name`` when it has one
        (promoting between registries). The target keeps its lineage back to the workspace, and
        bytes it has already are not copied again."""
        url = f"{self._owner_path()}/{self.KIND}/{quote(name)}/versions/{quote(str(version))}/share"
        body = {"registryName": registry_name, "shareWithName": share_with_name,
                "shareWithVersion": str(share_with_version)}
        response = self._pipeline.send("POST", url, api_version=ML_API_VERSION, json=body)
        return self._from_rest(response.json())

    def archive(self, name: str, version: str | None = None, **kwargs: Any) -> None:
        """Archive one version, or the whole container (all its versions) without a version."""
        self._post_state("archive", name, version)

    def restore(self, name: str, version: str | None = None, **kwargs: Any) -> None:
        """Restore what :meth:`archive` hid."""
        self._post_state("restore", name, version)

    def delete_version(self, name: str, version: str, *, permanently_delete: bool = False, **kwargs: Any) -> None:
        """Soft-delete one version (amlite's addition: recoverable with :meth:`recover_version` until the
        server's retention ends); ``permanently_delete`` purges it at once."""
        params = {"forceToPurge": "true"} if permanently_delete else None
        self._pipeline.send("DELETE", self._version_url(name, str(version)), api_version=ML_API_VERSION,
                            params=params)

    def recover_version(self, name: str, version: str, **kwargs: Any) -> T:
        """Bring back a version :meth:`delete_version` soft-deleted (not :meth:`restore`, which un-archives)."""
        response = self._pipeline.send("POST", f"{self._version_url(name, str(version))}/recover",
                                       api_version=ML_API_VERSION)
        return self._from_rest(response.json())

    def update(self, name: str, version: str, *, description: str | None = None,
               tags: dict[str, str] | None = None) -> T:
        """Change what may change on an existing version: its description and tags."""
        props: dict[str, Any] = {}
        if description is not None:
            props["description"] = description
        if tags is not None:
            props["tags"] = dict(tags)
        response = self._pipeline.send("PATCH", self._version_url(name, str(version)),
                                       api_version=ML_API_VERSION, json={"properties": props})
        return self._from_rest(response.json())

    # -- files ----------------------------------------------------------------------------------
    def _upload(self, field: str, local: Path, *, want: str | None = None,
                keep_folder_name: bool = False) -> builtins.list[dict[str, Any]]:
        """Upload a local file or folder; the manifest the version body carries as ``artifacts``.

        ``keep_folder_name`` puts a folder's files under its own name (``model/weights.bin``), as
        Azure ML lays out a model's files, so a download restores the folder itself.
        """
        from amlite.sdk import artifacts

        if not local.exists():
            raise local_path_error(field, local)
        if want == "file" and not local.is_file():
            raise local_path_error(field, local, "is not a file")
        if want == "dir" and not local.is_dir():
            raise local_path_error(field, local, "is not a folder")
        entries = artifacts.upload_tree(self._pipeline, self._owner_path(), local, on_progress=self.on_progress)
        prefix = f"{local.resolve().name}/" if keep_folder_name and local.is_dir() else ""
        return [{**entry.to_dict(), "path": prefix + entry.path} for entry in entries]
