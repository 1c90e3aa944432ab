"""Request bodies of the asset routes (models, environments, components, data) and of datastores,
as Azure ML's REST API spells them.

One version model serves the four kinds, as one ``properties`` object: the path says the kind,
and the domain (``domain.asset_specs``) decides which of these fields the kind reads and requires.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from amlite.domain.assets import ManifestEntry, check_manifest
from amlite.schemas.arm_common import ArmModel, Tags, TextMap

__all__ = [
    "PendingUploadBody",
    "TemporaryDataReferenceBody",
    "ImportBody",
    "ImportProperties",
    "ListSecretsBody",
    "AssetContainerBody",
    "AssetContainerProperties",
    "AssetVersionBody",
    "AssetVersionPatchBody",
    "AssetVersionProperties",
    "BuildContext",
    "DatastoreBody",
    "DatastoreCredentials",
    "DatastoreProperties",
    "DatastoreSecrets",
    "ShareBody",
]


def _or_empty(value: object) -> object:
    """``properties: null`` reads as no properties, as it always has."""
    return {} if value is None else value


def _manifest(value: object) -> object:
    return check_manifest(value, "properties.artifacts") if isinstance(value, list) else value


#: ``artifacts``: the uploaded files, ``[{path, sha256, size}]`` (paths and digests judged on receipt).
Manifest = Annotated[tuple[ManifestEntry, ...], BeforeValidator(_manifest)]


class AssetContainerProperties(ArmModel):
    description: str | None = None
    tags: Tags | None = None
    properties: TextMap | None = None
    is_archived: bool | None = Field(default=None, alias="isArchived")


class AssetContainerBody(ArmModel):
    """PUT of a model, environment, component or data container."""

    properties: Annotated[AssetContainerProperties, BeforeValidator(_or_empty)] = Field(
        default_factory=AssetContainerProperties)


class BuildContext(ArmModel):
    """An environment's Docker build: its context (uploaded, or at ``contextUri``) and Dockerfile."""

    context_uri: str | None = Field(default=None, alias="contextUri")
    dockerfile_path: str | None = Field(default=None, alias="dockerfilePath")


class AssetVersionProperties(ArmModel):
    """A version's ``properties``; ``description``, ``tags`` and ``isArchived`` may change later,
    every other field is the version's immutable content."""

    description: str | None = None
    tags: Tags | None = None
    is_archived: bool | None = Field(default=None, alias="isArchived")
    properties: TextMap | None = None
    artifacts: Manifest = ()
    # models
    model_type: str | None = Field(default=None, alias="modelType")
    model_uri: str | None = Field(default=None, alias="modelUri")
    flavors: dict[str, Any] | None = None
    stage: str | None = None
    job_name: str | None = Field(default=None, alias="jobName")
    # environments
    image: str | None = None
    build: BuildContext | None = None
    conda_file: str | dict[str, Any] | None = Field(default=None, alias="condaFile")
    os_type: str | None = Field(default=None, alias="osType")
    inference_config: dict[str, Any] | None = Field(default=None, alias="inferenceConfig")
    # components
    component_spec: dict[str, Any] | None = Field(default=None, alias="componentSpec")
    # data
    data_type: str | None = Field(default=None, alias="dataType")
    data_uri: str | None = Field(default=None, alias="dataUri")
    code_uri: str | None = Field(default=None, alias="codeUri")


class AssetVersionBody(ArmModel):
    """PUT (or POST, for the next version) of a model, environment, component or data version."""

    properties: Annotated[AssetVersionProperties, BeforeValidator(_or_empty)] = Field(
        default_factory=AssetVersionProperties)


class AssetVersionPatchProperties(ArmModel):
    """A PATCH may name only the mutable fields; any other is kept (``other_fields``) so that the
    refusal can say which immutable field was named."""

    model_config = ConfigDict(extra="allow")

    description: str | None = None
    tags: Tags | None = None
    is_archived: bool | None = Field(default=None, alias="isArchived")

    @property
    def other_fields(self) -> tuple[str, ...]:
        return tuple(self.model_extra or ())


class AssetVersionPatchBody(ArmModel):
    properties: Annotated[AssetVersionPatchProperties, BeforeValidator(_or_empty)] = Field(
        default_factory=AssetVersionPatchProperties)


class ShareBody(ArmModel):
    """``.../versions/{version}/share``: the registry and the name and version the copy gets there."""

    registry_name: str | None = Field(default=None, alias="registryName")
    share_with_name: str | None = Field(default=None, alias="shareWithName")
    share_with_version: str | int | None = Field(default=None, alias="shareWithVersion")


class DatastoreSecrets(ArmModel):
    secrets_type: str | None = Field(default=None, alias="secretsType")
    key: str | None = None
    sas_token: str | None = Field(default=None, alias="sasToken")


class DatastoreCredentials(ArmModel):
    credentials_type: str = Field(default="None", alias="credentialsType")
    secrets: DatastoreSecrets | None = None


class DatastoreProperties(ArmModel):
    """An Azure Blob container, an ADLS Gen2 filesystem or an Azure Files share, and its credentials."""

    datastore_type: str | None = Field(default=None, alias="datastoreType")
    account_name: str | None = Field(default=None, alias="accountName")
    container_name: str | None = Field(default=None, alias="containerName")
    filesystem: str | None = None
    file_share_name: str | None = Field(default=None, alias="fileShareName")
    endpoint: str | None = None
    protocol: str | None = None
    subscription_id: str | None = Field(default=None, alias="subscriptionId")
    resource_group: str | None = Field(default=None, alias="resourceGroup")
    description: str | None = None
    tags: Tags | None = None
    credentials: DatastoreCredentials | None = None


class DatastoreBody(ArmModel):
    """PUT of a datastore; ``properties`` is required (checked once the workspace is found)."""

    properties: DatastoreProperties | None = None


class ListSecretsBody(ArmModel):
    """``.../datastores/{name}/listSecrets``: optionally how long a SAS it hands out stays valid."""

    expire_after_hours: float = Field(default=1.0, alias="expireAfterHours")


class ImportProperties(ArmModel):
    """A registry ``import`` (how azure-ai-ml shares): the source version by id, and the name and
    version it gets in the registry (the source's, when not given)."""

    reference_type: str = Field(default="Id", alias="referenceType")
    source_asset_id: str | None = Field(default=None, alias="sourceAssetId")
    destination_name: str | None = Field(default=None, alias="destinationName")
    destination_version: str | None = Field(default=None, alias="destinationVersion")


class ImportBody(ArmModel):
    properties: Annotated[ImportProperties, BeforeValidator(_or_empty)] = Field(default_factory=ImportProperties)


class PendingUploadBody(ArmModel):
    """A code version's ``startPendingUpload``: where to upload its folder (only a blob reference)."""

    pending_upload_type: str = Field(default="TemporaryBlobReference", alias="pendingUploadType")


class TemporaryDataReferenceBody(ArmModel):
    """A registry's ``tempdatarefs``: the version to upload files for, by asset id."""

    asset_id: str | None = Field(default=None, alias="assetId")
    temporary_data_reference_type: str = Field(default="TemporaryBlobReference", alias="temporaryDataReferenceType")
