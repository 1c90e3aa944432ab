"""Connection YAML (azure-ai-ml's ``load_connection``): a ``type``, where it points and how to sign
in, to and from the REST properties Azure ML's connection API takes.

``type`` is azure-ai-ml's snake-case name of an Azure connection category (``git``,
``python_feed``, ``container_registry``, ``s3``, ``azure_blob``...), or one of the names azure-ai-ml
gives its own entity classes: ``azure_open_ai`` (``azure_endpoint``, ``api_version``, ``api_key``),
``azure_ai_search`` and ``azure_ai_services`` (``endpoint``, ``api_key``), ``api_key``
(``api_base``, ``api_key``), ``custom`` (the ``CustomKeys`` category) and
``azure_data_lake_gen2``. ``credentials`` take azure-ai-ml's ``type`` names (``api_key``, ``pat``,
``sas``, ``username_password``, ``service_principal``, ``access_key``, ``account_key``,
``managed_identity``, ``aad``, ``none``) and amlite's ``custom_keys`` (``keys``: names to
secrets, the REST API's ``CustomKeys``, which azure-ai-ml's YAML cannot spell).

``connection_dict`` is the other way: a connection the server returned, as azure-ai-ml's
``WorkspaceConnection._to_dict()`` prints it (what ``az ml connection show`` prints), with
``credentials`` reduced to their ``type``: the server never returns the secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from amlite.schemas._yaml import YamlSchemaError

__all__ = ["ConnectionSpec", "connection_dict", "connection_type_of", "parse_connection", "rest_category_of"]


@dataclass(frozen=True)
class _Kind:
    category: str
    target_field: str = "target"
    api_key: bool = False  # takes a top-level ``api_key``
    default_auth: str = "None"  # without credentials (and without ``api_key``)


#: azure-ai-ml's entity types whose YAML differs from the plain ``target`` + ``credentials`` form.
_KINDS: dict[str, _Kind] = {
    "azure_open_ai": _Kind("AzureOpenAI", "azure_endpoint", api_key=True, default_auth="AAD"),
    "azure_ai_search": _Kind("CognitiveSearch", "endpoint", api_key=True, default_auth="AAD"),
    "azure_ai_services": _Kind("AIServices", "endpoint", api_key=True, default_auth="AAD"),
    "api_key": _Kind("ApiKey", "api_base", api_key=True),
    "open_ai": _Kind("OpenAI", api_key=True),
    "serp": _Kind("Serp", api_key=True),
    "serverless": _Kind("Serverless", "endpoint", api_key=True),
    "azure_blob": _Kind("AzureBlob", "url", default_auth="AAD"),
    "azure_data_lake_gen2": _Kind("ADLSGen2", default_auth="AAD"),
    "custom": _Kind("CustomKeys"),
}
_BY_CATEGORY = {kind.category.lower(): name for name, kind in _KINDS.items()}

#: credentials ``type`` -> (REST authType, YAML field -> REST field)
_CREDENTIALS: dict[str, tuple[str, dict[str, str]]] = {
    "api_key": ("ApiKey", {"key": "key"}),
    "pat": ("PAT", {"pat": "pat"}),
    "sas": ("SAS", {"sas_token": "sas"}),
    "username_password": ("UsernamePassword", {"username": "username", "password": "password",
                                               "security_token": "securityToken"}),
    "service_principal": ("ServicePrincipal", {"client_id": "clientId", "client_secret": "clientSecret",
                                               "tenant_id": "tenantId"}),
    "access_key": ("AccessKey", {"access_key_id": "accessKeyId", "secret_access_key": "secretAccessKey"}),
    "account_key": ("AccountKey", {"account_key": "key"}),
    "managed_identity": ("ManagedIdentity", {"client_id": "clientId", "resource_id": "resourceId"}),
    "aad": ("AAD", {}),
    "none": ("None", {}),
    "custom_keys": ("CustomKeys", {"keys": "keys"}),
}
_AUTH_TO_YAML = {auth.lower(): name for name, (auth, _fields) in _CREDENTIALS.items()}

_COMMON = {"$schema", "name", "type", "target", "credentials", "metadata", "tags", "is_shared", "expiry_time", "id"}
_EXTRA = {"azure_open_ai": {"api_version", "open_ai_resource_id"}, "azure_ai_services": {"ai_services_resource_id"},
          "azure_blob": {"account_name", "container_name"}}


def _camel_to_snake(name: str) -> str:
    """azure-ai-ml's ``camel_to_snake``: ``AzureOpenAI`` -> ``azure_open_ai``."""
    first = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", first).lower()


def connection_type_of(category: str, metadata: dict[str, str] | None = None) -> str:
    """The YAML ``type`` azure-ai-ml shows for a REST ``category``."""
    return _BY_CATEGORY.get(category.lower()) or _camel_to_snake(category)


def rest_category_of(connection_type: str) -> str:
    """The REST ``category`` for a YAML ``type`` (``--type`` of ``list``), spelled as azure-ai-ml
    sends it; the server matches categories case- and underscore-insensitively."""
    kind = _KINDS.get(connection_type.lower())
    return kind.category if kind else "".join(p.capitalize() for p in connection_type.split("_"))


@dataclass(frozen=True)
class ConnectionSpec:
    """A connection YAML, judged: its name and the REST ``properties`` it becomes (credentials
    included; they go to the server once and never come back)."""

    name: str
    connection_type: str
    properties: dict[str, Any]


def _text(data: dict[str, Any], key: str, source: str | None, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise YamlSchemaError("required field is missing", field=key, source=source)
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise YamlSchemaError("must be a string", field=key, source=source)
    return str(value)


def _text_map(value: Any, key: str, source: str | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise YamlSchemaError("must be a mapping of names to strings", field=key, source=source)
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, (dict, list)):
            raise YamlSchemaError("must be a mapping of names to strings", field=f"{key}.{k}", source=source)
        out[k] = "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
    return out


def _credentials(data: Any, source: str | None) -> tuple[str, dict[str, Any]]:
    if not isinstance(data, dict):
        raise YamlSchemaError("must be a mapping with a type", field="credentials", source=source)
    ctype = str(data.get("type") or "").lower()
    if ctype not in _CREDENTIALS:
        raise YamlSchemaError(f"type '{data.get('type')}' is not a credentials type (use one of "
                              f"{', '.join(_CREDENTIALS)})", field="credentials.type", source=source)
    auth, fields = _CREDENTIALS[ctype]
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "type":
            continue
        if key not in fields:
            allowed = ", ".join(fields) or "no other field"
            raise YamlSchemaError(f"unknown field for {ctype} credentials (use {allowed})",
                                  field=f"credentials.{key}", source=source)
        if value is None:
            continue
        if fields[key] == "keys":
            out["keys"] = _text_map(value, "credentials.keys", source)
        else:
            out[fields[key]] = _text(data, key, source)
    return auth, out


def parse_connection(data: dict[str, Any], source: str | None = None) -> ConnectionSpec:
    """Validate a connection mapping; ``name`` and ``type`` are required."""
    name = _text(data, "name", source, required=True) or ""
    ctype = (_text(data, "type", source, required=True) or "").lower()
    kind = _KINDS.get(ctype)
    if kind is None:
        category = "".join(p.capitalize() for p in ctype.split("_"))
        kind = _Kind(category)
    if "description" in data:
        raise YamlSchemaError("connections have no description in Azure ML's REST API (azure-ai-ml drops it); "
                              "put it in metadata", field="description", source=source)
    unknown = set(data) - _COMMON - _EXTRA.get(ctype, set()) - ({kind.target_field} | ({"api_key"} if kind.api_key else set()))
    if unknown:
        raise YamlSchemaError(f"unknown field for a {ctype} connection", field=sorted(unknown)[0], source=source)
    target = _text(data, kind.target_field, source) or _text(data, "target", source)
    metadata = _text_map(data.get("tags"), "tags", source) | _text_map(data.get("metadata"), "metadata", source)
    if ctype == "azure_open_ai":
        metadata.setdefault("ApiType", "Azure")
        for key, meta in (("api_version", "ApiVersion"), ("open_ai_resource_id", "ResourceId")):
            if (value := _text(data, key, source)) is not None:
                metadata[meta] = value
    if ctype == "azure_ai_services" and (value := _text(data, "ai_services_resource_id", source)) is not None:
        metadata["ResourceId"] = value
    if ctype == "azure_blob":
        account, container = _text(data, "account_name", source), _text(data, "container_name", source)
        if target is None and not (account and container):
            raise YamlSchemaError("an azure_blob connection needs url, or account_name and container_name",
                                  field="url", source=source)
        if account and container:
            metadata.update({"AccountName": account, "ContainerName": container})
            target = target or f"https://{account}.blob.core.windows.net/{container}"
    if target is None:
        raise YamlSchemaError("required field is missing", field=kind.target_field, source=source)
    api_key = _text(data, "api_key", source) if kind.api_key else None
    if data.get("credentials") is not None and api_key is not None:
        raise YamlSchemaError("give api_key or credentials, not both", field="api_key", source=source)
    if data.get("credentials") is not None:
        auth, secrets = _credentials(data["credentials"], source)
    elif api_key is not None:
        auth, secrets = "ApiKey", {"key": api_key}
    else:
        auth, secrets = kind.default_auth, {}
    shared = data.get("is_shared", True)
    if not isinstance(shared, bool):
        raise YamlSchemaError("must be true or false", field="is_shared", source=source)
    props: dict[str, Any] = {"category": kind.category, "target": target, "authType": auth, "metadata": metadata,
                             "isSharedToAll": shared}
    if secrets:
        props["credentials"] = secrets
    if (expiry := _text(data, "expiry_time", source)) is not None:
        props["expiryTime"] = expiry
    return ConnectionSpec(name, ctype, props)


def connection_dict(body: dict[str, Any], workspace_id: str | None = None) -> dict[str, Any]:
    """A connection the server returned, as ``az ml connection show`` prints it (azure-ai-ml's
    ``_to_dict``): no secret, ``credentials`` only their ``type``; ``tags`` mirror ``metadata``
    as azure-ai-ml's do. Seen from ``workspace_id`` but held by another workspace (a hub's
    connection seen from its project), it carries ``shared_from``: the holder's id."""
    props: dict[str, Any] = body.get("properties") or {}
    category = str(props.get("category") or "")
    ctype = connection_type_of(category)
    metadata = dict(props.get("metadata") or {})
    target = props.get("target")
    out: dict[str, Any] = {"name": body.get("name"), "id": body.get("id"), "tags": dict(metadata), "type": ctype,
                           "target": target,
                           "credentials": {"type": _AUTH_TO_YAML.get(str(props.get("authType") or "none").lower(),
                                                                     _camel_to_snake(str(props.get("authType"))))},
                           "is_shared": bool(props.get("isSharedToAll", False)), "metadata": metadata}
    kind = _KINDS.get(ctype)
    if kind is not None and kind.target_field != "target":
        out[kind.target_field] = target
    if ctype == "azure_open_ai" and "ApiVersion" in metadata:
        out["api_version"] = metadata["ApiVersion"]
    if ctype == "azure_ai_services" and "ResourceId" in metadata:
        out["ai_services_resource_id"] = metadata["ResourceId"]
    if ctype == "azure_blob":
        out.update({"account_name": metadata.get("AccountName"), "container_name": metadata.get("ContainerName")})
    if props.get("expiryTime"):
        out["expiry_time"] = props["expiryTime"]
    owner = props.get("createdByWorkspaceArmId")
    if owner and workspace_id and str(owner).lower() != workspace_id.lower():
        out["shared_from"] = owner
    return {k: v for k, v in out.items() if v is not None}
