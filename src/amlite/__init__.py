"""amlite: a self-hosted Azure Machine Learning control plane.

The SDK's names are imported lazily (module ``__getattr__``) so that the server, which also
imports this package, does not pay for httpx or the SDK when it does not use them.

    >>> from amlite import MLClient, DefaultAmliteCredential, Workspace
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "MLClient": "amlite.sdk.ml_client",
    "ArmClient": "amlite.sdk.arm",
    "Workspace": "amlite.sdk.entities",
    "AccessToken": "amlite.sdk.credentials",
    "ClientSecretCredential": "amlite.sdk.credentials",
    "UsernamePasswordCredential": "amlite.sdk.credentials",
    "AmliteCliCredential": "amlite.sdk.credentials",
    "DefaultAmliteCredential": "amlite.sdk.credentials",
}

__all__ = [
    "AccessToken",
    "AmliteCliCredential",
    "ArmClient",
    "ClientSecretCredential",
    "DefaultAmliteCredential",
    "MLClient",
    "UsernamePasswordCredential",
    "Workspace",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from amlite.sdk.arm import ArmClient
    from amlite.sdk.credentials import (
        AccessToken,
        AmliteCliCredential,
        ClientSecretCredential,
        DefaultAmliteCredential,
        UsernamePasswordCredential,
    )
    from amlite.sdk.entities import Workspace
    from amlite.sdk.ml_client import MLClient


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'amlite' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
