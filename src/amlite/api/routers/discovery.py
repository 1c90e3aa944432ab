"""The side doors Azure clients find amlite through, besides ARM itself.

- ``GET /metadata/endpoints``: ARM's cloud-metadata document (Azure serves it at
  ``management.azure.com/metadata/endpoints``), so azure-ai-ml's ``ARM_CLOUD_METADATA_URL``, az's
  ``cloud register --endpoint-resource-manager`` and other clients learn every endpoint from one
  URL. Open, as Azure's is: it names endpoints, nothing of any tenant.
- ``GET /discovery``: a workspace's ``discoveryUrl``, the services of its region. amlite names only
  ``api`` (its own endpoint: azure-ai-ml builds the data-plane base ``{api}/mferp/managementfrontend``
  from it); the run history and job services Azure also lists are not built, and a URL that does
  not answer is never handed out. Open, as Azure's is (azure-ai-ml fetches it without a token).
- ``GET /registrymanagement/v1.0/registries/{registry}/discovery``: a registry's ``discoveryUrl``,
  where azure-ai-ml learns the registry's subscription, group and data-plane base before any
  registry asset call. It needs ``registries/read`` on the registry.
- ``/mlflow/v1.0/{registry id}/...``: the ``mlFlowRegistryUri`` a registry advertises, as Azure
  does. MLflow's model-registry protocol is not served (a workspace's ``mlFlowTrackingUri`` is:
  ``api.routers.mlflow``): every request there answers ``501 MlflowNotAvailable`` in ARM's error
  shape, so a client learns why instead of a bare 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request

from amlite.api import render
from amlite.api.deps import ApiVersion, Authorize, container
from amlite.domain.errors import NotImplementedYet
from amlite.services.context import Caller

router = APIRouter()

METADATA_PATH = "/metadata/endpoints"
DISCOVERY_PATH = "/discovery"
MLFLOW_PATH = ("/mlflow/v1.0/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
               "/providers/Microsoft.MachineLearningServices/registries/{registry}/{rest:path}")
#: Open routes (no token): they name endpoints, nothing of any tenant.
OPEN_PATHS = frozenset({METADATA_PATH, DISCOVERY_PATH, MLFLOW_PATH})
#: ARM's cloud-metadata api-versions: 2019-05-01 and older answer a list of clouds, later ones the
#: cloud itself, as Azure does.
METADATA_VERSIONS = ("2015-01-01", "2018-01-01", "2019-05-01", "2020-06-01", "2022-09-01")
#: The registry discovery service's own version.
DISCOVERY_VERSION = ApiVersion(("v1.0",))
CLOUD_NAME = "amlite"


def cloud_metadata(endpoint: str, storage_endpoint: str) -> dict[str, Any]:
    """ARM's cloud-metadata document for a cloud whose every endpoint is amlite: ARM, the login
    authority, the audience and the ML services; storage accounts at ``{account}.blob.{storage}``."""
    host = urlsplit(endpoint).hostname or "localhost"
    return {
        "name": CLOUD_NAME,
        "portal": endpoint,
        "resourceManager": f"{endpoint}/",
        "authentication": {"loginEndpoint": f"{endpoint}/", "audiences": [f"{endpoint}/"], "tenant": "common",
                           "identityProvider": "AAD"},
        "media": endpoint, "graphAudience": f"{endpoint}/", "graph": f"{endpoint}/",
        "microsoftGraphResourceId": f"{endpoint}/",
        "suffixes": {"storage": storage_endpoint, "acrLoginServer": f"acr.{host}", "keyVaultDns": f"vault.{host}",
                     "sqlServerHostname": host},
        "batch": endpoint, "sqlManagement": endpoint, "vmImageAliasDoc": endpoint,
        "activeDirectoryDataLake": endpoint, "gallery": endpoint,
    }


@router.get(METADATA_PATH)
def metadata(request: Request) -> Any:
    version = request.query_params.get("api-version") or METADATA_VERSIONS[-1]
    if version not in METADATA_VERSIONS:
        ApiVersion(METADATA_VERSIONS).judge(request)  # the ARM refusal naming the accepted versions
    settings = container(request).settings
    cloud = cloud_metadata(settings.endpoint, settings.storage_endpoint)
    return render.json([cloud] if version <= "2019-05-01" else cloud)


@router.get(DISCOVERY_PATH)
def workspace_discovery(request: Request) -> Any:
    return render.json({"api": container(request).endpoint})


@router.get("/registrymanagement/v1.0/registries/{registry}/discovery", dependencies=[Depends(DISCOVERY_VERSION)])
def registry_discovery(registry: str, request: Request,
                       caller: Caller = Depends(Authorize("Microsoft.MachineLearningServices/registries/read", None))) -> Any:
    c = container(request)
    reg = c.registries.find(caller, registry)
    return render.json({
        "registryName": reg.name, "registryId": reg.registry_id, "tenantId": c.tenant_id,
        "subscriptionId": reg.subscription_id, "resourceGroup": reg.resource_group_name,
        "primaryRegion": reg.location, "regions": [r.region for r in reg.regions],
        "primaryRegionResourceProviderUri": f"{c.endpoint}/",
    })


def mlflow(rest: str) -> Any:
    raise NotImplementedYet(
        "MlflowNotAvailable",
        "MLflow's model registry protocol is not served for registries by amlite; use the ARM API "
        "(models, environments, components, data) or the amlite CLI and SDK, and MLflow tracking at a "
        "workspace's mlFlowTrackingUri.")


for _method in ("GET", "POST", "DELETE"):  # the verbs of MLflow's REST API
    router.add_api_route(MLFLOW_PATH, mlflow, methods=[_method], name=f"mlflow_{_method.lower()}")
