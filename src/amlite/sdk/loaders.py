"""``load_model``, ``load_environment``, ``load_component``, ``load_data``, ``load_datastore``,
``load_connection``:
Azure ML CLI v2 YAML files to SDK entities, as azure-ai-ml's functions of the same names.

They run offline. Relative paths in the file (``path``, ``code``, ``build.path``, ``conda_file``)
are resolved against the file's folder when the entity is created, not against the current
directory. As azure-ai-ml does, a conda file given as a path is read now (a missing one is an
error here), and a pipeline's ``file:`` children are loaded with it.

    >>> from amlite import load_model
    >>> model = load_model("model.yml", params_override=[{"version": "2"}])  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from amlite.schemas import YamlSchemaError, load_spec, parse_spec
from amlite.schemas._yaml import apply_overrides, load_yaml_dict
from amlite.schemas.components import parse_component
from amlite.sdk.asset_entities import BuildContext, Data, Environment, Model, spec_error
from amlite.sdk.connection_entities import WorkspaceConnection
from amlite.sdk.component_entities import CommandComponent, Component, PipelineComponent
from amlite.sdk.datastore_entities import (
    AccountKeyConfiguration,
    AzureBlobDatastore,
    AzureDataLakeGen2Datastore,
    AzureFileDatastore,
    Datastore,
    SasTokenConfiguration,
)
from amlite.sdk.errors import ValidationException

__all__ = [
    "asset_from_dict",
    "component_from_spec",
    "is_file_reference",
    "load_component",
    "load_data",
    "load_connection",
    "load_datastore",
    "load_environment",
    "load_model",
]

Overrides = Sequence[Mapping[str, Any]] | None


def _load(kind: str, source: str | os.PathLike[str], params_override: Overrides) -> tuple[Any, str]:
    try:
        spec = load_spec(kind, source, params_override)
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    return spec, str(Path(source).resolve().parent)


def _common(spec: Any) -> dict[str, Any]:
    return {"name": spec.name, "version": spec.version, "description": spec.description,
            "tags": dict(spec.tags), "properties": dict(spec.properties)}


def _model_from_spec(spec: Any, base: str) -> Model:
    return Model(**_common(spec), path=spec.path, type=spec.type, flavors=spec.flavors, stage=spec.stage,
                 job_name=spec.job_name, base_path=base)


def _data_from_spec(spec: Any, base: str) -> Data:
    return Data(**_common(spec), path=spec.path, type=spec.type, base_path=base)


def load_model(source: str | os.PathLike[str], params_override: Overrides = None, **kwargs: Any) -> Model:
    """A :class:`Model` from a model YAML file."""
    spec, base = _load("model", source, params_override)
    return _model_from_spec(spec, base)


def _environment_from_spec(spec: Any, base: str) -> Environment:
    build = BuildContext(spec.build.path, spec.build.dockerfile_path) if spec.build else None
    inference = spec.inference_config.model_dump() if spec.inference_config else None
    env = Environment(name=spec.name or "", version=spec.version, description=spec.description,
                      tags=dict(spec.tags), properties=dict(spec.properties), image=spec.image, build=build,
                      conda_file=spec.conda_file, os_type=spec.os_type, inference_config=inference,
                      base_path=base)
    env.conda_text()  # a conda file path must exist now, as azure-ai-ml checks on load
    return env


def load_environment(source: str | os.PathLike[str], params_override: Overrides = None,
                     **kwargs: Any) -> Environment:
    """An :class:`Environment` from an environment YAML file."""
    spec, base = _load("environment", source, params_override)
    return _environment_from_spec(spec, base)


def load_data(source: str | os.PathLike[str], params_override: Overrides = None, **kwargs: Any) -> Data:
    """A :class:`Data` asset from a data YAML file."""
    spec, base = _load("data", source, params_override)
    return _data_from_spec(spec, base)


def asset_from_dict(kind: str, data: dict[str, Any], base_path: str | os.PathLike[str] = ".") -> Model | Data:
    """A model or data asset from a YAML-shaped mapping (the CLI's ``create`` without ``--file``)."""
    try:
        spec = parse_spec(kind, data)
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    base = str(Path(base_path).resolve())
    return _model_from_spec(spec, base) if kind == "model" else _data_from_spec(spec, base)


def load_datastore(source: str | os.PathLike[str], params_override: Overrides = None,
                   **kwargs: Any) -> Datastore:
    """An ``Azure*Datastore`` from a datastore YAML file (``type`` picks the class)."""
    spec, _base = _load("datastore", source, params_override)
    creds: AccountKeyConfiguration | SasTokenConfiguration | None = None
    if spec.credentials is not None and hasattr(spec.credentials, "account_key"):
        creds = AccountKeyConfiguration(spec.credentials.account_key)
    elif spec.credentials is not None:
        creds = SasTokenConfiguration(spec.credentials.sas_token)
    common = {"name": spec.name, "account_name": spec.account_name, "description": spec.description,
              "tags": dict(spec.tags), "properties": dict(spec.properties), "endpoint": spec.endpoint,
              "protocol": spec.protocol, "credentials": creds}
    if spec.type == "azure_blob":
        return AzureBlobDatastore(**common, container_name=spec.container_name)
    if spec.type == "azure_data_lake_gen2":
        return AzureDataLakeGen2Datastore(**common, filesystem=spec.filesystem)
    return AzureFileDatastore(**common, file_share_name=spec.file_share_name)


def load_connection(source: str | os.PathLike[str], params_override: Overrides = None,
                    **kwargs: Any) -> WorkspaceConnection:
    """A :class:`WorkspaceConnection` from a connection YAML file (``type`` picks its fields)."""
    try:
        data = apply_overrides(load_yaml_dict(source), params_override)
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    return WorkspaceConnection._from_yaml_dict(data, str(source))


def is_file_reference(value: str) -> bool:
    """``file:./x.yml`` or a relative/absolute path to a YAML file (not an ``azureml:`` reference)."""
    if value.startswith("file:"):
        return True
    return not value.startswith("azureml:") and value.lower().endswith((".yml", ".yaml"))


def _ports(ports: dict[str, Any]) -> dict[str, Any]:
    return {name: port.model_dump(mode="json", exclude_none=True) for name, port in ports.items()}


def component_from_spec(spec: Any, base: str, *, _seen: frozenset[str] = frozenset()) -> Component:
    """An entity from a validated component spec, loading a pipeline's file children."""
    common = {**_common(spec), "display_name": spec.display_name, "inputs": _ports(spec.inputs),
              "outputs": _ports(spec.outputs), "is_deterministic": spec.is_deterministic, "base_path": base}
    if spec.type == "command":
        env: Any = spec.environment
        if not isinstance(env, str):
            env = _environment_from_spec(env, base)
        return CommandComponent(
            **common, command=spec.command, code=spec.code, environment=env,
            resources=spec.resources.model_dump(exclude_none=True) if spec.resources else None,
            distribution=spec.distribution.model_dump(exclude_none=True) if spec.distribution else None,
            environment_variables=dict(spec.environment_variables) or None,
            additional_includes=spec.additional_includes,
        )
    jobs: dict[str, Any] = {}
    children: dict[str, Component] = {}
    for job_name, job in spec.jobs.items():
        data = job.model_dump(mode="json", exclude_none=True)
        ref = job.component
        if isinstance(ref, str) and is_file_reference(ref):
            children[job_name] = _load_child(ref, base, f"jobs.{job_name}.component", _seen)
        elif isinstance(ref, dict):
            try:
                child_spec = parse_component(ref)
            except YamlSchemaError as exc:
                raise spec_error(YamlSchemaError(exc.detail, field=f"jobs.{job_name}.component"
                                                 + (f".{exc.field}" if exc.field else ""))) from None
            children[job_name] = component_from_spec(child_spec, base, _seen=_seen)
        jobs[job_name] = data
    pipeline = PipelineComponent(**common, jobs=jobs)
    pipeline.child_components = children
    return pipeline


def _load_child(ref: str, base: str, field_name: str, seen: frozenset[str]) -> Component:
    target = ref[len("file:"):] if ref.startswith("file:") else ref
    path = Path(target) if Path(target).is_absolute() else Path(base) / target
    key = str(path.resolve())
    if key in seen:
        error = ValidationException(f"{field_name}: '{ref}' refers back to a pipeline that includes it.",
                                    code="InvalidYaml")
        error.error.target = field_name
        raise error
    if not path.is_file():
        error = ValidationException(f"{field_name}: the component file '{path}' does not exist.",
                                    code="LocalPathNotFound")
        error.error.target = field_name
        raise error
    try:
        child = parse_component(load_yaml_dict(path), str(path))
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    return component_from_spec(child, str(path.resolve().parent), _seen=seen | {key})


def load_component(source: str | os.PathLike[str], params_override: Overrides = None,
                   **kwargs: Any) -> CommandComponent | PipelineComponent:
    """A :class:`CommandComponent` or :class:`PipelineComponent` from a component YAML file."""
    path = Path(source)
    try:
        data = apply_overrides(load_yaml_dict(path), params_override)
        spec = parse_component(data, str(path))
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    component = component_from_spec(spec, str(path.resolve().parent), _seen=frozenset({str(path.resolve())}))
    assert isinstance(component, (CommandComponent, PipelineComponent))
    return component
