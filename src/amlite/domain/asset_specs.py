"""The body of an asset version, per kind: which fields exist, which are immutable, their defaults.

The wire fields are Azure ML's REST fields (``modelType``, ``modelUri``, ``image``, ``build``,
``condaFile``, ``componentSpec``, ``dataType``, ``dataUri``...) plus ``artifacts``, the manifest of
uploaded files. Everything but ``description``, ``tags`` and ``isArchived`` is immutable and goes
into the version's spec (and so its fingerprint); defaults are filled in so that leaving a field
out and sending its default describe the same content.

Cross-row rules (a referenced environment or datastore must exist, a manifest's blobs must be
stored) belong to the services; this module only checks shapes and values.
"""

from __future__ import annotations

import re
from typing import Any

from amlite.domain.assets import AssetKind, VersionContent, check_manifest
from amlite.domain.errors import invalid
from amlite.domain.names import check_tags, optional_text

P = "properties"
MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
DATA_TYPES = ("uri_file", "uri_folder", "mltable")
OS_TYPES = ("Linux", "Windows")
COMPONENT_TYPES = ("command", "pipeline")
URL_SCHEMES = ("https://", "http://", "wasbs://", "wasb://", "abfss://", "abfs://", "adl://")
_BINDING = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}")


def parse_version_body(kind: AssetKind, body: dict[str, Any]) -> VersionContent:
    """A version request's ``properties`` as content; ``400 InvalidRequestContent`` names the field."""
    props = body.get(P)
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise invalid("InvalidRequestContent", "properties must be an object.", P)
    description = _optional_text(props, "description", 10_000)
    tags = check_tags(props["tags"]) if props.get("tags") is not None else None
    archived = _optional_bool(props, "isArchived")
    manifest = check_manifest(props.get("artifacts"), f"{P}.artifacts")
    spec: dict[str, Any] = {"properties": _string_map(props.get("properties"), f"{P}.properties")}
    spec.update(_KIND_SPECS[kind](props, bool(manifest)))
    return VersionContent(spec=spec, manifest=manifest, description=description, tags=tags, is_archived=archived)


def parse_version_patch(kind: AssetKind, body: dict[str, Any]) -> VersionContent:
    """A PATCH's ``properties``: only description, tags and isArchived may be named."""
    props = body.get(P)
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise invalid("InvalidRequestContent", "properties must be an object.", P)
    for key in props:
        if key not in ("description", "tags", "isArchived"):
            raise invalid("InvalidRequestContent",
                          f"'{key}' of a {kind.singular} version cannot change; only description, tags and isArchived can.",
                          f"{P}.{key}")
    tags = check_tags(props["tags"]) if props.get("tags") is not None else None
    return VersionContent(spec={}, description=_optional_text(props, "description", 10_000), tags=tags,
                          is_archived=_optional_bool(props, "isArchived"))


def _model(props: dict[str, Any], uploaded: bool) -> dict[str, Any]:
    model_type = _choice(props, "modelType", MODEL_TYPES, "custom_model")
    uri = _optional_text(props, "modelUri", 2048)
    if not uploaded and not uri:
        raise invalid("InvalidRequestContent",
                      "A model needs a path: upload its files (artifacts) or give modelUri.", f"{P}.modelUri")
    spec: dict[str, Any] = {"modelType": model_type}
    if uri and not uploaded:
        spec["modelUri"] = check_storage_uri(uri, f"{P}.modelUri")
    flavors = props.get("flavors")
    if flavors is not None and not isinstance(flavors, dict):
        raise invalid("InvalidRequestContent", "flavors must be an object.", f"{P}.flavors")
    if flavors:  # none and {} are one content: azure-ai-ml sends {} back for a version stored without
        spec["flavors"] = flavors
    for key in ("stage", "jobName"):
        text = _optional_text(props, key, 256)
        if text:
            spec[key] = text
    return spec


def _environment(props: dict[str, Any], uploaded: bool) -> dict[str, Any]:
    image = _optional_text(props, "image", 1024)
    build = props.get("build")
    conda = props.get("condaFile")
    spec: dict[str, Any] = {"osType": _choice(props, "osType", OS_TYPES, "Linux")}
    if build is not None or uploaded:
        if image:
            raise invalid("InvalidRequestContent", "An environment has either an image or a build context, not both.",
                          f"{P}.image")
        if build is None:
            build = {}
        if not isinstance(build, dict):
            raise invalid("InvalidRequestContent", "build must be an object {contextUri, dockerfilePath}.", f"{P}.build")
        dockerfile = build.get("dockerfilePath") or "Dockerfile"
        if not isinstance(dockerfile, str):
            raise invalid("InvalidRequestContent", "build.dockerfilePath must be a string.", f"{P}.build.dockerfilePath")
        context = build.get("contextUri")
        if not uploaded:
            if not isinstance(context, str) or not context:
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
        if not isinstance(conda, (str, dict)):
            raise invalid("InvalidRequestContent", "condaFile must be the conda YAML as a string.", f"{P}.condaFile")
        spec["condaFile"] = conda
    if props.get("inferenceConfig") is not None:
        if not isinstance(props["inferenceConfig"], dict):
            raise invalid("InvalidRequestContent", "inferenceConfig must be an object.", f"{P}.inferenceConfig")
        spec["inferenceConfig"] = props["inferenceConfig"]
    return spec


def _component(props: dict[str, Any], uploaded: bool) -> dict[str, Any]:
    raw = props.get("componentSpec")
    if not isinstance(raw, dict):
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


def _data(props: dict[str, Any], uploaded: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"dataType": _choice(props, "dataType", DATA_TYPES, "uri_folder")}
    uri = _optional_text(props, "dataUri", 2048)
    if not uploaded:
        if not uri:
            raise invalid("InvalidRequestContent", "A data asset needs a path: upload it (artifacts) or give dataUri.",
                          f"{P}.dataUri")
        spec["dataUri"] = check_storage_uri(uri, f"{P}.dataUri")
    return spec


def _code(props: dict[str, Any], uploaded: bool) -> dict[str, Any]:
    uri = _optional_text(props, "codeUri", 2048)
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
    low = uri.lower()
    if low.startswith("azureml://") or low.startswith(URL_SCHEMES):
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


def parse_container_body(body: dict[str, Any]) -> tuple[str | None, dict[str, str] | None, dict[str, str] | None, bool | None]:
    """A container PUT's ``properties``: description, tags, properties, isArchived (``None`` = not given)."""
    props = body.get(P)
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise invalid("InvalidRequestContent", "properties must be an object.", P)
    tags = check_tags(props["tags"]) if props.get("tags") is not None else None
    properties = _string_map(props["properties"], f"{P}.properties") if props.get("properties") is not None else None
    return _optional_text(props, "description", 10_000), tags, properties, _optional_bool(props, "isArchived")


def _optional_text(props: dict[str, Any], key: str, limit: int) -> str | None:
    return optional_text(props, key, limit, P)


def _optional_bool(props: dict[str, Any], key: str) -> bool | None:
    value = props.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise invalid("InvalidRequestContent", f"{key} must be true or false.", f"{P}.{key}")


def _choice(props: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = props.get(key)
    if value is None:
        return default
    for option in allowed:
        if isinstance(value, str) and option.lower() == value.lower():
            return option
    raise invalid("InvalidRequestContent", f"{key} '{value}' is not valid; use one of {', '.join(allowed)}.", f"{P}.{key}")


def _string_map(value: object, target: str) -> dict[str, str]:
    """Azure ML's ``properties``: string to string. Numbers and booleans are kept as their text,
    as Azure ML does (``2.10`` stays ``"2.10"`` only if the client sent it as a string)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("InvalidRequestContent", "properties must be an object of name/value strings.", target)
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool):
            out[str(key)] = str(item).lower()
        elif isinstance(item, (str, int, float)):
            out[str(key)] = str(item)
        elif item is None:
            out[str(key)] = ""
        else:
            raise invalid("InvalidRequestContent", f"Property '{key}' must have a string value.", target)
    return out
