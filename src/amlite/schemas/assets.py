"""The Azure ML CLI v2 YAML of models, environments and data assets, as pydantic models.

Strictness follows Azure ML's own schemas (azure-ai-ml's marshmallow schemas and the service):
unknown fields are refused, enumerations are checked, required fields are required. Where amlite
checks at load time what azure-ai-ml only checks when the asset is created (an environment needs an
image or a build context, names must be valid), docs/yaml-differences.md says so.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from amlite.schemas._common import AssetName, AssetSpec, SpecModel, StrDict, Version
from amlite.schemas.rules import DATA_TYPES, MODEL_TYPES, URL_SCHEMES

__all__ = [
    "BuildContextSpec",
    "DATA_TYPES",
    "DataSpec",
    "EnvironmentSpec",
    "InferenceConfigSpec",
    "InlineEnvironmentSpec",
    "MODEL_TYPES",
    "ModelSpec",
    "RouteSpec",
    "classify_path",
]


_DATASTORE_PATH = re.compile(r"^azureml://datastores/(?P<ds>[^/]+)/paths/(?P<path>.*)$", re.I)
_LONG_DATASTORE_PATH = re.compile(
    r"^azureml://subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/[^/]+/datastores/[^/]+/paths/.*$", re.I
)
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_JOB_OUTPUT_PATH = re.compile(r"^azureml://jobs/[^/]+/outputs/[^/]+(/paths/.*)?/?$", re.I)


def classify_path(path: str) -> str:
    """``local``, ``datastore`` (``azureml://datastores/...``), ``job_output``
    (``azureml://jobs/<job>/outputs/<name>``) or ``url``; anything else is refused.

    A Windows drive letter (``C:\\data``) is local; ``azureml:name:version`` is not a path.
    """
    if _DATASTORE_PATH.match(path) or _LONG_DATASTORE_PATH.match(path):
        return "datastore"
    if _JOB_OUTPUT_PATH.match(path):
        return "job_output"
    scheme = _SCHEME.match(path)
    if scheme:
        if path.lower().startswith("azureml://"):
            raise ValueError(
                f"'{path}' is not a datastore path: write azureml://datastores/<datastore>/paths/<path>"
            )
        if scheme.group("scheme").lower() in URL_SCHEMES:
            return "url"
        raise ValueError(
            f"'{path}' uses an unsupported scheme '{scheme.group('scheme')}': use a local path, "
            "azureml://datastores/<datastore>/paths/<path>, or an https/wasbs/abfss URL"
        )
    return "local"


def _path_value(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("the path must not be empty")
        classify_path(value)
    return value


PathValue = Annotated[str, BeforeValidator(_path_value)]


class ModelSpec(AssetSpec):
    """``model.schema.json``: a model version from a local file/folder or a remote path."""

    path: PathValue | None = None
    type: Literal["custom_model", "mlflow_model", "triton_model"] = "custom_model"
    flavors: dict[str, dict[str, Any]] | None = None
    stage: str | None = None
    job_name: str | None = None


class BuildContextSpec(SpecModel):
    """``build:`` of an environment: a local folder (uploaded) or a remote context, and its Dockerfile."""

    path: str
    dockerfile_path: str = "Dockerfile"


class RouteSpec(SpecModel):
    port: int
    path: str


class InferenceConfigSpec(SpecModel):
    liveness_route: RouteSpec
    readiness_route: RouteSpec
    scoring_route: RouteSpec


def _os_type(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class _EnvironmentFields(SpecModel):
    image: str | None = None
    build: BuildContextSpec | None = None
    conda_file: str | dict[str, Any] | None = None
    os_type: Annotated[Literal["linux", "windows"], BeforeValidator(_os_type)] = "linux"
    inference_config: InferenceConfigSpec | None = None

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(c.isspace() for c in value)):
            raise ValueError(f"'{value}' is not an image reference (e.g. mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest)")
        return value

    @model_validator(mode="after")
    def _image_or_build(self) -> _EnvironmentFields:
        if self.image and self.build:
            raise ValueError("give either 'image' or 'build', not both")
        if not self.image and not self.build:
            raise ValueError("an environment needs 'image' (optionally with 'conda_file') or 'build'")
        if self.build and self.conda_file is not None:
            raise ValueError("'conda_file' goes with 'image'; with 'build' put the conda file in the build context")
        return self


class EnvironmentSpec(AssetSpec, _EnvironmentFields):
    """``environment.schema.json``: a Docker image (plus conda file) or a Docker build context."""


class InlineEnvironmentSpec(_EnvironmentFields):
    """An environment written inside a component: the same fields, the name and version optional."""

    name: AssetName | None = None
    version: Version | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)


class DataSpec(AssetSpec):
    """``data.schema.json``: a file, folder or MLTable, local (uploaded) or on a datastore/URL."""

    type: Literal["uri_file", "uri_folder", "mltable"] = "uri_folder"
    path: PathValue
