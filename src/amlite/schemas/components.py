"""Component YAML: command components and pipeline components (``commandComponent.schema.json``,
``pipelineComponent.schema.json``).

As in azure-ai-ml, ``type`` defaults to ``command`` and unknown top-level fields are ignored, while
inputs, outputs, resources and distribution are checked strictly. Beyond what azure-ai-ml checks at
load time, every ``${{inputs.x}}``/``${{outputs.x}}`` binding of a command (also inside ``$[[...]]``
optional blocks) must name a declared input or output, and a pipeline's ``${{parent...}}`` bindings
must name the pipeline's inputs, outputs and jobs: azure-ai-ml finds the former only when the
component is created and the service the latter, and a file that cannot run should fail first.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from amlite.schemas._common import AssetName, SpecModel, StrDict, Version, scalar_text
from amlite.schemas._yaml import YamlSchemaError, raise_from_pydantic
from amlite.schemas.assets import InlineEnvironmentSpec

__all__ = [
    "CommandComponentSpec",
    "DistributionSpec",
    "InputSpec",
    "OutputSpec",
    "PipelineComponentSpec",
    "PipelineJobSpec",
    "ResourcesSpec",
    "check_command_bindings",
    "parse_component",
]

PRIMITIVE_TYPES = ("string", "integer", "number", "boolean")
ASSET_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BINDING = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.S)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _port_type(value: Any) -> Any:
    """Port types compare case-insensitively; the legacy ``path`` is ``uri_folder``, as
    azure-ai-ml reads it (a folder or a file, mounted; Azure ML's v1 ``path``)."""
    value = _lower(value)
    return "uri_folder" if value == "path" else value


class InputSpec(SpecModel):
    type: Annotated[Literal["string", "integer", "number", "boolean", "uri_file", "uri_folder", "mltable",
                            "mlflow_model", "custom_model", "triton_model"], BeforeValidator(_port_type)]
    description: str | None = None
    optional: bool = False
    default: Any = None
    min: float | None = None
    max: float | None = None
    enum: list[Annotated[str, BeforeValidator(scalar_text)]] | None = None
    mode: Literal["ro_mount", "rw_mount", "download", "direct", "eval_mount", "eval_download"] | None = None

    @model_validator(mode="after")
    def _typed_default(self) -> InputSpec:
        """Defaults take the input's type (a ``string`` default of ``2.10`` stays "2.10")."""
        if self.default is None:
            return self
        value, kind = self.default, self.type
        try:
            if kind == "integer":
                self.default = int(str(value))
            elif kind == "number":
                self.default = float(str(value))
            elif kind == "boolean":
                if isinstance(value, bool):
                    pass
                elif str(value).lower() in ("true", "false"):
                    self.default = str(value).lower() == "true"
                else:
                    raise ValueError(value)
            elif isinstance(value, bool) and self.enum is not None:
                # YAML's True for a string input whose enum spells it "True": the enum's spelling
                self.default = next((e for e in self.enum if e.lower() == str(value).lower()), scalar_text(value))
            else:
                self.default = scalar_text(value)
        except ValueError:
            raise ValueError(f"'default': {value!r} is not a valid {kind}") from None
        if self.enum is not None and kind == "string" and self.default not in self.enum:
            raise ValueError(f"'default': {self.default!r} is not one of the enum values {self.enum}")
        return self


class OutputSpec(SpecModel):
    type: Annotated[Literal["string", "integer", "number", "boolean", "uri_file", "uri_folder", "mltable",
                            "mlflow_model", "custom_model", "triton_model"], BeforeValidator(_port_type)]
    description: str | None = None
    mode: Literal["rw_mount", "upload", "direct"] | None = None
    is_control: bool | None = None


class ResourcesSpec(SpecModel):
    instance_count: int = Field(default=1, ge=1)
    instance_type: str | None = None
    shm_size: str | None = None
    docker_args: str | None = None
    locations: list[str] | None = None
    properties: dict[str, Any] | None = None


class _MpiLike(SpecModel):
    process_count_per_instance: int | None = Field(default=None, ge=1)


class MpiDistribution(_MpiLike):
    type: Literal["mpi"]


class PyTorchDistribution(_MpiLike):
    type: Literal["pytorch"]


class TensorFlowDistribution(SpecModel):
    type: Literal["tensorflow"]
    worker_count: int | None = Field(default=None, ge=1)
    parameter_server_count: int | None = Field(default=None, ge=0)


class RayDistribution(SpecModel):
    type: Literal["ray"]
    port: int | None = None
    address: str | None = None
    include_dashboard: bool | None = None
    dashboard_port: int | None = None
    head_node_additional_args: str | None = None
    worker_node_additional_args: str | None = None


DistributionSpec = Annotated[
    MpiDistribution | PyTorchDistribution | TensorFlowDistribution | RayDistribution,
    Field(discriminator="type"),
]


def _ports(kind: str, names: dict[str, Any]) -> dict[str, Any]:
    for name in names:
        if not _IDENTIFIER.fullmatch(str(name)):
            raise ValueError(f"{kind} name '{name}' must be an identifier (letters, digits and '_', "
                             "not starting with a digit)")
    return names


_COMPONENT_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _component_name(value: str) -> str:
    """Azure ML's rule for component names (azure-ai-ml's ``ComponentNameStr``): lower-case
    letters, digits and '_', starting with a letter; narrower than other assets' names."""
    if not _COMPONENT_NAME.fullmatch(value):
        raise ValueError(f"component name '{value}' may contain only lower-case letters, digits and '_', and must "
                         "start with a lower-case letter (Azure ML's rule for components; '-' and '.' are not allowed)")
    return value


class _ComponentBase(SpecModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)  # as azure-ai-ml does

    name: Annotated[AssetName, AfterValidator(_component_name)]
    version: Version | None = None
    display_name: str | None = None
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)
    is_deterministic: bool = True
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    outputs: dict[str, OutputSpec] = Field(default_factory=dict)

    @field_validator("inputs")
    @classmethod
    def _input_names(cls, value: dict[str, InputSpec]) -> dict[str, InputSpec]:
        return _ports("input", value)

    @field_validator("outputs")
    @classmethod
    def _output_names(cls, value: dict[str, OutputSpec]) -> dict[str, OutputSpec]:
        return _ports("output", value)


def check_command_bindings(command: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
    """Every ``${{...}}`` in a command names a declared input or output; ``$[[`` blocks are closed."""
    if command.count("$[[") != len(_OPTIONAL_BLOCK.findall(command)):
        raise ValueError("an optional block '$[[' is not closed with ']]'")
    bad: list[str] = []
    for expression in _BINDING.findall(command):
        kind, _, name = expression.partition(".")
        declared = inputs if kind == "inputs" else outputs if kind == "outputs" else None
        if declared is None or not name or name not in declared:
            bad.append(expression)
    if bad:
        raise ValueError(
            f"Invalid data binding expression: {', '.join(bad)} (bindings must name a declared "
            f"input or output: inputs {sorted(inputs) or 'none'}, outputs {sorted(outputs) or 'none'})"
        )


class CommandComponentSpec(_ComponentBase):
    type: Literal["command"] = "command"
    command: str = Field(min_length=1)
    code: str | None = None
    environment: Annotated[
        Annotated[str, Tag("reference")] | Annotated[InlineEnvironmentSpec, Tag("inline")],
        Discriminator(lambda v: "reference" if isinstance(v, str) else "inline"),
    ]
    resources: ResourcesSpec | None = None
    distribution: DistributionSpec | None = None
    environment_variables: StrDict = Field(default_factory=dict)
    additional_includes: list[str] | None = None

    @field_validator("environment", mode="before")
    @classmethod
    def _environment_reference(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("the environment reference must not be empty")
        return value

    @field_validator("command")
    @classmethod
    def _bindings(cls, value: str, info: Any) -> str:
        check_command_bindings(value, info.data.get("inputs") or {}, info.data.get("outputs") or {})
        return value


class PipelineJobSpec(SpecModel):
    """One node of a pipeline component; what it runs is checked when its component is loaded."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    type: str = "command"
    component: str | dict[str, Any] | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _runs_a_component(self) -> PipelineJobSpec:
        if self.component is not None:
            return self
        extra = self.model_extra or {}
        if "command" in extra:
            raise ValueError("an inline command job (a 'command' written in the job itself) is not supported yet: "
                             "its anonymous component would need input and output declarations amlite does not "
                             "infer. Write it as 'component:' with an inline command component (type, inputs, "
                             "outputs, command, environment) or a component file, and bind the job's inputs to it")
        raise ValueError("'component' is required: the component this job runs (a reference, a file or an inline "
                         "component)")


_PARENT = re.compile(r"parent\.(inputs|outputs)\.([^.]+)|parent\.jobs\.([^.]+)\.outputs\.([^.]+)")


class PipelineComponentSpec(_ComponentBase):
    type: Literal["pipeline"]
    jobs: dict[str, PipelineJobSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _parent_bindings(self) -> PipelineComponentSpec:
        for job_name, job in self.jobs.items():
            for side, values in (("inputs", job.inputs), ("outputs", job.outputs)):
                for port, value in values.items():
                    text = value if isinstance(value, str) else ""
                    for expression in _BINDING.findall(text):
                        match = _PARENT.fullmatch(expression)
                        ok = False
                        if match and match.group(1) == "inputs":
                            ok = match.group(2) in self.inputs
                        elif match and match.group(1) == "outputs":
                            ok = match.group(2) in self.outputs
                        elif match:
                            ok = match.group(3) in self.jobs and match.group(3) != job_name
                        if not ok:
                            raise ValueError(
                                f"'jobs.{job_name}.{side}.{port}': Invalid data binding expression: "
                                f"{expression} (names no input, output or job of this pipeline)"
                            )
        return self


def parse_component(data: dict[str, Any], source: str | None = None) -> CommandComponentSpec | PipelineComponentSpec:
    """Validate a component mapping; ``type`` picks the schema (``command`` when omitted)."""
    kind = data.get("type", "command")
    classes: dict[str, type[CommandComponentSpec] | type[PipelineComponentSpec]] = {
        "command": CommandComponentSpec, "pipeline": PipelineComponentSpec,
    }
    if kind not in classes:
        raise YamlSchemaError(
            f"'{kind}' is not a component type amlite supports (command or pipeline)",
            field="type", source=source,
        )
    try:
        return classes[kind].model_validate(data)
    except ValidationError as exc:
        raise raise_from_pydantic(exc, source) from None
