"""``ml_client.components``: command and pipeline components (azure-ai-ml's ``ComponentOperations``).

Before a component version is created, what it depends on is made to exist, as azure-ai-ml does:

- an environment written inline is created as an anonymous environment (name
  ``CliV2AnonymousEnvironment``, version = a hash of its content, so creating it again is a no-op)
  and the component refers to it as ``azureml:CliV2AnonymousEnvironment:<hash>``;
- a pipeline's children given by ``file:``/relative path or inline are created first (their own
  version, or a content hash when they have none) and referred to as ``azureml:name:version``;
- a local ``code`` folder is uploaded and becomes the version's ``artifacts``.

References written as ``azureml:...`` are left to the server, which checks that they exist.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

from amlite.schemas import classify_path
from amlite.sdk.asset_entities import BuildContext, Environment
from amlite.sdk.component_entities import CommandComponent, Component, PipelineComponent, component_from_rest
from amlite.sdk.operations._assets_base import AssetOperations
from amlite.sdk.operations.assets import EnvironmentOperations

__all__ = ["ANONYMOUS_ENVIRONMENT_NAME", "ComponentOperations"]

ANONYMOUS_ENVIRONMENT_NAME = "CliV2AnonymousEnvironment"


def content_hash(body: Any) -> str:
    """A stable version string for anonymous assets: the first 32 hex digits of a sha256."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class ComponentOperations(AssetOperations[Component]):
    KIND = "components"

    def __init__(self, pipeline: Any, client: Any, environments: EnvironmentOperations) -> None:
        super().__init__(pipeline, client)
        self._environments = environments

    def _from_rest(self, body: dict[str, Any]) -> Component:
        return component_from_rest(body)

    def _inline_environment(self, component: CommandComponent, spec: Any) -> Environment:
        """The inline environment as an entity (whether given as one or as a mapping)."""
        if isinstance(component.environment, Environment):
            env = component.environment
        else:
            inline = spec.environment
            build = BuildContext(inline.build.path, inline.build.dockerfile_path) if inline.build else None
            env = Environment(name="", image=inline.image, build=build, conda_file=inline.conda_file,
                              os_type=inline.os_type, description=inline.description,
                              inference_config=inline.inference_config.model_dump() if inline.inference_config else None)
        if env.base_path is None:
            env.base_path = component.base_path
        return env

    def _anonymous_environment(self, env: Environment) -> str:
        """Create the inline environment as ``CliV2AnonymousEnvironment:<content hash>``."""
        from amlite.sdk import artifacts

        content: dict[str, Any] = {**env._spec_data(), "conda": env.conda_text()}
        content.pop("name", None)
        content.pop("version", None)
        if env.build is not None and classify_path(env.build.path) == "local":
            folder = env.resolve_local(env.build.path)
            if folder.is_dir():  # a missing folder is reported by create_or_update below
                content["context"] = [entry.to_dict() for entry in artifacts.manifest_of(folder)]
        anonymous = replace(env, name=ANONYMOUS_ENVIRONMENT_NAME, version=content_hash(content))
        self._environments.on_progress = self.on_progress
        created = self._environments.create_or_update(anonymous)
        return f"azureml:{created.name}:{created.version}"

    def _create_command(self, component: CommandComponent) -> Component:
        spec = component._spec()
        body_spec = component._spec_body(spec)
        if not isinstance(spec.environment, str):
            body_spec["environment"] = self._anonymous_environment(self._inline_environment(component, spec))
        artifacts: list[dict[str, Any]] | None = None
        if spec.code is not None and classify_path(spec.code) == "local":
            artifacts = self._upload("code", component.resolve_local(spec.code), want="dir")
            body_spec.pop("code")
        props: dict[str, Any] = {"description": spec.description, "tags": dict(spec.tags),
                                 "componentSpec": body_spec}
        if spec.properties:
            props["properties"] = dict(spec.properties)
        if artifacts is not None:
            props["artifacts"] = artifacts
        return self._put_version(spec.name, spec.version, {"properties": {k: v for k, v in props.items()
                                                                          if v is not None}})

    def _create_pipeline(self, component: PipelineComponent) -> Component:
        spec = component._spec()
        body_spec = component._spec_body(spec)
        for job_name, child in component.child_components.items():
            if child.version is None:
                child.version = content_hash(child._spec_body(child._spec()))
            created = self.create_or_update(child)
            body_spec["jobs"][job_name]["component"] = f"azureml:{created.name}:{created.version}"
        props: dict[str, Any] = {"description": spec.description, "tags": dict(spec.tags),
                                 "componentSpec": body_spec}
        if spec.properties:
            props["properties"] = dict(spec.properties)
        return self._put_version(spec.name, spec.version, {"properties": {k: v for k, v in props.items()
                                                                          if v is not None}})

    def create_or_update(self, component: Component, **kwargs: Any) -> Component:
        """Create a component version (and what it needs first; see the module docstring)."""
        if isinstance(component, PipelineComponent):
            return self._create_pipeline(component)
        if isinstance(component, CommandComponent):
            return self._create_command(component)
        raise TypeError(f"cannot create a {type(component).__name__}; use CommandComponent or PipelineComponent")
