"""The rules the SDK (before sending) and the server (on receipt) both apply, written once.

Standard library only: the domain imports it as well as the pydantic models. Each check returns the
problem as one sentence, or ``None``; the server wraps it in its ARM error (code and field), the
SDK in its validation error, so a user who breaks a rule reads the same words on either side.

Asset names and versions follow Azure ML's REST API: a name or a version is a path segment of the
resource id (``.../models/{name}/versions/{version}``) and of blob paths, so both start with a letter
or a digit (never ``.``, ``..``, ``-1`` or ``_x``) and use only letters, digits, ``.``, ``-`` and ``_``.
azure-ai-ml itself only checks that a version is a string and leaves the rest to the service.
"""

from __future__ import annotations

import re

__all__ = [
    "ASSET_NAME_RE",
    "DATA_TYPES",
    "DATASTORE_URI_PREFIX",
    "MODEL_TYPES",
    "OS_TYPES",
    "URL_SCHEMES",
    "VERSION_RE",
    "asset_name_problem",
    "choice_problem",
    "is_storage_url",
    "version_problem",
]

ASSET_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
DATA_TYPES = ("uri_file", "uri_folder", "mltable")
OS_TYPES = ("Linux", "Windows")
#: Schemes of storage URLs a version may point at instead of uploaded files.
URL_SCHEMES = ("https", "http", "wasbs", "wasb", "abfss", "abfs", "adl")
DATASTORE_URI_PREFIX = "azureml://"


def asset_name_problem(name: str) -> str | None:
    """What is wrong with an asset name (models, environments, components, data), if anything."""
    if "{{" in name or name.startswith("<"):
        return f"'{name}' is a template placeholder; fill it in before creating the asset"
    if not ASSET_NAME_RE.fullmatch(name):
        return (f"'{name[:300]}' is not a valid asset name: use 1-255 letters, digits, '-', '_' or '.', "
                "starting with a letter or digit")
    return None


def version_problem(version: str) -> str | None:
    """What is wrong with an asset version, if anything."""
    if not VERSION_RE.fullmatch(version):
        return (f"'{version[:100]}' is not a valid version: use 1-64 letters, digits, '.', '-' or '_', "
                "starting with a letter or digit")
    return None


def choice_problem(field: str, value: str, allowed: tuple[str, ...]) -> str | None:
    """``value`` is one of ``allowed`` (ignoring case), or the sentence saying which are."""
    if any(option.lower() == value.lower() for option in allowed):
        return None
    return f"{field} '{value}' is not valid; use one of {', '.join(allowed)}"


def is_storage_url(uri: str) -> bool:
    """A URL of one of :data:`URL_SCHEMES` (``https://account.blob.core.windows.net/...``)."""
    scheme, sep, _ = uri.partition("://")
    return bool(sep) and scheme.lower() in URL_SCHEMES
