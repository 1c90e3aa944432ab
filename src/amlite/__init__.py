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
    "Model": "amlite.sdk.asset_entities",
    "Environment": "amlite.sdk.asset_entities",
    "BuildContext": "amlite.sdk.asset_entities",
    "Data": "amlite.sdk.asset_entities",
    "CommandComponent": "amlite.sdk.component_entities",
    "PipelineComponent": "amlite.sdk.component_entities",
    "AzureBlobDatastore": "amlite.sdk.datastore_entities",
    "AzureDataLakeGen2Datastore": "amlite.sdk.datastore_entities",
    "AzureFileDatastore": "amlite.sdk.datastore_entities",
    "AccountKeyConfiguration": "amlite.sdk.datastore_entities",
    "SasTokenConfiguration": "amlite.sdk.datastore_entities",
    "load_model": "amlite.sdk.loaders",
    "load_environment": "amlite.sdk.loaders",
    "load_component": "amlite.sdk.loaders",
    "load_data": "amlite.sdk.loaders",
    "load_datastore": "amlite.sdk.loaders",
    "load_registry": "amlite.sdk.registry_entities",
    "Registry": "amlite.sdk.registry_entities",
    "RegistryRegionDetails": "amlite.sdk.registry_entities",
    "SystemCreatedStorageAccount": "amlite.sdk.registry_entities",
}

__all__ = [
    "AccessToken",
    "AccountKeyConfiguration",
    "AzureBlobDatastore",
    "AzureDataLakeGen2Datastore",
    "AzureFileDatastore",
    "BuildContext",
    "CommandComponent",
    "Data",
    "Environment",
    "Model",
    "PipelineComponent",
    "SasTokenConfiguration",
    "load_component",
    "load_data",
    "load_datastore",
    "load_environment",
    "load_model",
    "load_registry",
    "Registry",
    "RegistryRegionDetails",
    "SystemCreatedStorageAccount",
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
    from amlite.sdk.asset_entities import BuildContext, Data, Environment, Model
    from amlite.sdk.component_entities import CommandComponent, PipelineComponent
    from amlite.sdk.datastore_entities import (
        AccountKeyConfiguration,
        AzureBlobDatastore,
        AzureDataLakeGen2Datastore,
        AzureFileDatastore,
        SasTokenConfiguration,
    )
    from amlite.sdk.entities import Workspace
    from amlite.sdk.loaders import load_component, load_data, load_datastore, load_environment, load_model
    from amlite.sdk.ml_client import MLClient
    from amlite.sdk.registry_entities import (
        Registry,
        RegistryRegionDetails,
        SystemCreatedStorageAccount,
        load_registry,
    )


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
