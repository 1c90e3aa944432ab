"""Workspace connections (Azure ML's ``workspaces/connections``): a named target (an Azure OpenAI
endpoint, a search service, a Git repository, a package feed, a bucket...) and how to sign in to it.

A connection has a ``category`` (what it points at) and an ``authType`` (how it signs in), each
one of the names Azure's REST API defines, matched case-insensitively (azure-ai-ml sends
``AzureOpenAi``) and kept in Azure's casing. The credentials an auth type carries are checked
here field by field; the credentials themselves never live on a :class:`WorkspaceConnection`:
the service seals them into the owning workspace's secret namespace, and only the
``listsecrets`` action reads them back.

Error messages name fields, never their values, so a refused credential does not reach the
audit log through its message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amlite.domain.errors import invalid
from amlite.domain.resources import AuditStamp

#: Every category Azure's ``ConnectionCategory`` enum defines (2025-12-01).
CATEGORIES: tuple[str, ...] = (
    "PythonFeed", "ContainerRegistry", "Git", "S3", "Snowflake", "AzureKeyVault", "AzureSqlDb",
    "AzureSynapseAnalytics", "AzureMySqlDb", "AzurePostgresDb", "ADLSGen2", "AzureContainerAppEnvironment", "Redis",
    "ApiKey", "AzureOpenAI", "AIServices", "CognitiveSearch", "CognitiveService", "CustomKeys", "AzureBlob",
    "AzureStorageAccount", "AzureOneLake", "CosmosDb", "CosmosDbMongoDbApi", "AzureDataExplorer", "AzureMariaDb",
    "AzureDatabricksDeltaLake", "AzureSqlMi", "AzureTableStorage", "AmazonRdsForOracle", "AmazonRdsForSqlServer",
    "AmazonRedshift", "Db2", "Drill", "GoogleBigQuery", "Greenplum", "Hbase", "Hive", "Impala", "Informix", "MariaDb",
    "MicrosoftAccess", "MySql", "Netezza", "Oracle", "Phoenix", "PostgreSql", "Presto", "SapOpenHub", "SapBw",
    "SapHana", "SapTable", "Spark", "SqlServer", "Sybase", "Teradata", "Vertica", "Pinecone", "Databricks",
    "Cassandra", "Couchbase", "MongoDbV2", "MongoDbAtlas", "AmazonS3Compatible", "FileServer", "FtpServer",
    "GoogleCloudStorage", "Hdfs", "OracleCloudStorage", "Sftp", "GenericHttp", "ODataRest", "Odbc", "GenericRest",
    "RemoteTool", "AmazonMws", "Concur", "Dynamics", "DynamicsAx", "DynamicsCrm", "GoogleAdWords", "Hubspot", "Jira",
    "Magento", "Marketo", "Office365", "Eloqua", "Responsys", "OracleServiceCloud", "PayPal", "QuickBooks",
    "Salesforce", "SalesforceServiceCloud", "SalesforceMarketingCloud", "SapCloudForCustomer", "SapEcc",
    "ServiceNow", "SharePointOnlineList", "Shopify", "Square", "WebTable", "Xero", "Zoho", "GenericContainerRegistry",
    "Elasticsearch", "AppInsights", "AppConfig", "OpenAI", "Serp", "BingLLMSearch", "Serverless",
    "ManagedOnlineEndpoint", "ApiManagement", "ModelGateway", "GroundingWithBingSearch", "GroundingWithCustomSearch",
    "Sharepoint", "MicrosoftFabric", "PowerPlatformEnvironment", "RemoteA2A",
)


@dataclass(frozen=True)
class CredentialField:
    name: str
    required: bool = True
    is_map: bool = False  # ``CustomKeys.keys``: names to strings


#: The auth types amlite keeps credentials for, and the fields of each (Azure's wire names).
#: ``None`` and ``AAD`` carry none: the caller's or the workspace's identity signs in.
AUTH_TYPES: dict[str, tuple[CredentialField, ...]] = {
    "None": (),
    "AAD": (),
    "PAT": (CredentialField("pat"),),
    "SAS": (CredentialField("sas"),),
    "ApiKey": (CredentialField("key"),),
    "AccountKey": (CredentialField("key"),),
    "AccessKey": (CredentialField("accessKeyId"), CredentialField("secretAccessKey")),
    "UsernamePassword": (CredentialField("username"), CredentialField("password"),
                         CredentialField("securityToken", required=False)),
    "ServicePrincipal": (CredentialField("clientId"), CredentialField("clientSecret"), CredentialField("tenantId")),
    "ManagedIdentity": (CredentialField("clientId", required=False), CredentialField("resourceId", required=False)),
    "CustomKeys": (CredentialField("keys", is_map=True),),
}
#: Azure auth types amlite refuses, with why (each refusal names the alternative).
UNSUPPORTED_AUTH_TYPES = ("OAuth2", "DelegatedSAS", "ProjectManagedIdentity", "AccountManagedIdentity",
                          "UserEntraToken", "AgentUserImpersonation", "AgenticIdentityToken", "AgenticUser")

_BY_KEY = {c.lower(): c for c in CATEGORIES}
_AUTH_BY_KEY = {a.lower(): a for a in AUTH_TYPES}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}")
P = "properties"


def _key(value: str) -> str:
    """``azure_open_ai``, ``AzureOpenAi`` and ``AzureOpenAI`` alike: Azure's enums compare so."""
    return value.replace("_", "").lower()


def category_of(value: object, target: str = f"{P}.category") -> str:
    """Azure's spelling of a category, or a 400 listing a few of the known ones."""
    found = _BY_KEY.get(_key(value)) if isinstance(value, str) else None
    if found is None:
        raise invalid("InvalidConnectionCategory",
                      f"'{value}' is not a connection category. Use one of Azure ML's categories, such as "
                      "AzureOpenAI, CognitiveSearch, AIServices, AzureBlob, ContainerRegistry, Git, PythonFeed, "
                      "CustomKeys, ApiKey or S3.", target)
    return found


def auth_type_of(value: object, target: str = f"{P}.authType") -> str:
    """Azure's spelling of a supported auth type, or a 400 naming the supported ones."""
    if isinstance(value, str) and value.lower() in {u.lower() for u in UNSUPPORTED_AUTH_TYPES}:
        raise invalid("UnsupportedConnectionAuthType",
                      f"authType '{value}' is not supported by amlite; use one of {', '.join(AUTH_TYPES)}.", target)
    found = _AUTH_BY_KEY.get(value.replace("_", "").lower()) if isinstance(value, str) else None
    if found is None:
        raise invalid("InvalidConnectionAuthType",
                      f"'{value}' is not a connection authType; use one of {', '.join(AUTH_TYPES)}.", target)
    return found


def check_credentials(auth_type: str, credentials: object, target: str = f"{P}.credentials") -> dict[str, Any]:
    """The credentials of ``auth_type``, checked: every required field present and a non-empty
    string (``keys`` a map of strings), no field the auth type does not have. Returns them in a
    canonical form (fields in their wire names, absent optional fields left out)."""
    fields = AUTH_TYPES[auth_type]
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, dict):
        raise invalid("InvalidRequestContent", "credentials must be an object.", target)
    known = {f.name.lower(): f for f in fields}
    if auth_type == "AccountKey":  # azure-ai-ml sends an account key in the SAS field
        known["sas"] = CredentialField("sas", required=False)
    out: dict[str, Any] = {}
    for name, value in credentials.items():
        spec = known.get(str(name).lower())
        if spec is None:
            if not fields:
                raise invalid("InvalidRequestContent",
                              f"authType '{auth_type}' takes no credentials; remove credentials.{name}.", f"{target}.{name}")
            raise invalid("InvalidRequestContent",
                          f"credentials.{name} is not a field of {auth_type} credentials "
                          f"(use {', '.join(f.name for f in fields)}).", f"{target}.{name}")
        if value is None:
            continue
        if spec.is_map:
            if not isinstance(value, dict) or not value or not all(
                    isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()):
                raise invalid("InvalidRequestContent",
                              f"credentials.{spec.name} must be a non-empty map of names to strings.",
                              f"{target}.{spec.name}")
            out[spec.name] = dict(value)
        else:
            if not isinstance(value, str) or not value or len(value) > 16_384:
                raise invalid("InvalidRequestContent",
                              f"credentials.{spec.name} must be a non-empty string of at most 16384 characters.",
                              f"{target}.{spec.name}")
            out[spec.name] = value
    if auth_type == "AccountKey" and "sas" in out:
        out.setdefault("key", out.pop("sas"))
        out.pop("sas", None)
    for spec in fields:
        if spec.required and spec.name not in out:
            raise invalid("InvalidRequestContent", f"{auth_type} credentials need credentials.{spec.name}.",
                          f"{target}.{spec.name}")
    return out


def check_connection_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise invalid("InvalidConnectionName",
                      f"Connection name '{name}' must start with a letter or digit and contain only letters, "
                      "digits, '-' and '_' (1 to 255 characters).", "connectionName")
    return name


@dataclass(frozen=True)
class WorkspaceConnection:
    """A workspace's connection. ``secret_name`` names its sealed credentials in the owning
    workspace's secret namespace (``None`` for an auth type without credentials)."""

    key: str
    workspace_key: str
    name: str
    category: str
    auth_type: str
    target: str
    stamp: AuditStamp
    metadata: dict[str, str] = field(default_factory=dict)
    is_shared_to_all: bool = False
    expiry_time: datetime | None = None
    secret_name: str | None = None


def secret_name_of(name: str) -> str:
    """Where a connection's credentials live in its workspace's secret namespace."""
    return f"connections--{name.lower()}"
