"""Pydantic models of the Azure ML CLI v2 YAML files, shared by the SDK and the CLI.

``parse_spec(kind, data)`` validates a mapping; ``load_spec(kind, path, params_override)`` reads a
file first (numbers kept as their source text, see :mod:`amlite.schemas._yaml`). Both raise
:class:`YamlSchemaError`, whose ``field`` names the offending field and whose message names the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from amlite.schemas._yaml import YamlSchemaError, apply_overrides, load_yaml_dict, raise_from_pydantic
from amlite.schemas.assets import DataSpec, EnvironmentSpec, ModelSpec, classify_path
from amlite.schemas.components import CommandComponentSpec, PipelineComponentSpec, parse_component
from amlite.schemas.online_endpoints import ManagedOnlineDeploymentSpec, OnlineEndpointSpec
from amlite.schemas.jobs import CommandJobSpec, parse_job
from amlite.schemas.datastores import (
    AzureBlobDatastoreSpec,
    AzureDataLakeGen2DatastoreSpec,
    AzureFileDatastoreSpec,
    parse_datastore,
)

__all__ = [
    "AzureBlobDatastoreSpec",
    "AzureDataLakeGen2DatastoreSpec",
    "AzureFileDatastoreSpec",
    "CommandJobSpec",
    "CommandComponentSpec",
    "DataSpec",
    "EnvironmentSpec",
    "KINDS",
    "ManagedOnlineDeploymentSpec",
    "ModelSpec",
    "OnlineEndpointSpec",
    "PipelineComponentSpec",
    "YamlSchemaError",
    "classify_path",
    "load_spec",
    "parse_spec",
]

KINDS = ("model", "environment", "component", "data", "datastore", "job", "online_endpoint", "online_deployment")
_SIMPLE: dict[str, type[BaseModel]] = {"model": ModelSpec, "environment": EnvironmentSpec, "data": DataSpec,
                                        "online_endpoint": OnlineEndpointSpec,
                                        "online_deployment": ManagedOnlineDeploymentSpec}


def parse_spec(kind: str, data: dict[str, Any], source: str | None = None) -> Any:
    """Validate ``data`` as a ``kind`` YAML (one of :data:`KINDS`) and return its spec model."""
    if kind == "component":
        return parse_component(data, source)
    if kind == "datastore":
        return parse_datastore(data, source)
    if kind == "job":
        return parse_job(data, source)
    model = _SIMPLE.get(kind)
    if model is None:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise raise_from_pydantic(exc, source) from None


def load_spec(
    kind: str,
    path: str | os.PathLike[str],
    params_override: Sequence[Mapping[str, Any]] | None = None,
) -> Any:
    """Read and validate a YAML file of ``kind``, with azure-ai-ml style ``params_override``."""
    data = apply_overrides(load_yaml_dict(path), params_override)
    return parse_spec(kind, data, str(path))
