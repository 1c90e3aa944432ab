"""``Command`` jobs, shaped like azure-ai-ml's ``CommandJob``, and ``load_job``.

An entity is built in Python or read from a command job YAML (``load_job``); relative paths (the
``code`` folder, local input files) are taken from the YAML's folder (``base_path``). A job read
from the server carries its REST body; ``_to_dict()`` gives the dict azure-ai-ml's job entity
gives, which ``az ml job show`` prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlite.schemas import YamlSchemaError
from amlite.schemas._yaml import apply_overrides, load_yaml_dict
from amlite.schemas.jobs import INPUT_MODES, OUTPUT_MODES, CommandJobSpec, PipelineJobYaml, parse_command_job, parse_job
from amlite.sdk._dicts import compact, creation_context
from amlite.sdk.asset_entities import spec_error

__all__ = ["CommandJob", "JobStatus", "PipelineJob", "job_from_rest", "load_job"]

SCHEMA = "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json"
_MODES_BACK = {v: k for k, v in {**INPUT_MODES, **OUTPUT_MODES}.items()}
TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")


class JobStatus:
    """A job's statuses (azure-ai-ml's ``JobStatus``)."""

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"


class _JobFields:
    """What command and pipeline jobs share: local paths, and what the server says of them."""

    base_path: str | None
    _rest: dict[str, Any] | None

    def resolve_local(self, path: str) -> Path:
        given = Path(path)
        return given if given.is_absolute() else Path(self.base_path or os.getcwd()) / given

    @property
    def warnings(self) -> list[str]:
        """What the server could not honour (an image with no container engine, conda packages...)."""
        return list(((self._rest or {}).get("properties") or {}).get("warnings") or [])

    @property
    def error(self) -> dict[str, Any] | None:
        found = ((self._rest or {}).get("properties") or {}).get("error")
        return dict(found) if isinstance(found, dict) else None

    @property
    def metrics(self) -> dict[str, float]:
        """The latest value of each metric the job's MLflow run logged (filled by ``jobs.get``)."""
        found = ((self._rest or {}).get("properties") or {}).get("metrics")
        return dict(found) if isinstance(found, dict) else {}

    @property
    def mlflow_run_id(self) -> str | None:
        """The id of the job's MLflow run (``MLFLOW_RUN_ID`` in the job's process)."""
        found = ((self._rest or {}).get("properties") or {}).get("mlflowRunId")
        return str(found) if found else None

    @property
    def output_files(self) -> dict[str, list[dict[str, Any]]]:
        """Each output's files (``path``, ``sha256``, ``size``) once the job completed."""
        outputs = ((self._rest or {}).get("properties") or {}).get("outputs") or {}
        return {k: list(v.get("artifacts") or []) for k, v in outputs.items() if isinstance(v, dict)}

    @property
    def code_files(self) -> list[dict[str, Any]]:
        """The code snapshot the job ran (``path``, ``sha256``, ``size`` of each file), kept in the
        workspace's storage, so whoever traces a model back to its job sees exactly what ran."""
        return list(((self._rest or {}).get("properties") or {}).get("codeArtifacts") or [])

    @property
    def log_files(self) -> list[dict[str, Any]]:
        return list(((self._rest or {}).get("properties") or {}).get("logs") or [])


@dataclass
class CommandJob(_JobFields):
    """A command job: what it runs (``command`` in ``environment``, with ``code``) and on what
    (``inputs``), what it leaves (``outputs``). Server fields (``status``, ``id``...) are filled on
    the entities the client returns."""

    command: str = ""
    environment: Any = None  # a reference (str), or an inline environment (a mapping or an Environment)
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    experiment_name: str | None = None
    code: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    environment_variables: dict[str, str] = field(default_factory=dict)
    compute: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None
    base_path: str | None = None
    status: str | None = None
    id: str | None = None
    _rest: dict[str, Any] | None = field(default=None, repr=False)

    type = "command"

    def _spec(self) -> CommandJobSpec:
        data: dict[str, Any] = {"type": "command", "command": self.command, "environment": self.environment}
        for key in ("name", "display_name", "description", "experiment_name", "code", "compute", "resources",
                    "distribution"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if hasattr(self.environment, "_spec_data"):
            data["environment"] = self.environment._spec_data()
        data.update(inputs=dict(self.inputs), outputs=dict(self.outputs), tags=dict(self.tags),
                    properties=dict(self.properties), environment_variables=dict(self.environment_variables))
        try:
            return parse_command_job(data)
        except YamlSchemaError as exc:
            raise spec_error(exc) from None

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> CommandJob:
        props = body.get("properties") or {}
        inputs: dict[str, Any] = {}
        for key, item in (props.get("inputs") or {}).items():
            if item.get("jobInputType") == "literal":
                inputs[key] = item.get("value")
            else:
                inputs[key] = compact({"type": item.get("jobInputType"), "path": item.get("uri"),
                                       "mode": _MODES_BACK.get(item.get("mode") or "")})
        outputs = {key: compact({"type": item.get("jobOutputType"), "path": item.get("uri"),
                                 "mode": _MODES_BACK.get(item.get("mode") or "")})
                   for key, item in (props.get("outputs") or {}).items()}
        return cls(command=props.get("command") or "", environment=props.get("environmentId"), name=body.get("name"),
                   display_name=props.get("displayName"), description=props.get("description"),
                   experiment_name=props.get("experimentName"), inputs=inputs, outputs=outputs,
                   environment_variables=dict(props.get("environmentVariables") or {}), compute=props.get("computeId"),
                   tags=dict(props.get("tags") or {}), properties=dict(props.get("properties") or {}),
                   status=props.get("status"), id=body.get("id"), _rest=body)

    def _to_dict(self) -> dict[str, Any]:
        """The dict azure-ai-ml's ``CommandJob`` gives, which ``az ml job show`` prints; amlite adds
        ``metrics`` (its MLflow run's latest values), ``warnings`` and ``error`` when there are any."""
        if self._rest is None:
            return compact({"$schema": SCHEMA, **self._spec().model_dump(exclude_none=True, exclude_defaults=True),
                            "type": "command"})
        props = self._rest.get("properties") or {}
        services = {k: compact({"endpoint": v.get("endpoint"), "job_service_type": v.get("jobServiceType")})
                    for k, v in (props.get("services") or {}).items()}
        out: dict[str, Any] = {
            "$schema": "{}", "type": "command", "name": self.name, "display_name": self.display_name,
            "description": self.description, "experiment_name": self.experiment_name, "status": self.status,
            "command": self.command, "environment": self.environment, "compute": self.compute,
            "code": self.code_files or None, "inputs": self.inputs, "outputs": self.outputs, "environment_variables": self.environment_variables,
            "tags": self.tags, "properties": self.properties, "services": services,
            "id": f"azureml:{self.id}" if self.id else None,
            "creation_context": creation_context(self._rest.get("systemData")),
        }
        if self.metrics:
            out["metrics"] = self.metrics
        if self.warnings:
            out["warnings"] = self.warnings
        if self.error:
            out["error"] = self.error
        return compact(out)


@dataclass
class PipelineJob(_JobFields):
    """A pipeline job: ``jobs`` (steps running command components: a reference, a component
    file or an inline component) wired by ``${{parent...}}`` bindings."""

    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    experiment_name: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    compute: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    base_path: str | None = None
    status: str | None = None
    id: str | None = None
    _rest: dict[str, Any] | None = field(default=None, repr=False)

    type = "pipeline"

    def _spec(self) -> PipelineJobYaml:
        data: dict[str, Any] = {"type": "pipeline", "jobs": self.jobs, "inputs": dict(self.inputs),
                                "outputs": dict(self.outputs), "settings": dict(self.settings),
                                "tags": dict(self.tags), "properties": dict(self.properties)}
        for key in ("name", "display_name", "description", "experiment_name", "compute"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        try:
            spec = parse_job(data)
        except YamlSchemaError as exc:
            raise spec_error(exc) from None
        assert isinstance(spec, PipelineJobYaml)
        return spec

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> PipelineJob:
        props = body.get("properties") or {}
        command = CommandJob._from_rest(body)
        jobs = {k: compact({"type": "command", "component": v.get("componentId"), "inputs": v.get("inputs") or {},
                            "outputs": {p: o for p, o in (v.get("outputs") or {}).items() if o}})
                for k, v in (props.get("jobs") or {}).items()}
        return cls(jobs=jobs, name=command.name, display_name=command.display_name, description=command.description,
                   experiment_name=command.experiment_name, inputs=command.inputs, outputs=command.outputs,
                   settings={"continue_on_step_failure": bool((props.get("settings") or {}).get("continueOnStepFailure"))},
                   compute=command.compute, tags=command.tags, properties=command.properties, status=command.status,
                   id=command.id, _rest=body)

    def _to_dict(self) -> dict[str, Any]:
        if self._rest is None:
            return compact({"$schema": PIPELINE_SCHEMA, **self._spec().model_dump(exclude_none=True,
                                                                                  exclude_defaults=True),
                            "type": "pipeline"})
        out: dict[str, Any] = {
            "$schema": "{}", "type": "pipeline", "name": self.name, "display_name": self.display_name,
            "description": self.description, "experiment_name": self.experiment_name, "status": self.status,
            "compute": self.compute, "inputs": self.inputs, "outputs": self.outputs, "jobs": self.jobs,
            "settings": self.settings, "tags": self.tags, "properties": self.properties,
            "id": f"azureml:{self.id}" if self.id else None,
            "creation_context": creation_context(self._rest.get("systemData")),
        }
        if self.metrics:
            out["metrics"] = self.metrics
        if self.warnings:
            out["warnings"] = self.warnings
        if self.error:
            out["error"] = self.error
        return compact(out)


PIPELINE_SCHEMA = "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json"


def job_from_rest(body: dict[str, Any]) -> CommandJob | PipelineJob:
    if ((body.get("properties") or {}).get("jobType") or "").lower() == "pipeline":
        return PipelineJob._from_rest(body)
    return CommandJob._from_rest(body)


def load_job(source: str | os.PathLike[str], params_override: Sequence[Mapping[str, Any]] | None = None,
             **kwargs: Any) -> CommandJob | PipelineJob:
    """A :class:`CommandJob` or :class:`PipelineJob` from a job YAML file (azure-ai-ml's ``load_job``)."""
    data = apply_overrides(load_yaml_dict(source), params_override)
    try:
        spec = parse_job(data, str(source))
    except YamlSchemaError as exc:
        raise spec_error(exc) from None
    base = str(Path(source).resolve().parent)
    if isinstance(spec, PipelineJobYaml):
        return PipelineJob(jobs={k: v.model_dump(exclude_none=True) for k, v in spec.jobs.items()}, name=spec.name,
                           display_name=spec.display_name, description=spec.description,
                           experiment_name=spec.experiment_name,
                           inputs={k: v if isinstance(v, str) else v.model_dump(exclude_none=True)
                                   for k, v in spec.inputs.items()},
                           outputs={k: (v.model_dump(exclude_none=True) if v is not None else {"type": "uri_folder"})
                                    for k, v in spec.outputs.items()},
                           settings=dict(spec.settings), compute=spec.compute, tags=dict(spec.tags),
                           properties=dict(spec.properties), base_path=base)
    return job_from_spec(spec, base)


def job_from_spec(spec: CommandJobSpec, base: str) -> CommandJob:
    env: Any = spec.environment if isinstance(spec.environment, str) else spec.environment.model_dump(exclude_none=True)
    inputs = {k: v if isinstance(v, str) else v.model_dump(exclude_none=True) for k, v in spec.inputs.items()}
    outputs = {k: (v.model_dump(exclude_none=True) if v is not None else {"type": "uri_folder"})
               for k, v in spec.outputs.items()}
    return CommandJob(command=spec.command, environment=env, name=spec.name, display_name=spec.display_name,
                      description=spec.description, experiment_name=spec.experiment_name, code=spec.code,
                      inputs=inputs, outputs=outputs, environment_variables=dict(spec.environment_variables),
                      compute=spec.compute, tags=dict(spec.tags), properties=dict(spec.properties),
                      resources=spec.resources, distribution=spec.distribution, base_path=base)
