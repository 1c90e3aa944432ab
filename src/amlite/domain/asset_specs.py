"""The body of an asset version, per kind: which fields exist, which are immutable, their defaults.

The wire fields are Azure ML's REST fields (``modelType``, ``modelUri``, ``image``, ``build``,
``condaFile``, ``componentSpec``, ``dataType``, ``dataUri``...) plus ``artifacts``, the manifest of
uploaded files. Everything but ``description``, ``tags`` and ``isArchived`` is immutable and goes
into the version's spec (and so its fingerprint); defaults are filled in so that leaving a field
out and sending its default describe the same content.

The request arrives typed (``schemas.arm_assets``, read at the router): this module sees it
through the protocols below and judges values and the fields each kind needs, after the caller is
admitted and the owner found. Cross-row rules (a referenced environment or datastore must exist, a
manifest's blobs must be stored) belong to the services.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from amlite.domain.assets import AssetKind, ManifestEntry, VersionContent
from amlite.domain.errors import invalid
from amlite.domain.names import check_text
from amlite.schemas.rules import DATA_TYPES, DATASTORE_URI_PREFIX, MODEL_TYPES, OS_TYPES, choice_problem, is_storage_url

P = "properties"
COMPONENT_TYPES = ("command", "pipeline")
_BINDING = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")


class BuildFields(Protocol):
    """An environment's ``build``, as the request model (``schemas.arm_assets.BuildContext``) reads it."""

    @property
    def context_uri(self) -> str | None: ...
    @property
    def dockerfile_path(self) -> str | None: ...


class MutableFields(Protocol):
    """The fields of a version (or a container) that may change after it is created."""

    @property
    def description(self) -> str | None: ...
    @property
    def tags(self) -> dict[str, str] | None: ...
    @property
    def is_archived(self) -> bool | None: ...


class PatchFields(MutableFields, Protocol):
    """A version PATCH's ``properties``: the mutable fields, and the names of any other it gave."""

    @property
    def other_fields(self) -> tuple[str, ...]: ...


class ContainerFields(MutableFields, Protocol):
    @property
    def properties(self) -> dict[str, str] | None: ...


class VersionFields(ContainerFields, Protocol):
    """A version request's ``properties`` of any kind, typed (``schemas.arm_assets``); the kind
    decides which of them it reads and needs."""

    @property
    def artifacts(self) -> tuple[ManifestEntry, ...]: ...
    @property
    def model_type(self) -> str | None: ...
    @property
    def model_uri(self) -> str | None: ...
    @property
    def flavors(self) -> dict[str, Any] | None: ...
    @property
    def stage(self) -> str | None: ...
    @property
    def job_name(self) -> str | None: ...
    @property
    def image(self) -> str | None: ...
    @property
    def build(self) -> BuildFields | None: ...
    @property
    def conda_file(self) -> str | dict[str, Any] | None: ...
    @property
    def os_type(self) -> str | None: ...
    @property
    def inference_config(self) -> dict[str, Any] | None: ...
    @property
    def component_spec(self) -> dict[str, Any] | None: ...
    @property
    def data_type(self) -> str | None: ...
    @property
    def data_uri(self) -> str | None: ...
    @property
    def code_uri(self) -> str | None: ...


def version_content(kind: AssetKind, props: VersionFields) -> VersionContent:
    """A version request's ``properties`` as content; ``400 InvalidRequestContent`` names the field."""
    description = _text(props.description, "description", 10_000)
    manifest = props.artifacts
    spec: dict[str, Any] = {"properties": dict(props.properties or {})}
    spec.update(_KIND_SPECS[kind](props, bool(manifest)))
    return VersionContent(spec=spec, manifest=manifest, description=description, tags=props.tags,
                          is_archived=props.is_archived)


def version_patch(kind: AssetKind, props: PatchFields) -> VersionContent:
    """A PATCH's ``properties``: only description, tags and isArchived may be named."""
    for key in props.other_fields:
        raise invalid("InvalidRequestContent",
                      f"'{key}' of a {kind.singular} version cannot change; only description, tags and isArchived can.",
                      f"{P}.{key}")
    return VersionContent(spec={}, description=_text(props.description, "description", 10_000), tags=props.tags,
                          is_archived=props.is_archived)


def _model(props: VersionFields, uploaded: bool) -> dict[str, Any]:
    model_type = _choice(props.model_type, "modelType", MODEL_TYPES, "custom_model")
    uri = _text(props.model_uri, "modelUri", 2048)
    if not uploaded and not uri:
        raise invalid("InvalidRequestContent",
                      "A model needs a path: upload its files (artifacts) or give modelUri.", f"{P}.modelUri")
    spec: dict[str, Any] = {"modelType": model_type}
    if uri and not uploaded:
        spec["modelUri"] = check_storage_uri(uri, f"{P}.modelUri")
    if props.flavors:  # none and {} are one content: azure-ai-ml sends {} back for a version stored without
        spec["flavors"] = props.flavors
    for key, value in (("stage", props.stage), ("jobName", props.job_name)):
        text = _text(value, key, 256)
        if text:
            spec[key] = text
    return spec


def _environment(props: VersionFields, uploaded: bool) -> dict[str, Any]:
    image = _text(props.image, "image", 1024)
    build = props.build
    conda = props.conda_file
    spec: dict[str, Any] = {"osType": _choice(props.os_type, "osType", OS_TYPES, "Linux")}
    if build is not None or uploaded:
        if image:
            raise invalid("InvalidRequestContent", "An environment has either an image or a build context, not both.",
                          f"{P}.image")
        dockerfile = (build.dockerfile_path if build is not None else None) or "Dockerfile"
        context = build.context_uri if build is not None else None
        if not uploaded:
            if not context:
                raise invalid("InvalidRequestContent",
                              "A build needs its context: upload the folder (artifacts) or give build.contextUri.",
                              f"{P}.build.contextUri")
            spec["build"] = {"contextUri": check_storage_uri(context, f"{P}.build.contextUri"),
                             "dockerfilePath": dockerfile}
        else:
            spec["build"] = {"dockerfilePath": dockerfile}
    elif image:
        spec["image"] = image
    else:
        raise invalid("InvalidRequestContent", "An environment needs an image or a build context.", f"{P}.image")
    if conda is not None:
        if "image" not in spec:
            raise invalid("InvalidRequestContent", "condaFile needs an image to install into.", f"{P}.condaFile")
        spec["condaFile"] = conda
    if props.inference_config is not None:
        spec["inferenceConfig"] = props.inference_config
    return spec


def _component(props: VersionFields, uploaded: bool) -> dict[str, Any]:
    raw = props.component_spec
    if raw is None:
        raise invalid("InvalidRequestContent", "A component needs componentSpec: the component YAML as an object.",
                      f"{P}.componentSpec")
    check_component_spec(raw, f"{P}.componentSpec")
    return {"componentSpec": {k: v for k, v in raw.items() if k != "$schema"}}


def check_component_spec(spec: dict[str, Any], target: str) -> str:
    """Shape checks of a command or pipeline component; returns its type."""
    ctype = spec.get("type", "command")
    if ctype not in COMPONENT_TYPES:
        raise invalid("InvalidRequestContent", f"Component type '{ctype}' is not supported; use command or pipeline.",
                      f"{target}.type")
    for key in ("inputs", "outputs"):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            raise invalid("InvalidRequestContent", f"{key} must be a mapping of name to port.", f"{target}.{key}")
    if ctype == "command":
        command = spec.get("command")
        if not isinstance(command, str) or not command.strip():
            raise invalid("InvalidRequestContent", "A command component needs a command.", f"{target}.command")
        if spec.get("environment") is None:
            raise invalid("InvalidRequestContent", "A command component needs an environment.", f"{target}.environment")
        for port_kind, port in _BINDING.findall(command):
            if port not in (spec.get(port_kind) or {}):
                raise invalid("InvalidRequestContent",
                              f"The command binds ${{{{{port_kind}.{port}}}}} but the component declares no {port_kind[:-1]} "
                              f"'{port}'.", f"{target}.command")
    else:
        jobs = spec.get("jobs")
        if not isinstance(jobs, dict) or not jobs:
            raise invalid("InvalidRequestContent", "A pipeline component needs jobs.", f"{target}.jobs")
        for job_name, job in jobs.items():
            if not isinstance(job, dict) or job.get("component") is None:
                raise invalid("InvalidRequestContent", f"Pipeline job '{job_name}' needs a component.",
                              f"{target}.jobs.{job_name}.component")
            if isinstance(job["component"], dict):
                check_component_spec(job["component"], f"{target}.jobs.{job_name}.component")
    return str(ctype)


def _data(props: VersionFields, uploaded: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"dataType": _choice(props.data_type, "dataType", DATA_TYPES, "uri_folder")}
    uri = _text(props.data_uri, "dataUri", 2048)
    if not uploaded:
        if not uri:
            raise invalid("InvalidRequestContent", "A data asset needs a path: upload it (artifacts) or give dataUri.",
                          f"{P}.dataUri")
        spec["dataUri"] = check_storage_uri(uri, f"{P}.dataUri")
    return spec


def _code(props: VersionFields, uploaded: bool) -> dict[str, Any]:
    uri = _text(props.code_uri, "codeUri", 2048)
    if uploaded:
        return {}
    if not uri:
        raise invalid("InvalidRequestContent", "A code asset needs its folder: upload it (artifacts) or give codeUri.",
                      f"{P}.codeUri")
    return {"codeUri": check_storage_uri(uri, f"{P}.codeUri")}


_KIND_SPECS = {
    AssetKind.MODELS: _model, AssetKind.ENVIRONMENTS: _environment,
    AssetKind.COMPONENTS: _component, AssetKind.DATA: _data, AssetKind.CODES: _code,
}


def check_storage_uri(uri: str, target: str) -> str:
    """A path the server does not upload: a datastore path or a storage URL. Local paths are the
    client's to upload; they arrive as ``artifacts``."""
    if uri.lower().startswith(DATASTORE_URI_PREFIX) or is_storage_url(uri):
        return uri
    raise invalid("InvalidRequestContent",
                  f"'{uri}' is not an azureml://datastores/... path or a storage URL; local paths are uploaded by the "
                  "client and sent as artifacts.", target)


def with_derived_uri(kind: AssetKind, spec: dict[str, Any], uri: str) -> dict[str, Any]:
    """The spec of an uploaded version with its ``...Uri`` pointing at its files."""
    out = dict(spec)
    if kind is AssetKind.MODELS:
        out.setdefault("modelUri", uri)  # files uploaded to a path keep the path the client named
    elif kind is AssetKind.DATA:
        out.setdefault("dataUri", uri)
    elif kind is AssetKind.ENVIRONMENTS:
        out["build"] = {"contextUri": uri, **out.get("build", {"dockerfilePath": "Dockerfile"})}
    else:
        out.setdefault("codeUri", uri)
    return out


def container_fields(props: ContainerFields) -> tuple[str | None, dict[str, str] | None, dict[str, str] | None, bool | None]:
    """A container PUT's ``properties``: description, tags, properties, isArchived (``None`` = not given)."""
    return _text(props.description, "description", 10_000), props.tags, props.properties, props.is_archived


def _text(value: str | None, key: str, limit: int) -> str | None:
    return check_text(value, f"{P}.{key}", limit)


def _choice(value: str | None, key: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    problem = choice_problem(key, value, allowed)
    if problem is not None:
        raise invalid("InvalidRequestContent", f"{problem}.", f"{P}.{key}")
    return next(option for option in allowed if option.lower() == value.lower())
