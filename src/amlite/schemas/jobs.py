"""Command job YAML (``commandJob.schema.json``): what ``amlite ml job create --file`` reads.

As Azure ML does, ``type`` defaults to ``command``; an input is a literal (``alpha: 0.5``) or an
asset port (``{type: uri_file, path: ...}``), where the path is a local file or folder (uploaded by
the client), an asset reference (``azureml:data:1``, ``azureml:data@latest``,
``azureml://registries/...``) or another job's output (``azureml://jobs/<job>/outputs/<name>``);
an output is a port whose files the run leaves in the workspace's storage. The environment is a
reference or inline (the client creates it as an anonymous environment). Every
``${{inputs.x}}``/``${{outputs.y}}`` of the command must name a declared port.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from amlite.schemas._common import SpecModel, StrDict, scalar_text
from amlite.schemas._yaml import YamlSchemaError, raise_from_pydantic
from amlite.schemas.assets import InlineEnvironmentSpec

__all__ = ["CommandJobSpec", "JobInputSpec", "JobOutputSpec", "PipelineJobYaml", "PipelineStepYaml",
           "parse_command_job", "parse_job"]

_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}"
_BINDING = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.S)
INPUT_MODES = {"ro_mount": "ReadOnlyMount", "rw_mount": "ReadWriteMount", "download": "Download", "direct": "Direct",
               "eval_mount": "EvalMount", "eval_download": "EvalDownload"}
OUTPUT_MODES = {"rw_mount": "ReadWriteMount", "upload": "Upload", "direct": "Direct"}


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class JobInputSpec(SpecModel):
    type: Annotated[Literal["uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model"],
                    BeforeValidator(_lower)] = "uri_folder"
    path: str
    mode: Annotated[Literal["ro_mount", "rw_mount", "download", "direct", "eval_mount", "eval_download"] | None,
                    BeforeValidator(_lower)] = None
    description: str | None = None


class JobOutputSpec(SpecModel):
    type: Annotated[Literal["uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model"],
                    BeforeValidator(_lower)] = "uri_folder"
    mode: Annotated[Literal["rw_mount", "upload", "direct"] | None, BeforeValidator(_lower)] = None
    description: str | None = None


def _literal(value: Any) -> Any:
    """A literal input is a scalar; ``{type: string, value|default: x}`` is read as its value."""
    if isinstance(value, dict) and value.get("type") in ("string", "integer", "number", "boolean"):
        found = value.get("value", value.get("default"))
        return scalar_text(found) if found is not None else value
    return scalar_text(value) if isinstance(value, (bool, int, float)) else value


InputValue = Annotated[str | JobInputSpec, BeforeValidator(_literal)]


class CommandJobSpec(SpecModel):
    """A command job; fields azure-ai-ml accepts that the local runner does not use (resources,
    distribution, limits, identity, services, queue_settings) are read and named in the job's
    warnings by the server when they ask for something it cannot do."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Annotated[Literal["command"], BeforeValidator(_lower)] = "command"
    name: Annotated[str, Field(pattern=f"^{_NAME}$")] | None = None
    display_name: str | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)
    experiment_name: str | None = None
    command: str
    code: str | None = None
    environment: str | InlineEnvironmentSpec
    environment_variables: StrDict = Field(default_factory=dict)
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    outputs: dict[str, JobOutputSpec | None] = Field(default_factory=dict)
    compute: str | None = None
    resources: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None
    limits: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    services: dict[str, Any] | None = None
    queue_settings: dict[str, Any] | None = None
    status: str | None = None  # written by job download's YAML; ignored on create
    id: str | None = None
    creation_context: dict[str, Any] | None = None
    resourceGroup: str | None = None  # noqa: N815 - what az ml job show prints
    parameters: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _bindings(self) -> CommandJobSpec:
        required = _OPTIONAL_BLOCK.sub("", self.command)
        for expr in _BINDING.findall(required):
            side, _, port = expr.partition(".")
            ports: dict[str, Any] = self.inputs if side == "inputs" else self.outputs if side == "outputs" else {}
            if side not in ("inputs", "outputs") or port not in ports:
                raise ValueError(f"'command': the binding ${{{{{expr}}}}} names no declared input or output")
        return self


class PipelineStepYaml(SpecModel):
    """A step of a pipeline job: a command component (a reference, a file, or inline) and how its
    inputs and outputs bind (literals or ``${{parent...}}``)."""

    type: Annotated[Literal["command"], BeforeValidator(_lower)] = "command"
    component: str | dict[str, Any]
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)


class PipelineJobYaml(SpecModel):
    """``pipelineJob.schema.json``: steps that run command components, wired by bindings."""

    type: Annotated[Literal["pipeline"], BeforeValidator(_lower)]
    name: Annotated[str, Field(pattern=f"^{_NAME}$")] | None = None
    display_name: str | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)
    experiment_name: str | None = None
    compute: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    outputs: dict[str, JobOutputSpec | None] = Field(default_factory=dict)
    jobs: dict[str, PipelineStepYaml]
    status: str | None = None
    id: str | None = None
    creation_context: dict[str, Any] | None = None
    resourceGroup: str | None = None  # noqa: N815 - what az ml job show prints

    @model_validator(mode="after")
    def _bindings(self) -> PipelineJobYaml:
        unknown = sorted(set(self.settings) - {"continue_on_step_failure", "default_compute"})
        if unknown:
            raise ValueError(f"'settings': {', '.join(unknown)} not supported (continue_on_step_failure, "
                             "default_compute are)")
        if not self.jobs:
            raise ValueError("'jobs': a pipeline job needs at least one step")
        for name, step in self.jobs.items():
            for port, value in step.inputs.items():
                for expr in _BINDING.findall(str(value)):
                    ok = ((expr.startswith("parent.inputs.") and expr.split(".", 2)[2] in self.inputs)
                          or (expr.startswith("parent.jobs.") and expr.split(".")[2] in self.jobs
                              and expr.split(".")[2] != name))
                    if not ok:
                        raise ValueError(f"'jobs.{name}.inputs.{port}': the binding ${{{{{expr}}}}} names no input of "
                                         "the pipeline or output of another step")
        return self


def parse_job(data: dict[str, Any], source: str | None = None) -> CommandJobSpec | PipelineJobYaml:
    """A job YAML of either type (``command`` when ``type`` is omitted)."""
    if str(data.get("type", "command")).lower() == "pipeline":
        try:
            return PipelineJobYaml.model_validate(data)
        except ValidationError as exc:
            raise raise_from_pydantic(exc, source) from None
    return parse_command_job(data, source)


def parse_command_job(data: dict[str, Any], source: str | None = None) -> CommandJobSpec:
    job_type = str(data.get("type", "command")).lower()
    if job_type != "command":
        raise YamlSchemaError(f"job type '{data.get('type')}' is not supported: amlite runs command and pipeline jobs.",
                              field="type", source=source)
    try:
        return CommandJobSpec.model_validate(data)
    except ValidationError as exc:
        raise raise_from_pydantic(exc, source) from None
