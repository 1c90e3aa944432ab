"""The amlite Python SDK: ``MLClient`` for workspaces, ``ArmClient`` for subscriptions and groups.

It depends on httpx and the standard library only, never on the server's packages, so it can be
installed and used on machines that only talk to an amlite server.
"""

from __future__ import annotations

from amlite.sdk._constants import VERSION
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
