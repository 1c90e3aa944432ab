"""Versioned asset entities (``Model``, ``Environment``, ``Data``), shaped like azure-ai-ml's.

An entity is what a user builds in Python or what ``load_model(...)`` reads from YAML. Before it is
sent, ``_spec()`` turns it back into the YAML shape and validates it with :mod:`amlite.schemas`, so
``Model(version=1)`` and ``version: 1`` in a file are checked by the same rules and give the same
REST body. ``base_path`` is the folder relative paths are resolved against (the YAML's folder, or
the current directory for entities made in code), as azure-ai-ml does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from amlite.sdk._dicts import compact, creation_context, snake_keys
from amlite.sdk.config import parse_arm_id
from amlite.sdk.errors import ValidationException

if TYPE_CHECKING:  # the schemas (pydantic models) are imported when an entity is validated, not to read one
    from amlite.schemas import DataSpec, EnvironmentSpec, ModelSpec, YamlSchemaError

__all__ = [
    "Asset",
    "BuildContext",
    "Data",
    "Environment",
    "ListViewType",
    "Model",
    "spec_error",
]


class ListViewType:
    """Which versions a list shows (azure-ai-ml's ``ListViewType``)."""

    ACTIVE_ONLY = "ActiveOnly"
    ARCHIVED_ONLY = "ArchivedOnly"
    ALL = "All"


def spec_error(exc: YamlSchemaError) -> ValidationException:
    """The SDK's typed error for a schema failure, with the offending field as its target."""
    error = ValidationException(str(exc), code="InvalidYaml")
    error.error.target = exc.field
    return error


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != {} and v != []}


@dataclass
class Asset(ABC):
    """Fields every versioned asset has; the server fills in ``id``, ``creation_context``, ``_rest``."""

    name: str
    version: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    properties: dict[str, str] | None = None
    id: str | None = None
    is_archived: bool = False
    creation_context: dict[str, Any] | None = None
    base_path: str | None = field(default=None, repr=False)
    _rest: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    # -- shared helpers -------------------------------------------------------------------------
    def _base(self) -> Path:
        return Path(self.base_path) if self.base_path else Path.cwd()

    def resolve_local(self, path: str) -> Path:
        """A local path of this asset, relative to ``base_path`` (the YAML's folder)."""
        candidate = Path(os.path.expanduser(path))
        return candidate if candidate.is_absolute() else (self._base() / candidate)

    def _common_spec(self) -> dict[str, Any]:
        return _drop_none({"name": self.name or None, "version": self.version, "description": self.description,
                           "tags": self.tags, "properties": self.properties})

    @staticmethod
    def _validate(kind: str, data: dict[str, Any]) -> Any:
        from amlite.schemas import YamlSchemaError, parse_spec

        try:
            return parse_spec(kind, data)
        except YamlSchemaError as exc:
            raise spec_error(exc) from None

    @staticmethod
    def _common_rest(spec: Any) -> dict[str, Any]:
        return {"description": spec.description, "tags": dict(spec.tags), "properties": dict(spec.properties)}

    def _fill_common(self, body: dict[str, Any]) -> None:
        props: dict[str, Any] = body.get("properties") or {}
        ids = parse_arm_id(str(body.get("id") or ""))
        kind_name = next((ids[k] for k in ("models", "environments", "components", "data") if k in ids), None)
        if kind_name is not None and "versions" in ids:  # .../models/{name}/versions/{version}
            self.name = kind_name
            self.version = ids["versions"]
        else:  # a container (.../models/{name}): its name is the asset's name, it has no version
            self.name = str(body.get("name") or self.name)
            self.version = None
        self.id = body.get("id")
        self.description = props.get("description")
        self.tags = dict(props.get("tags") or {})
        self.properties = dict(props.get("properties") or {})
        self.is_archived = bool(props.get("isArchived", False))
        self.creation_context = body.get("systemData")
        self._rest = body

    @property
    def latest_version(self) -> str | None:
        """For containers from ``list()`` without a name: the newest version."""
        return ((self._rest or {}).get("properties") or {}).get("latestVersion")

    @property
    def artifacts(self) -> list[dict[str, Any]]:
        """The manifest of uploaded files (relative path, sha256, size) the server holds."""
        return list(((self._rest or {}).get("properties") or {}).get("artifacts") or [])

    def as_dict(self) -> dict[str, Any]:
        """The server's body when this came from the server, else the YAML-shaped spec."""
        if self._rest is not None:
            return dict(self._rest)
        spec: dict[str, Any] = self._spec().model_dump(mode="json", exclude_none=True)
        return spec

    #: azure-ai-ml prints the ARM id of models, environments and components with this prefix.
    _ID_PREFIX: ClassVar[str] = "azureml:"
    #: Whether azure-ai-ml prints ``properties`` for this kind (it does not for environments).
    _PRINTS_PROPERTIES: ClassVar[bool] = True

    def _to_dict(self) -> dict[str, Any]:
        """The dict azure-ai-ml's entity gives (``entity._to_dict()``), which ``az ml`` prints.

        For an entity read from the server: ``name``, ``version``, ``id``, ``creation_context``,
        ``description`` (as the server has it), ``tags``, ``properties`` and the kind's own fields;
        for a container (a list without a name), ``latest_version`` instead of ``version``. A
        registry's version also has amlite's ``replication`` (each region's state) and ``lineage``
        (where it was shared from). An entity not yet sent gives its YAML-shaped spec.
        """
        if self._rest is None:
            return self.as_dict()
        props: dict[str, Any] = self._rest.get("properties") or {}
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "id": f"{self._ID_PREFIX}{self.id}" if self.id else None,
            "creation_context": creation_context(self._rest.get("systemData")),
            "description": props.get("description"),
            "tags": dict(self.tags or {}),
        }
        if self._PRINTS_PROPERTIES:
            out["properties"] = dict(self.properties or {})
        if self.version is None:
            out["latest_version"] = self.latest_version
            return compact(out)
        out.update(self._kind_dict(props))
        # amlite's own, for a registry's versions: each region's copy, and where it was shared from.
        out["replication"] = props.get("replication")
        out["lineage"] = snake_keys(props["lineage"]) if props.get("lineage") else None
        return compact(out)

    def _kind_dict(self, props: dict[str, Any]) -> dict[str, Any]:
        """The kind's own fields in ``_to_dict()`` (none for a bare container)."""
        return {}

    @abstractmethod
    def _spec(self) -> Any:  # pragma: no cover - every subclass defines it
        ...


@dataclass
class Model(Asset):
    """A model: a local file or folder (uploaded on create) or a datastore/URL path.

        >>> Model(name="m", version=1, path="./model")._spec().version
        '1'
    """

    path: str | None = None
    type: str = "custom_model"
    flavors: dict[str, dict[str, Any]] | None = None
    stage: str | None = None
    job_name: str | None = None

    def _spec(self) -> ModelSpec:
        data = {**self._common_spec(), "path": self.path, "type": self.type, "flavors": self.flavors,
                "stage": self.stage, "job_name": self.job_name}
        spec: ModelSpec = self._validate("model", _drop_none(data))
        return spec

    def _to_rest(self, spec: ModelSpec, remote_uri: str | None) -> dict[str, Any]:
        props = {**self._common_rest(spec), "modelType": spec.type, "modelUri": remote_uri,
                 "flavors": spec.flavors, "stage": spec.stage, "jobName": spec.job_name}
        return {"properties": _drop_none(props) | {"tags": dict(spec.tags)}}

    def _kind_dict(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"type": self.type, "path": self.path, "stage": self.stage, "flavors": self.flavors,
                "job_name": self.job_name}

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> Model:
        props: dict[str, Any] = body.get("properties") or {}
        model = cls(name="", path=props.get("modelUri"), type=str(props.get("modelType") or "custom_model"),
                    flavors=props.get("flavors"), stage=props.get("stage"), job_name=props.get("jobName"))
        model._fill_common(body)
        return model


@dataclass
class BuildContext:
    """A Docker build context: a local folder (uploaded) or a remote context, and its Dockerfile."""

    path: str
    dockerfile_path: str = "Dockerfile"


@dataclass
class Environment(Asset):
    """An environment: a Docker image with an optional conda file, or a Docker build context.

    ``conda_file`` is a path (relative to ``base_path``) or the conda YAML as a mapping; it is sent
    to the server as the YAML text, as Azure ML stores it.
    """

    image: str | None = None
    build: BuildContext | None = None
    conda_file: str | dict[str, Any] | None = None
    os_type: str = "linux"
    inference_config: dict[str, Any] | None = None

    def _spec_data(self) -> dict[str, Any]:
        build = None
        if self.build is not None:
            build = {"path": self.build.path, "dockerfile_path": self.build.dockerfile_path}
        return _drop_none({**self._common_spec(), "image": self.image, "build": build,
                           "conda_file": self.conda_file, "os_type": self.os_type,
                           "inference_config": self.inference_config})

    def _spec(self) -> EnvironmentSpec:
        spec: EnvironmentSpec = self._validate("environment", self._spec_data())
        return spec

    def conda_text(self) -> str | None:
        """The conda file as YAML text: read from disk when a path, dumped when inline."""
        import yaml

        if self.conda_file is None:
            return None
        if isinstance(self.conda_file, dict):
            return str(yaml.safe_dump(self.conda_file, sort_keys=False))
        path = self.resolve_local(self.conda_file)
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            error = ValidationException(f"conda_file: cannot read '{path}': {exc.strerror or exc}",
                                        code="LocalPathNotFound")
            error.error.target = "conda_file"
            raise error from None

    def _to_rest(self, spec: Any, context_uri: str | None = None) -> dict[str, Any]:
        build = None
        if spec.build is not None:
            build = _drop_none({"contextUri": context_uri, "dockerfilePath": spec.build.dockerfile_path})
        inference = None
        if spec.inference_config is not None:
            ic = spec.inference_config
            inference = {
                key: {"port": getattr(ic, attr).port, "path": getattr(ic, attr).path}
                for key, attr in (("livenessRoute", "liveness_route"), ("readinessRoute", "readiness_route"),
                                  ("scoringRoute", "scoring_route"))
            }
        props = {**self._common_rest(spec), "image": spec.image, "build": build,
                 "condaFile": self.conda_text(), "osType": spec.os_type.capitalize(),
                 "inferenceConfig": inference}
        return {"properties": _drop_none(props) | {"tags": dict(spec.tags)}}

    _PRINTS_PROPERTIES: ClassVar[bool] = False

    def _kind_dict(self, props: dict[str, Any]) -> dict[str, Any]:
        build = None
        if self.build is not None:
            build = {"path": self.build.path, "dockerfile_path": self.build.dockerfile_path}
        return {"image": self.image, "build": build, "conda_file": self.conda_file, "os_type": self.os_type,
                "inference_config": snake_keys(self.inference_config) if self.inference_config else None}

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> Environment:
        from amlite.schemas._yaml import YamlSchemaError, load_yaml_text

        props: dict[str, Any] = body.get("properties") or {}
        build = props.get("build")
        conda: Any = props.get("condaFile")
        if isinstance(conda, str):
            try:
                conda = load_yaml_text(conda)
            except YamlSchemaError:
                pass
        env = cls(
            name="", image=props.get("image"),
            build=BuildContext(path=str(build.get("contextUri") or ""),
                               dockerfile_path=str(build.get("dockerfilePath") or "Dockerfile"))
            if isinstance(build, dict) else None,
            conda_file=conda, os_type=str(props.get("osType") or "Linux").lower(),
            inference_config=props.get("inferenceConfig"),
        )
        env._fill_common(body)
        return env


@dataclass
class Data(Asset):
    """A data asset: ``uri_file``, ``uri_folder`` or ``mltable``, local (uploaded) or remote."""

    path: str | None = None
    type: str = "uri_folder"

    def _spec(self) -> DataSpec:
        data = {**self._common_spec(), "path": self.path, "type": self.type}
        spec: DataSpec = self._validate("data", _drop_none(data))
        return spec

    def _to_rest(self, spec: DataSpec, remote_uri: str | None) -> dict[str, Any]:
        props = {**self._common_rest(spec), "dataType": spec.type, "dataUri": remote_uri}
        return {"properties": _drop_none(props) | {"tags": dict(spec.tags)}}

    _ID_PREFIX: ClassVar[str] = ""  # azure-ai-ml prints a data asset's id as ARM has it

    def _kind_dict(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"path": self.path, "type": self.type}

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> Data:
        props: dict[str, Any] = body.get("properties") or {}
        data = cls(name="", path=props.get("dataUri"), type=str(props.get("dataType") or "uri_folder"))
        data._fill_common(body)
        return data
