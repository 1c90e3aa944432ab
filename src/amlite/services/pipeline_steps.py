"""The command components a pipeline's steps run: finding them, checking a step's bindings
against what its component declares, and turning a step into the command job that runs it.

A step's component is a reference like any other (``azureml:<name>:<version>``, ``@latest``,
``azureml://registries/<reg>/components/...``); it must be a command component. A short
environment reference inside a registry's component names that registry's environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amlite.domain.asset_owners import AssetOwner
from amlite.domain.assets import AssetKind, ManifestEntry
from amlite.domain.errors import NotFound, invalid
from amlite.domain.jobs import JobInput, JobOutput, JobSpec
from amlite.domain.pipelines import PIPELINE_PROPERTY, STEP_PROPERTY, PipelineStep
from amlite.domain.references import parse_asset_reference
from amlite.domain.resources import Workspace
from amlite.ports import UnitOfWork
from amlite.services.asset_owners import registry_owner, workspace_owner
from amlite.services.asset_references import ReferenceResolver
from amlite.services.context import Caller

P = "properties"
_LITERAL_TYPES = ("string", "integer", "number", "boolean")


@dataclass(frozen=True)
class StepComponent:
    """A step's command component: its spec, its code's files and the owner that holds them."""

    spec: dict[str, Any]
    code: tuple[ManifestEntry, ...]
    owner: AssetOwner

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(self.spec.get("inputs") or {})

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.spec.get("outputs") or {})

    @property
    def environment(self) -> str:
        """The component's environment reference, as seen from a workspace."""
        env = str(self.spec.get("environment") or "")
        if self.owner.is_registry and env.lower().startswith("azureml:") and not env.lower().startswith("azureml://"):
            body = env[len("azureml:"):]
            if "@" in body:
                name, label = body.rsplit("@", 1)
                return f"azureml://registries/{self.owner.name}/environments/{name}/labels/{label}"
            name, _, version = body.rpartition(":")
            return f"azureml://registries/{self.owner.name}/environments/{name}/versions/{version}"
        return env


class PipelineSteps:
    def __init__(self, references: ReferenceResolver) -> None:
        self._refs = references

    def component(self, uow: UnitOfWork, caller: Caller, ws: Workspace, step_name: str, step: PipelineStep) -> StepComponent:
        target = f"{P}.jobs.{step_name}.componentId"
        text = f"azureml:{step.component_id}" if step.component_id.startswith("/subscriptions/") else step.component_id
        ref = parse_asset_reference(text, AssetKind.COMPONENTS, target)
        container, version = self._refs.resolve(uow, caller, workspace_owner(ws), ref, target)
        spec = dict(version.spec.get("componentSpec") or {})
        if spec.get("type", "command") != "command":
            raise invalid("InvalidRequestContent", f"The step '{step_name}' runs a {spec.get('type')} component; a "
                          "pipeline step runs a command component.", target)
        if ref.registry is not None:
            reg = uow.registries.by_key(container.owner_key)
            if reg is None:
                raise NotFound("RegistryNotFound", f"The registry '{ref.registry}' was not found.")
            owner = registry_owner(reg)
        else:
            home = uow.workspaces.by_key(container.owner_key)
            if home is None:
                raise NotFound("ResourceNotFound", "The workspace of the step's component was not found.")
            owner = workspace_owner(home)
        return StepComponent(spec, version.manifest, owner)

    def check(self, uow: UnitOfWork, caller: Caller, ws: Workspace, pipeline: JobSpec, step_name: str,
              step: PipelineStep) -> StepComponent:
        """The step's component exists and declares what the step binds; required inputs are bound."""
        found = self.component(uow, caller, ws, step_name, step)
        target = f"{P}.jobs.{step_name}"
        for port in step.inputs:
            if port not in found.inputs:
                raise invalid("InvalidRequestContent", f"The step binds input '{port}', which its component does not "
                              "declare.", f"{target}.inputs.{port}")
        for port in step.outputs:
            if port not in found.outputs:
                raise invalid("InvalidRequestContent", f"The step binds output '{port}', which its component does not "
                              "declare.", f"{target}.outputs.{port}")
        for port, declared in found.inputs.items():
            optional = isinstance(declared, dict) and (declared.get("optional") or declared.get("default") is not None)
            if port not in step.inputs and not optional:
                raise invalid("InvalidRequestContent", f"The step leaves its component's required input '{port}' unbound.",
                              f"{target}.inputs.{port}")
        for port, binding in step.inputs.items():
            if binding.step is not None and binding.port is not None:
                upstream = pipeline.steps[binding.step]
                producer = self.component(uow, caller, ws, binding.step, upstream)
                if binding.port not in producer.outputs:
                    raise invalid("InvalidRequestContent", f"The step '{binding.step}' has no output '{binding.port}'.",
                                  f"{target}.inputs.{port}")
        return found

    @staticmethod
    def child_spec(parent: JobSpec, found: StepComponent, step: PipelineStep,
                   upstream: dict[str, dict[str, tuple[ManifestEntry, ...]]], parent_name: str,
                   step_name: str) -> JobSpec:
        """The command job that runs ``step``: the component's command, environment and code, the
        step's inputs bound (literals, the pipeline's inputs, the outputs of finished steps)."""
        inputs: dict[str, JobInput] = {}
        for port, declared in found.inputs.items():
            kind = str((declared or {}).get("type", "string")) if isinstance(declared, dict) else "string"
            binding = step.inputs.get(port)
            if binding is None:
                default = declared.get("default") if isinstance(declared, dict) else None
                if default is not None:
                    inputs[port] = JobInput("literal", value=str(default).lower() if isinstance(default, bool) else str(default))
                continue
            if binding.input is not None:
                inputs[port] = parent.inputs[binding.input]
            elif binding.step is not None and binding.port is not None:
                files = upstream[binding.step][binding.port]
                inputs[port] = JobInput(kind if kind not in _LITERAL_TYPES else "uri_folder",
                                        uri=f"azureml://jobs/{parent_name}_{binding.step}/outputs/{binding.port}",
                                        mode="ReadOnlyMount", artifacts=files)
            else:
                inputs[port] = JobInput("literal", value=binding.literal or "")
        outputs = {port: JobOutput(str((declared or {}).get("type", "uri_folder")) if isinstance(declared, dict)
                                   else "uri_folder") for port, declared in found.outputs.items()}
        env_vars = {str(k): str(v) for k, v in (found.spec.get("environment_variables") or {}).items()}
        return JobSpec(command=str(found.spec.get("command") or ""), environment_id=found.environment,
                       compute_id=parent.compute_id, experiment_name=parent.experiment_name,
                       environment_variables=env_vars, inputs=inputs, outputs=outputs, code=found.code,
                       properties={PIPELINE_PROPERTY: parent_name, STEP_PROPERTY: step_name})
