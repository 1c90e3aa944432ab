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

from amlite.schemas import classify_path
from amlite.sdk.asset_entities import Data, Environment, Model
from amlite.sdk.errors import ValidationException
from amlite.sdk.operations._assets_base import AssetOperations, local_path_error

__all__ = ["DataOperations", "EnvironmentOperations", "ModelOperations"]


def _with_artifacts(body: dict[str, Any], artifacts: list[dict[str, Any]] | None) -> dict[str, Any]:
    if artifacts is not None:
        body["properties"]["artifacts"] = artifacts
    return body


class ModelOperations(AssetOperations[Model]):
    KIND = "models"
    #: The region(s) whose storage served the last :meth:`download` (``x-ms-served-region``).
    last_served_regions: list[str] = []

    def _from_rest(self, body: dict[str, Any]) -> Model:
        return Model._from_rest(body)

    def create_or_update(self, model: Model, **kwargs: Any) -> Model:
        """Create a model version; a local ``path`` (file or folder) is uploaded first."""
        spec = model._spec()
        artifacts: list[dict[str, Any]] | None = None
        remote: str | None = None
        if spec.path is None:
            error = local_path_error("path", Path("."), "is missing: a model needs a path")
            error.message = "path: a model needs a path (a local file or folder, or a datastore path or URL)."
            raise error
        if classify_path(spec.path) == "local":
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

    def create_or_update(self, environment: Environment, **kwargs: Any) -> Environment:
        """Create an environment version; a local build context folder is uploaded first."""
        spec = environment._spec()
        artifacts: list[dict[str, Any]] | None = None
        context_uri: str | None = None
        if spec.build is not None:
            if classify_path(spec.build.path) == "local":
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
        if classify_path(spec.path) == "local":
            local = data.resolve_local(spec.path)
            if spec.type == "mltable" and local.is_dir() and not (local / "MLTable").is_file():
                raise local_path_error("path", local / "MLTable", "does not exist: an mltable folder needs one")
            artifacts = self._upload("path", local, want="file" if spec.type == "uri_file" else "dir")
        else:
            remote = spec.path
        return self._put_version(spec.name, spec.version, _with_artifacts(data._to_rest(spec, remote), artifacts))
