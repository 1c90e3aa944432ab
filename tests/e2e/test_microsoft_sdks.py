"""Microsoft's own clients, unmodified, against a real ``amlite server --tls self-signed``.

Each scenario uses only the clients' public API, with the server's local CA in
``REQUESTS_CA_BUNDLE`` as a user would export it, and a service principal made the way a user
makes one (``amlite ad sp create-for-rbac``). Pinned, test-only: azure-identity 1.27.0,
azure-mgmt-resource 26.0.0, azure-mgmt-machinelearningservices 2.0.0b2 (pyproject.toml).

What these clients need that ARM-shaped answers alone do not give (docs/microsoft-sdks.md):
``authorization_endpoint`` in the OpenID document (MSAL), tokens for ``<resource_manager>/.default``
accepted, ``200`` (not ``201``) for a workspace PUT, and ``Retry-After`` on operation status.
"""

from __future__ import annotations

import json
import ssl
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.machinelearningservices import models as ml
from azure.mgmt.resource.resources import ResourceManagementClient

from tests.e2e.conftest import ServerProcess, run_cli, start_server

LOCATION = "eastus"


class Amlite:
    """The server, the subscription, and a service principal with Contributor on it."""

    def __init__(self, server: ServerProcess, subscription_id: str, sp: dict[str, str]) -> None:
        self.server = server
        self.endpoint = server.endpoint
        self.subscription_id = subscription_id
        self.tenant_id = sp["tenant"]
        self.app_id = sp["appId"]
        self.secret = sp["password"]

    def credential(self) -> ClientSecretCredential:
        return ClientSecretCredential(self.tenant_id, self.app_id, self.secret, authority=self.endpoint,
                                      disable_instance_discovery=True)

    def resources(self) -> ResourceManagementClient:
        return ResourceManagementClient(self.credential(), self.subscription_id, base_url=self.endpoint)

    def ml(self) -> MachineLearningServicesMgmtClient:
        # asks for a token for the server itself (``<resource_manager>/.default``), as a client of
        # a cloud pointed at amlite does; the resource client above asks for Azure's management resource
        return MachineLearningServicesMgmtClient(self.credential(), self.subscription_id, base_url=self.endpoint,
                                                 credential_scopes=[f"{self.endpoint}/.default"])


@pytest.fixture(scope="module")
def amlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Amlite]:
    base = tmp_path_factory.mktemp("mssdk")
    server = start_server(base / "data", tls=True)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
            env = {"REQUESTS_CA_BUNDLE": str(server.ca_file)}
            config_dir = base / "cli"
            logged_in = run_cli("login", "--credentials-file", str(server.credentials_file), config_dir=config_dir, env=env)
            assert logged_in.returncode == 0, logged_in.stderr
            subscription_id = server.credentials["subscriptionId"]
            made = run_cli("ad", "sp", "create-for-rbac", "--name", "sdk-conformance", "--role", "Contributor",
                           "--scopes", f"/subscriptions/{subscription_id}", config_dir=config_dir, env=env)
            assert made.returncode == 0, made.stderr
            yield Amlite(server, subscription_id, json.loads(made.stdout))
    finally:
        server.stop()


def _arm_get(amlite: Amlite, token: str, path: str, api_version: str) -> httpx.Response:
    return httpx.get(f"{amlite.endpoint}{path}", params={"api-version": api_version},
                     headers={"Authorization": f"Bearer {token}"}, verify=ssl.create_default_context(cafile=amlite.server.ca_file))


# -- azure-identity ---------------------------------------------------------------------------


def test_client_secret_credential_gets_tokens_the_api_accepts(amlite: Amlite) -> None:
    credential = amlite.credential()
    subscription = f"/subscriptions/{amlite.subscription_id}"
    for scope in ("https://management.azure.com/.default", "https://management.core.windows.net//.default",
                  f"{amlite.endpoint}/.default"):
        token = credential.get_token(scope)
        assert token.expires_on > time.time() + 600
        answer = _arm_get(amlite, token.token, subscription, "2022-12-01")
        assert answer.status_code == 200, (scope, answer.text)
        assert answer.json()["subscriptionId"] == amlite.subscription_id


def test_a_wrong_secret_is_refused_by_azure_identity(amlite: Amlite) -> None:
    wrong = ClientSecretCredential(amlite.tenant_id, amlite.app_id, "not-the-secret", authority=amlite.endpoint,
                                   disable_instance_discovery=True)
    with pytest.raises(ClientAuthenticationError, match="Invalid client secret"):
        wrong.get_token("https://management.azure.com/.default")


def test_default_azure_credential_from_azure_variables(amlite: Amlite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", amlite.endpoint)
    monkeypatch.setenv("AZURE_TENANT_ID", amlite.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", amlite.app_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", amlite.secret)
    credential = DefaultAzureCredential(disable_instance_discovery=True)
    token = credential.get_token("https://management.azure.com/.default")
    answer = _arm_get(amlite, token.token, f"/subscriptions/{amlite.subscription_id}/resourcegroups", "2022-12-01")
    assert answer.status_code == 200, answer.text


# -- azure-mgmt-resource --------------------------------------------------------------------------


def test_resource_groups(amlite: Amlite) -> None:
    client = amlite.resources()
    name = f"rg-sdk-{uuid.uuid4().hex[:6]}"
    assert client.resource_groups.check_existence(name) is False
    made = client.resource_groups.create_or_update(name, {"location": LOCATION, "tags": {"team": "a"}})
    assert (made.name, made.location, made.tags) == (name, LOCATION, {"team": "a"})
    assert made.properties.provisioning_state == "Succeeded"
    assert client.resource_groups.check_existence(name) is True
    got = client.resource_groups.get(name)
    assert got.id == f"/subscriptions/{amlite.subscription_id}/resourceGroups/{name}"
    assert name in {group.name for group in client.resource_groups.list()}
    started = time.monotonic()
    client.resource_groups.begin_delete(name).result()
    assert time.monotonic() - started < 20  # Retry-After: 1, not azure-core's 30 s per poll
    assert client.resource_groups.check_existence(name) is False
    with pytest.raises(ResourceNotFoundError):
        client.resource_groups.get(name)


# -- azure-mgmt-machinelearningservices ---------------------------------------------------------


@pytest.fixture(scope="module")
def group(amlite: Amlite) -> str:
    name = "rg-ml-sdk"
    amlite.resources().resource_groups.create_or_update(name, {"location": LOCATION})
    return name


def test_workspaces(amlite: Amlite, group: str) -> None:
    client = amlite.ml()
    body = ml.Workspace(location=LOCATION, friendly_name="SDK workspace", description="made by the mgmt SDK",
                        tags={"team": "a"})
    started = time.monotonic()
    made = client.workspaces.begin_create_or_update(group, "ws-sdk", body).result()
    assert (made.name, made.location, made.friendly_name, made.tags) == ("ws-sdk", LOCATION, "SDK workspace", {"team": "a"})
    assert made.provisioning_state == "Succeeded" and made.workspace_id
    assert made.discovery_url.startswith("https://")
    got = client.workspaces.get(group, "ws-sdk")
    assert got.id == made.id and got.description == "made by the mgmt SDK"
    updated = client.workspaces.begin_create_or_update(
        group, "ws-sdk", ml.Workspace(location=LOCATION, friendly_name="renamed")).result()
    assert updated.friendly_name == "renamed" and updated.workspace_id == made.workspace_id
    assert "ws-sdk" in {w.name for w in client.workspaces.list_by_resource_group(group)}
    assert "ws-sdk" in {w.name for w in client.workspaces.list_by_subscription()}
    client.workspaces.begin_delete(group, "ws-sdk").result()
    assert time.monotonic() - started < 30
    with pytest.raises(ResourceNotFoundError):
        client.workspaces.get(group, "ws-sdk")


def test_workspace_quotas(amlite: Amlite, group: str) -> None:
    """``quotas.update`` and ``quotas.list`` (Azure's workspace-level quota) read amlite's answers."""
    client = amlite.ml()
    ws = client.workspaces.begin_create_or_update(group, "ws-quota", ml.Workspace(location=LOCATION)).result()
    quota_type = "Microsoft.MachineLearningServices/workspaces/quotas"
    wanted = [ml.QuotaBaseProperties(id=f"{ws.id}/quotas/standardDSv2Family", type=quota_type, limit=8, unit="Count"),
              ml.QuotaBaseProperties(id=f"{ws.id}/quotas/standardNoSuchFamily", type=quota_type, limit=8, unit="Count")]
    answered = client.quotas.update(LOCATION, ml.QuotaUpdateParameters(value=wanted, location=LOCATION))
    assert [(q.id, q.limit, q.status) for q in answered.value] == [
        (wanted[0].id, 8, "Success"), (wanted[1].id, 8, "InvalidVMFamilyName")]
    own = [q for q in client.quotas.list(LOCATION) if q.type == quota_type]
    assert [(q.id, q.limit, q.name.value, q.aml_workspace_location) for q in own] == [
        (wanted[0].id, 8, "standardDSv2Family", LOCATION)]
    client.workspaces.begin_delete(group, "ws-quota").result()
    assert not [q for q in client.quotas.list(LOCATION) if q.type == quota_type]  # nor a soft-deleted one's


def test_registry_create(amlite: Amlite, group: str) -> None:
    client = amlite.ml()
    body = ml.Registry(location=LOCATION, region_details=[ml.RegistryRegionArmDetails(
        location=LOCATION,
        acr_details=[ml.AcrDetails(system_created_acr_account=ml.SystemCreatedAcrAccount(acr_account_sku="Premium"))],
        storage_account_details=[ml.StorageAccountDetails(system_created_storage_account=ml.SystemCreatedStorageAccount(
            storage_account_type="Standard_LRS", storage_account_hns_enabled=False))],
    )])
    made = client.registries.begin_create_or_update(group, "reg-sdk", body).result()
    assert made.name == "reg-sdk" and made.location == LOCATION
    assert [region.location for region in made.region_details] == [LOCATION]
    assert client.registries.get(group, "reg-sdk").id == made.id
    assert "reg-sdk" in {r.name for r in client.registries.list(group)}


def test_model_containers_and_versions(amlite: Amlite, group: str) -> None:
    client = amlite.ml()
    client.workspaces.begin_create_or_update(group, "ws-models", ml.Workspace(location=LOCATION)).result()
    container = client.model_containers.create_or_update(
        group, "ws-models", "sdk-model",
        ml.ModelContainer(properties=ml.ModelContainerProperties(description="a model", tags={"k": "v"})))
    assert container.name == "sdk-model" and container.properties.description == "a model"
    version = client.model_versions.create_or_update(
        group, "ws-models", "sdk-model", "1",
        ml.ModelVersion(properties=ml.ModelVersionProperties(
            model_uri="https://example.org/models/model.pkl", model_type="custom_model",
            description="first", tags={"stage": "dev"}, properties={"framework": "sklearn"})))
    assert version.name == "1" and version.properties.model_uri == "https://example.org/models/model.pkl"
    assert version.properties.tags == {"stage": "dev"}
    assert [v.name for v in client.model_versions.list(group, "ws-models", "sdk-model")] == ["1"]
    got = client.model_containers.get(group, "ws-models", "sdk-model")
    assert got.properties.latest_version == "1"
    assert "sdk-model" in {c.name for c in client.model_containers.list(group, "ws-models")}
    assert client.model_versions.get(group, "ws-models", "sdk-model", "1").properties.description == "first"
