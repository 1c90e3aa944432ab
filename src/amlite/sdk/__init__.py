"""The amlite Python SDK: ``MLClient`` for workspaces, ``ArmClient`` for subscriptions and groups.

It depends on httpx and the standard library only, never on the server's packages, so it can be
installed and used on machines that only talk to an amlite server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from amlite.sdk._constants import VERSION

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from amlite.sdk.arm import ArmClient
    from amlite.sdk.credentials import (
        AccessToken,
        AmliteCliCredential,
        ClientSecretCredential,
        DefaultAmliteCredential,
        UsernamePasswordCredential,
    )
    from amlite.sdk.asset_entities import BuildContext, Data, Environment, ListViewType, Model
    from amlite.sdk.component_entities import CommandComponent, PipelineComponent
    from amlite.sdk.compute_entities import AmlCompute, ComputeInstance, RayCompute, load_compute
    from amlite.sdk.datastore_entities import (
        AccountKeyConfiguration,
        AzureBlobDatastore,
        AzureDataLakeGen2Datastore,
        AzureFileDatastore,
        SasTokenConfiguration,
    )
    from amlite.sdk.entities import Workspace, load_workspace
    from amlite.sdk.job_entities import CommandJob, JobStatus, PipelineJob, load_job
    from amlite.sdk.connection_entities import WorkspaceConnection
    from amlite.sdk.loaders import (
        load_component,
        load_connection,
        load_data,
        load_datastore,
        load_environment,
        load_model,
    )
    from amlite.sdk.ml_client import MLClient
    from amlite.sdk.polling import LROPoller
    from amlite.sdk.registry_entities import (
        Registry,
        RegistryRegionDetails,
        SystemCreatedStorageAccount,
        load_registry,
    )

__version__ = VERSION

__all__ = [
    "AccessToken",
    "AccountKeyConfiguration",
    "AmlCompute",
    "RayCompute",
    "ComputeInstance",
    "AzureBlobDatastore",
    "AzureDataLakeGen2Datastore",
    "AzureFileDatastore",
    "BuildContext",
    "CommandComponent",
    "CommandJob",
    "Data",
    "Environment",
    "ListViewType",
    "Model",
    "JobStatus",
    "PipelineComponent",
    "PipelineJob",
    "SasTokenConfiguration",
    "load_component",
    "load_compute",
    "load_data",
    "load_connection",
    "load_datastore",
    "load_environment",
    "load_job",
    "load_model",
    "load_registry",
    "load_workspace",
    "Registry",
    "RegistryRegionDetails",
    "SystemCreatedStorageAccount",
    "AmliteCliCredential",
    "ArmClient",
    "ClientSecretCredential",
    "DefaultAmliteCredential",
    "LROPoller",
    "MLClient",
    "UsernamePasswordCredential",
    "Workspace",
    "WorkspaceConnection",
    "__version__",
]

#: Where each public name lives: it is imported on first use (module ``__getattr__``), so that a
#: program using one part of the SDK (the CLI's ``group list`` uses the ARM client only) does not
#: load the rest (entities, pydantic schemas) first.
_EXPORTS: dict[str, str] = {
    "ArmClient": "amlite.sdk.arm",
    "AccessToken": "amlite.sdk.credentials",
    "AmliteCliCredential": "amlite.sdk.credentials",
    "ClientSecretCredential": "amlite.sdk.credentials",
    "DefaultAmliteCredential": "amlite.sdk.credentials",
    "UsernamePasswordCredential": "amlite.sdk.credentials",
    "BuildContext": "amlite.sdk.asset_entities",
    "Data": "amlite.sdk.asset_entities",
    "Environment": "amlite.sdk.asset_entities",
    "ListViewType": "amlite.sdk.asset_entities",
    "Model": "amlite.sdk.asset_entities",
    "CommandComponent": "amlite.sdk.component_entities",
    "PipelineComponent": "amlite.sdk.component_entities",
    "AmlCompute": "amlite.sdk.compute_entities",
    "ComputeInstance": "amlite.sdk.compute_entities",
    "RayCompute": "amlite.sdk.compute_entities",
    "load_compute": "amlite.sdk.compute_entities",
    "AccountKeyConfiguration": "amlite.sdk.datastore_entities",
    "AzureBlobDatastore": "amlite.sdk.datastore_entities",
    "AzureDataLakeGen2Datastore": "amlite.sdk.datastore_entities",
    "AzureFileDatastore": "amlite.sdk.datastore_entities",
    "SasTokenConfiguration": "amlite.sdk.datastore_entities",
    "Workspace": "amlite.sdk.entities",
    "load_workspace": "amlite.sdk.entities",
    "CommandJob": "amlite.sdk.job_entities",
    "JobStatus": "amlite.sdk.job_entities",
    "PipelineJob": "amlite.sdk.job_entities",
    "load_job": "amlite.sdk.job_entities",
    "WorkspaceConnection": "amlite.sdk.connection_entities",
    "load_component": "amlite.sdk.loaders",
    "load_connection": "amlite.sdk.loaders",
    "load_data": "amlite.sdk.loaders",
    "load_datastore": "amlite.sdk.loaders",
    "load_environment": "amlite.sdk.loaders",
    "load_model": "amlite.sdk.loaders",
    "MLClient": "amlite.sdk.ml_client",
    "LROPoller": "amlite.sdk.polling",
    "Registry": "amlite.sdk.registry_entities",
    "RegistryRegionDetails": "amlite.sdk.registry_entities",
    "SystemCreatedStorageAccount": "amlite.sdk.registry_entities",
    "load_registry": "amlite.sdk.registry_entities",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'amlite.sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
