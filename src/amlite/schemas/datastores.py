"""Datastore YAML (``azureBlob``/``azureDataLakeGen2``/``azureFile`` schemas): where data lives.

``type`` picks the schema, as azure-ai-ml's ``load_datastore`` does. Credentials are an account
key or a SAS token (Azure Blob and Azure Files) or none (identity-based access); Azure ML refuses
account keys on ADLS Gen2, and so does amlite. Service-principal and certificate credentials and
ADLS Gen1 / OneLake datastores are Azure features amlite's REST API does not model: they are
refused with a message that says so (docs/yaml-differences.md).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from amlite.schemas._common import AssetName, SpecModel, StrDict
from amlite.schemas._yaml import YamlSchemaError, raise_from_pydantic

__all__ = [
    "AccountKeySpec",
    "AzureBlobDatastoreSpec",
    "AzureDataLakeGen2DatastoreSpec",
    "AzureFileDatastoreSpec",
    "DATASTORE_TYPES",
    "STORAGE_ACCOUNT_NAME_RULE",
    "DatastoreSpec",
    "SasTokenSpec",
    "is_storage_account_name",
    "parse_datastore",
]

DATASTORE_TYPES = ("azure_blob", "azure_data_lake_gen2", "azure_file")
#: Azure's storage account names: the one rule the SDK (before sending) and the server both apply.
STORAGE_ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")
STORAGE_ACCOUNT_NAME_RULE = "a storage account name is 3 to 24 lower-case letters and digits"


def is_storage_account_name(value: object) -> bool:
    return isinstance(value, str) and STORAGE_ACCOUNT_NAME.fullmatch(value) is not None
_UNSUPPORTED = {
    "azure_data_lake_gen1": "ADLS Gen1 datastores",
    "one_lake": "OneLake datastores",
}
_SERVICE_PRINCIPAL_KEYS = {"tenant_id", "client_id", "client_secret", "certificate", "thumbprint", "authority_url"}


class AccountKeySpec(SpecModel):
    account_key: str = Field(min_length=1)


class SasTokenSpec(SpecModel):
    sas_token: str = Field(min_length=1)


def _refuse_service_principal(data: Any) -> Any:
    creds = data.get("credentials") if isinstance(data, dict) else None
    if isinstance(creds, dict) and _SERVICE_PRINCIPAL_KEYS & set(creds):
        raise ValueError(
            "service principal and certificate credentials are not supported by amlite; "
            "use account_key or sas_token, or no credentials for identity-based access"
        )
    return data


class _DatastoreBase(SpecModel):
    name: AssetName
    description: str | None = None
    tags: StrDict = Field(default_factory=dict)
    properties: StrDict = Field(default_factory=dict)
    account_name: str = Field(min_length=1)
    endpoint: str = "core.windows.net"

    @field_validator("account_name")
    @classmethod
    def _account_name(cls, value: str) -> str:
        if not is_storage_account_name(value):
            raise ValueError(f"'{value}' is not valid: {STORAGE_ACCOUNT_NAME_RULE}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _credentials_kinds(cls, data: Any) -> Any:
        return _refuse_service_principal(data)


class AzureBlobDatastoreSpec(_DatastoreBase):
    type: Literal["azure_blob"]
    container_name: str = Field(min_length=1)
    protocol: Literal["https", "wasbs"] = "https"
    credentials: AccountKeySpec | SasTokenSpec | None = None


class AzureDataLakeGen2DatastoreSpec(_DatastoreBase):
    type: Literal["azure_data_lake_gen2"]
    filesystem: str = Field(min_length=1)
    protocol: Literal["https", "abfss"] = "https"
    credentials: None = Field(
        default=None,
        description="ADLS Gen2 datastores use identity-based access in amlite (no account key, as Azure ML).",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_account_key(cls, data: Any) -> Any:
        creds = data.get("credentials") if isinstance(data, dict) else None
        if isinstance(creds, dict) and {"client_id", "client_secret", "tenant_id"} & set(creds):
            raise ValueError(
                "'credentials': service-principal credentials (tenant_id, client_id, client_secret) are not "
                "supported: amlite's datastore API keeps an account key or SAS token only, and has no way to "
                "exchange a service principal's secret for a storage token. Omit credentials for identity-based "
                "access, or use an Azure Blob datastore with an account key or SAS token"
            )
        if isinstance(creds, dict) and creds:
            raise ValueError(
                "'credentials': ADLS Gen2 datastores do not take an account key or SAS token "
                "(Azure ML refuses them too); omit credentials for identity-based access"
            )
        if isinstance(data, dict) and data.get("credentials") == {}:
            data = {k: v for k, v in data.items() if k != "credentials"}
        return data


class AzureFileDatastoreSpec(_DatastoreBase):
    type: Literal["azure_file"]
    file_share_name: str = Field(min_length=1)
    protocol: Literal["https"] = "https"
    credentials: AccountKeySpec | SasTokenSpec | None = None


DatastoreSpec = Annotated[
    AzureBlobDatastoreSpec | AzureDataLakeGen2DatastoreSpec | AzureFileDatastoreSpec,
    Field(discriminator="type"),
]
_BY_TYPE: dict[str, type[AzureBlobDatastoreSpec | AzureDataLakeGen2DatastoreSpec | AzureFileDatastoreSpec]] = {
    "azure_blob": AzureBlobDatastoreSpec,
    "azure_data_lake_gen2": AzureDataLakeGen2DatastoreSpec,
    "azure_file": AzureFileDatastoreSpec,
}


def parse_datastore(
    data: dict[str, Any], source: str | None = None
) -> AzureBlobDatastoreSpec | AzureDataLakeGen2DatastoreSpec | AzureFileDatastoreSpec:
    """Validate a datastore mapping; ``type`` is required and picks the schema."""
    kind = data.get("type")
    if kind is None:
        raise YamlSchemaError(f"required field is missing (one of {', '.join(DATASTORE_TYPES)})",
                              field="type", source=source)
    if kind in _UNSUPPORTED:
        raise YamlSchemaError(f"{_UNSUPPORTED[kind]} are not supported by amlite "
                              f"(use one of {', '.join(DATASTORE_TYPES)})", field="type", source=source)
    if kind not in DATASTORE_TYPES:
        raise YamlSchemaError(f"'{kind}' is not a datastore type (use one of {', '.join(DATASTORE_TYPES)})",
                              field="type", source=source)
    try:
        return _BY_TYPE[kind].model_validate(data)
    except ValidationError as exc:
        raise raise_from_pydantic(exc, source) from None
