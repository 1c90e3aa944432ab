"""Pipeline jobs: steps that run command components, wired by ``${{parent...}}`` bindings.

A step's input is a literal, or ``${{parent.inputs.x}}`` (the pipeline's input), or
``${{parent.jobs.<step>.outputs.<o>}}`` (another step's output, which makes that step run first);
a step's output may be bound to ``${{parent.outputs.y}}`` (the pipeline's output is then that
step's). Each step runs as a command job of its own (a child job), once the steps it reads from
have completed; the steps form a DAG, so a cycle is refused at submission.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from amlite.domain.errors import invalid

P = "properties"
CODE = "InvalidRequestContent"
#: The properties a step's child job carries: the pipeline job's name and the step's.
PIPELINE_PROPERTY = "azureml.pipeline"
STEP_PROPERTY = "azureml.pipeline.step"

_STEP = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
_BINDING = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$")
_PARENT_INPUT = re.compile(r"parent\.inputs\.([A-Za-z_][A-Za-z0-9_]*)")
_PARENT_OUTPUT = re.compile(r"parent\.outputs\.([A-Za-z_][A-Za-z0-9_]*)")
_STEP_OUTPUT = re.compile(r"parent\.jobs\.([A-Za-z_][A-Za-z0-9_]*)\.outputs\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Binding:
    """What a step's input reads: a literal (``literal``), a pipeline input (``input``), or
    another step's output (``step``, ``port``)."""

    literal: str | None = None
    input: str | None = None
    step: str | None = None
    port: str | None = None

    def to_wire(self) -> str:
        if self.input is not None:
            return f"${{{{parent.inputs.{self.input}}}}}"
        if self.step is not None:
            return f"${{{{parent.jobs.{self.step}.outputs.{self.port}}}}}"
        return self.literal or ""


@dataclass(frozen=True)
class PipelineStep:
    component_id: str
    inputs: dict[str, Binding] = field(default_factory=dict)
    outputs: dict[str, str | None] = field(default_factory=dict)  # port → the pipeline output it fills

    @property
    def needs(self) -> set[str]:
        return {b.step for b in self.inputs.values() if b.step is not None}

    def to_wire(self) -> dict[str, Any]:
        return {"componentId": self.component_id, "inputs": {k: v.to_wire() for k, v in self.inputs.items()},
                "outputs": {k: (f"${{{{parent.outputs.{v}}}}}" if v else None) for k, v in self.outputs.items()}}


def pipeline_steps(raw: Any, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, PipelineStep]:
    """A pipeline's ``jobs`` as steps; ``400`` naming the field of the first that is wrong."""
    if not isinstance(raw, dict) or not raw:
        raise invalid(CODE, "A pipeline job needs jobs: its steps, each running a command component.", f"{P}.jobs")
    steps: dict[str, PipelineStep] = {}
    for name, body in raw.items():
        target = f"{P}.jobs.{name}"
        if not _STEP.fullmatch(str(name)):
            raise invalid(CODE, f"'{name}' is not a valid step name.", target)
        if not isinstance(body, dict):
            raise invalid(CODE, "A step must be an object with componentId.", target)
        component = body.get("componentId")
        if not isinstance(component, str) or not component.strip():
            raise invalid(CODE, "A step needs componentId: the command component it runs.", f"{target}.componentId")
        step_inputs = {str(k): _binding(v, inputs, raw, str(name), f"{target}.inputs.{k}")
                       for k, v in _mapping(body.get("inputs"), f"{target}.inputs").items()}
        step_outputs = {str(k): _output_binding(v, outputs, f"{target}.outputs.{k}")
                        for k, v in _mapping(body.get("outputs"), f"{target}.outputs").items()}
        steps[str(name)] = PipelineStep(component.strip(), step_inputs, step_outputs)
    filled = [o for s in steps.values() for o in s.outputs.values() if o]
    for output in outputs:
        if filled.count(output) != 1:
            raise invalid(CODE, f"The pipeline output '{output}' must be bound by exactly one step's output "
                          f"(${{{{parent.outputs.{output}}}}}); it is bound by {filled.count(output)}.", f"{P}.outputs.{output}")
    step_order(steps)
    return steps


def step_order(steps: Mapping[str, PipelineStep]) -> list[str]:
    """The steps in an order where each comes after the steps it reads from; a cycle is a 400."""
    order: list[str] = []
    done: set[str] = set()
    pending = dict(steps)
    while pending:
        ready = sorted(name for name, step in pending.items() if step.needs <= done)
        if not ready:
            raise invalid(CODE, f"The steps {', '.join(sorted(pending))} read each other's outputs in a cycle.",
                          f"{P}.jobs")
        for name in ready:
            order.append(name)
            done.add(name)
            del pending[name]
    return order


def _binding(value: Any, inputs: Mapping[str, Any], steps: Mapping[str, Any], me: str, target: str) -> Binding:
    if isinstance(value, dict):  # Azure's wire form: {"jobInputType": "literal", "value": "..."}
        value = value.get("value")
    if value is None or isinstance(value, (dict, list)):
        raise invalid(CODE, "A step input is a literal or a ${{parent...}} binding.", target)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    match = _BINDING.fullmatch(text.strip())
    if match is None:
        if "${{" in text:
            raise invalid(CODE, f"'{text}' mixes a binding with text; bind the whole value.", target)
        return Binding(literal=text)
    expr = match.group(1)
    found = _PARENT_INPUT.fullmatch(expr)
    if found:
        if found.group(1) not in inputs:
            raise invalid(CODE, f"${{{{{expr}}}}} names no input of the pipeline.", target)
        return Binding(input=found.group(1))
    found = _STEP_OUTPUT.fullmatch(expr)
    if found:
        if found.group(1) not in steps or found.group(1) == me:
            raise invalid(CODE, f"${{{{{expr}}}}} names no other step of the pipeline.", target)
        return Binding(step=found.group(1), port=found.group(2))
    raise invalid(CODE, f"${{{{{expr}}}}} is not ${{{{parent.inputs.<name>}}}} or "
                  "${{parent.jobs.<step>.outputs.<name>}}.", target)


def _output_binding(value: Any, outputs: Mapping[str, Any], target: str) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    match = _BINDING.fullmatch(str(value).strip())
    found = _PARENT_OUTPUT.fullmatch(match.group(1)) if match else None
    if found is None or found.group(1) not in outputs:
        raise invalid(CODE, f"A step output binds to ${{{{parent.outputs.<name>}}}} of the pipeline, not '{value}'.",
                      target)
    return found.group(1)


def _mapping(raw: Any, target: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid(CODE, "must be an object.", target)
    return raw


def step_job_name(pipeline: str, step: str) -> str:
    """The name of the child job that runs ``step`` of the pipeline job ``pipeline``."""
    return f"{pipeline}_{step}"


def pipeline_of(properties: Mapping[str, str]) -> str | None:
    """The name of the pipeline job a child job runs a step of (its properties), or None."""
    return properties.get(PIPELINE_PROPERTY) or None
