"""Component entities: ``CommandComponent`` and ``PipelineComponent``, shaped like azure-ai-ml's.

A component version's REST body carries the component YAML as an object (``componentSpec``); the
entity keeps that spec (validated by :mod:`amlite.schemas`) and exposes its main fields. What must
exist before the component can be created (an inline environment, a pipeline's ``file:`` children,
the code folder) is resolved by ``ml_client.components.create_or_update``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from amlite.schemas import CommandComponentSpec, PipelineComponentSpec
from amlite.sdk.asset_entities import Asset, Environment, _drop_none

__all__ = ["CommandComponent", "Component", "PipelineComponent", "component_from_rest"]


#: Fields of a stored component spec that azure-ai-ml's dict shows as they are.
_SPEC_FIELDS = ("command", "code", "environment", "display_name", "outputs", "resources", "distribution",
                "environment_variables", "additional_includes", "jobs")
#: Input fields azure-ai-ml prints as text (``default: 0.01`` shows as ``"0.01"``, ``false`` as ``"False"``).
_TEXT_PORT_FIELDS = ("default", "min", "max")


def _port_text(port_type: str, value: Any) -> Any:
    if port_type == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (bool, int, float)):
        return str(value)
    return value


def _port_dict(port: Any) -> Any:
    """An input as azure-ai-ml's dict has it: numbers and booleans of a typed input as text."""
    if not isinstance(port, dict):
        return port
    port_type = str(port.get("type") or "")
    return {k: _port_text(port_type, v) if k in _TEXT_PORT_FIELDS else v for k, v in port.items()}


@dataclass
class Component(Asset):
    """Fields of every component; ``inputs``/``outputs`` are the YAML's mappings."""

    display_name: str | None = None
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    is_deterministic: bool = True
    type: str = "command"

    def _component_common(self) -> dict[str, Any]:
        return _drop_none({**self._common_spec(), "type": self.type, "display_name": self.display_name,
                           "inputs": self.inputs, "outputs": self.outputs,
                           "is_deterministic": None if self.is_deterministic else False})

    def _spec(self) -> CommandComponentSpec | PipelineComponentSpec:
        """A bare component (a container, as ``list()`` without a name gives) has no spec to send."""
        raise TypeError(f"a bare {type(self).__name__} has no spec; use CommandComponent or PipelineComponent")

    @staticmethod
    def _spec_body(spec: Any) -> dict[str, Any]:
        """The ``componentSpec`` sent to the server: the YAML shape, defaults left out."""
        data: dict[str, Any] = spec.model_dump(mode="json", exclude_none=True, by_alias=False)
        data.pop("schema_", None)
        data["type"] = spec.type
        for key in ("tags", "properties", "environment_variables", "inputs", "outputs"):
            if data.get(key) == {}:
                data.pop(key)
        for port in (data.get("inputs") or {}).values():
            if port.get("optional") is False:
                port.pop("optional")
        if data.get("is_deterministic") is True:
            data.pop("is_deterministic")
        return data

    _PRINTS_PROPERTIES: ClassVar[bool] = False

    def _to_dict(self) -> dict[str, Any]:
        """azure-ai-ml's dict of a component: as an asset's, with ``tags`` only when there are some."""
        out = super()._to_dict()
        if self._rest is not None and not out.get("tags"):
            out.pop("tags", None)
        return out

    def _kind_dict(self, props: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = dict(props.get("componentSpec") or {})
        out = {key: spec[key] for key in _SPEC_FIELDS if spec.get(key) not in (None, {}, [])}
        if "code" not in out and props.get("codeUri"):
            out["code"] = props["codeUri"]  # a local folder, uploaded: where the server keeps it
        out["type"] = self.type
        out["is_deterministic"] = self.is_deterministic
        if self.inputs:
            out["inputs"] = {name: _port_dict(port) for name, port in self.inputs.items()}
        return out

    def _fill_component(self, body: dict[str, Any]) -> dict[str, Any]:
        self._fill_common(body)
        spec = ((body.get("properties") or {}).get("componentSpec")) or {}
        self.display_name = spec.get("display_name")
        self.inputs = spec.get("inputs") or {}
        self.outputs = spec.get("outputs") or {}
        self.is_deterministic = bool(spec.get("is_deterministic", True))
        return dict(spec)


@dataclass
class CommandComponent(Component):
    """A command component: a command line with ``${{inputs.x}}``/``${{outputs.x}}`` bindings.

    ``environment`` is a reference (``azureml:name:version``, ``azureml:name@latest``) or an
    :class:`Environment` / mapping written inline, which is created first as an anonymous
    environment, as azure-ai-ml does. ``code`` is a local folder (uploaded) or a remote path.
    """

    command: str | None = None
    code: str | None = None
    environment: str | Environment | dict[str, Any] | None = None
    resources: dict[str, Any] | None = None
    distribution: dict[str, Any] | None = None
    environment_variables: dict[str, str] | None = None
    additional_includes: list[str] | None = None

    def _environment_data(self) -> Any:
        env = self.environment
        if isinstance(env, Environment):
            return env._spec_data()
        return env

    def _spec(self) -> CommandComponentSpec:
        data = {**self._component_common(), "type": "command", "command": self.command, "code": self.code,
                "environment": self._environment_data(), "resources": self.resources,
                "distribution": self.distribution, "environment_variables": self.environment_variables,
                "additional_includes": self.additional_includes}
        spec: CommandComponentSpec = self._validate("component", _drop_none(data))
        return spec

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> CommandComponent:
        component = cls(name="")
        spec = component._fill_component(body)
        component.type = "command"
        component.command = spec.get("command")
        component.code = spec.get("code")
        component.environment = spec.get("environment")
        component.resources = spec.get("resources")
        component.distribution = spec.get("distribution")
        component.environment_variables = spec.get("environment_variables")
        component.additional_includes = spec.get("additional_includes")
        return component


@dataclass
class PipelineComponent(Component):
    """A pipeline component: ``jobs`` whose ``component`` is a file, a reference or inline.

    Children given as ``file:./x.yml`` (or a relative path) are loaded with the pipeline (relative
    to its YAML) into ``child_components`` and created before the pipeline, which then refers to
    them by ``azureml:name:version``.
    """

    jobs: dict[str, Any] = field(default_factory=dict)
    type: str = "pipeline"
    child_components: dict[str, Component] = field(default_factory=dict, repr=False)

    def _spec(self) -> PipelineComponentSpec:
        data = {**self._component_common(), "type": "pipeline", "jobs": self.jobs}
        spec: PipelineComponentSpec = self._validate("component", _drop_none(data) | {"type": "pipeline"})
        return spec

    @classmethod
    def _from_rest(cls, body: dict[str, Any]) -> PipelineComponent:
        component = cls(name="")
        spec = component._fill_component(body)
        component.jobs = dict(spec.get("jobs") or {})
        return component


def component_from_rest(body: dict[str, Any]) -> Component:
    """A command or pipeline component from a version body (containers become a bare Component)."""
    spec = ((body.get("properties") or {}).get("componentSpec")) or None
    if spec is None:
        component = Component(name="")
        component._fill_common(body)
        return component
    if spec.get("type") == "pipeline":
        return PipelineComponent._from_rest(body)
    return CommandComponent._from_rest(body)
