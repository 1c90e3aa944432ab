"""``ml_client.models``, ``ml_client.environments`` and ``ml_client.data`` (azure-ai-ml's names).

``create_or_update`` validates the entity with the YAML schema, uploads local files (relative to
the entity's ``base_path``, the YAML's folder) and then creates the version: ``PUT`` when it has a
version, ``POST .../versions`` when it does not (the server picks the next integer). A version with
the same content again is accepted as is (idempotent); different content is a 409 from the server.

    >>> from amlite import MLClient, Model, AmliteCliCredential
    >>> ml_client = MLClient.from_config(AmliteCliCredential())            # doctest: +SKIP
    >>> ml_client.models.create_or_update(Model(name="m", path="./model"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import ItemPaged
from amlite.sdk.asset_entities import Data, Environment, ListViewType, Model
from amlite.sdk.errors import ValidationException
from amlite.sdk.operations._assets_base import _VIEW_TYPES, AssetOperations, local_path_error

__all__ = ["DataOperations", "EnvironmentOperations", "ModelOperations"]


def _with_artifacts(body: dict[str, Any], artifacts: list[dict[str, Any]] | None) -> dict[str, Any]:
    if artifacts is not None:
        body["properties"]["artifacts"] = artifacts
    return body


def _is_local(path: str) -> bool:
    """Whether a spec's path is on this machine (to upload). The schemas are imported here, by
    the writes, not with the module: listing and reading assets does not need them."""
    from amlite.schemas import classify_path

    return classify_path(path) == "local"


class ModelOperations(AssetOperations[Model]):
    KIND = "models"
    #: The region(s) whose storage served the last :meth:`download` (``x-ms-served-region``).
    last_served_regions: list[str] = []

    def _from_rest(self, body: dict[str, Any]) -> Model:
        return Model._from_rest(body)

    def search(self, tags: dict[str, str | None], *, list_view_type: str = ListViewType.ACTIVE_ONLY) -> ItemPaged[Model]:
        """Versions of every model in the workspace carrying each of ``tags`` (a ``None`` value:
        any value), newest first, as MLflow's ``search_model_versions`` finds them by tag::

            for model in ml_client.models.search({"stage": "prod", "team": None}):
                print(model.name, model.version)

        Served from the workspace's tag index; registries are not searched."""
        if not tags:
            raise ValidationException("Name at least one tag to search by.", code="InvalidArguments")
        if list_view_type not in _VIEW_TYPES:
            raise ValidationException(f"list_view_type must be one of {sorted(_VIEW_TYPES)}.", code="InvalidArguments")
        if "/registries/" in self._owner_path():
            raise ValidationException("Searching by tag covers a workspace's models, not a registry's.",
                                      code="InvalidArguments")
        query = ",".join(k if v is None else f"{k}={v}" for k, v in tags.items())
        return self._pipeline.paged(f"{self._owner_path()}/modelVersions", api_version=ML_API_VERSION,
                                    params={"listViewType": list_view_type, "tags": query}, factory=self._from_rest)

    def list(self, name: str | None = None, *, list_view_type: str = ListViewType.ACTIVE_ONLY,
             tags: dict[str, str] | None = None) -> ItemPaged[Model]:
        """Versions of ``name`` (newest first), or the models without a name; with ``tags`` and
        no name, the versions of every model carrying them (:meth:`search`)."""
        if name is None and tags:
            return self.search(dict(tags), list_view_type=list_view_type)
        return super().list(name, list_view_type=list_view_type, tags=tags)

    def create_or_update(self, model: Model, **kwargs: Any) -> Model:
        """Create a model version; a local ``path`` (file or folder) is uploaded first."""
        spec = model._spec()
        artifacts: list[dict[str, Any]] | None = None
        remote: str | None = None
        if spec.path is None:
            error = local_path_error("path", Path("."), "is missing: a model needs a path")
            error.message = "path: a model needs a path (a local file or folder, or a datastore path or URL)."
            raise error
        if _is_local(spec.path):
            artifacts = self._upload("path", model.resolve_local(spec.path), keep_folder_name=True)
        else:
            remote = spec.path
        return self._put_version(spec.name, spec.version, _with_artifacts(model._to_rest(spec, remote), artifacts))

    def download(self, name: str, version: str, download_path: str | Path = ".") -> Path:
        """Download a version's files into ``download_path/<name>``, byte for byte; returns that folder.

        From a registry, the files come from the replica in the region of the client's workspace
        when it is ready there; :attr:`last_served_regions` says which region(s) served them."""
        from amlite.sdk import artifacts

        model = self.get(name, version=version)
        dest = Path(download_path) / name
        manifest = model.artifacts
        if not manifest:
            raise ValidationException(
                f"Model {name}:{version} has no uploaded files to download (its path is {model.path!r}).",
                code="NothingToDownload",
            )
        entries = [artifacts.ManifestEntry.from_dict(item) for item in manifest]
        region = self._caller_region() if self._client.registry_name else None
        served: set[str] = set()
        artifacts.download_tree(self._pipeline, self._owner_path(), entries, dest, on_progress=self.on_progress,
                                params={"callerRegion": region} if region else None, served_regions=served)
        self.last_served_regions = sorted(served)
        return dest


class EnvironmentOperations(AssetOperations[Environment]):
    KIND = "environments"

    def _from_rest(self, body: dict[str, Any]) -> Environment:
        return Environment._from_rest(body)

    def list_images(self) -> list[dict[str, Any]]:
        """The images built for this workspace's environments that it sees in its container
        registry (a project: only those under its own namespace of its hub's registry), as
        ``{name, registry, repository, namespace, environment_id, built_by_job, built_at}``.
        amlite's: azure-ai-ml has no such call (Azure lists them with ``az acr repository list``)."""
        if getattr(self._client, "registry_name", None):
            raise ValidationException("Images are listed for a workspace, not a registry.", code="InvalidArguments")
        body = self._pipeline.get_json(f"{self._workspace_path()}/images", api_version=ML_API_VERSION)
        keys = {"environmentId": "environment_id", "builtByJob": "built_by_job", "builtAt": "built_at"}
        return [{keys.get(k, k): v for k, v in item.items()} for item in body.get("value") or []]

    def create_or_update(self, environment: Environment, **kwargs: Any) -> Environment:
        """Create an environment version; a local build context folder is uploaded first."""
        spec = environment._spec()
        artifacts: list[dict[str, Any]] | None = None
        context_uri: str | None = None
        if spec.build is not None:
            if _is_local(spec.build.path):
                folder = environment.resolve_local(spec.build.path)
                if not folder.is_dir():
                    raise local_path_error("build.path", folder, "is not a folder")
                if not (folder / spec.build.dockerfile_path).is_file():
                    raise local_path_error("build.dockerfile_path", folder / spec.build.dockerfile_path)
                artifacts = self._upload("build.path", folder, want="dir")
            else:
                context_uri = spec.build.path
        body = environment._to_rest(spec, context_uri)
        return self._put_version(spec.name, spec.version, _with_artifacts(body, artifacts))


class DataOperations(AssetOperations[Data]):
    KIND = "data"

    def _from_rest(self, body: dict[str, Any]) -> Data:
        return Data._from_rest(body)

    def create_or_update(self, data: Data, **kwargs: Any) -> Data:
        """Create a data version; a local file (uri_file) or folder (uri_folder, mltable) is uploaded."""
        spec = data._spec()
        artifacts: list[dict[str, Any]] | None = None
        remote: str | None = None
        if _is_local(spec.path):
            local = data.resolve_local(spec.path)
            if spec.type == "mltable" and local.is_dir() and not (local / "MLTable").is_file():
                raise local_path_error("path", local / "MLTable", "does not exist: an mltable folder needs one")
            artifacts = self._upload("path", local, want="file" if spec.type == "uri_file" else "dir")
        else:
            remote = spec.path
        return self._put_version(spec.name, spec.version, _with_artifacts(data._to_rest(spec, remote), artifacts))
