"""The built-in ``azureml`` system registry through the API, on both stores: curated environments
readable by any signed-in principal with no role at all, referenced by components in a fresh
workspace (versions, ``labels/latest``, a workspace's ``AzureML-<name>`` short form), Azure ML's
managed labels and nothing else, and every write refused without changing anything."""

from __future__ import annotations

from typing import Any

import pytest

from amlite.domain.system_registry import SYSTEM_REGISTRY_ID
from amlite.services.system_registry import curated_catalog
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import bearer, create_user, user_token

ENVS = f"{SYSTEM_REGISTRY_ID}/environments"


def component(env: str) -> dict[str, Any]:
    return {"properties": {"componentSpec": {"type": "command", "command": "python train.py", "environment": env}}}


@pytest.fixture
def workspace(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, f"ws{name}")
    return api.ws_path(name, f"ws{name}")


def test_a_component_naming_a_curated_environment_creates_in_a_fresh_workspace(api: Api, workspace: str) -> None:
    latest = curated_catalog().get("sklearn-1.5")
    assert latest is not None
    for i, env in enumerate(["azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                             f"azureml://registries/azureml/environments/sklearn-1.5/versions/{latest.latest.version}",
                             "azureml://registries/AzureML/environments/sklearn-1.5/versions/1",
                             "azureml:AzureML-sklearn-1.5@latest"]):
        made = api.request("PUT", f"{workspace}/components/train{i}/versions/1", ML, json=component(env))
        assert made.status_code == 201, (env, made.text)
        assert made.json()["properties"]["componentSpec"]["environment"] == env


@pytest.mark.parametrize(("env", "code", "words"), [
    ("azureml://registries/azureml/environments/sklearn-1.5/versions/100000", "AssetReferenceNotFound", "newest is"),
    ("azureml://registries/azureml/environments/no-such-env/labels/latest", "AssetReferenceNotFound", "curated"),
    ("azureml://registries/azureml/environments/sklearn-1.5/labels/prod", "InvalidAssetReference", "managed"),
    ("azureml:AzureML-sklearn-1.5@stable", "InvalidAssetReference", "managed"),
])
def test_references_that_name_nothing_are_refused_and_change_nothing(api: Api, workspace: str, env: str, code: str,
                                                                     words: str) -> None:
    before = api.snapshot()
    r = api.request("PUT", f"{workspace}/components/bad/versions/1", ML, json=component(env))
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == code and words in error["message"]
    assert error["target"] == "properties.componentSpec.environment"
    assert api.snapshot() == before


def test_component_labels_are_latest_and_default_only(api: Api, workspace: str) -> None:
    made = api.request("PUT", f"{workspace}/components/step/versions/3", ML, json=component(
        "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"))
    assert made.status_code == 201, made.text
    for label, status in (("latest", 201), ("default", 201), ("champion", 400)):
        pipeline = {"properties": {"componentSpec": {"type": "pipeline", "jobs": {
            "s": {"type": "command", "component": f"azureml:step@{label}"}}}}}
        r = api.request("POST", f"{workspace}/components/pipe/versions", ML, json=pipeline)
        assert r.status_code == status, (label, r.text)


def test_any_signed_in_principal_reads_the_curated_environments(api: Api, name: str) -> None:
    create_user(api, f"u{name}")  # no role assignment anywhere
    headers = bearer(user_token(api, f"u{name}"))
    found = api.client.get(api.url("/providers/Microsoft.MachineLearningServices/registries/azureml", ML),
                           headers=headers)
    assert found.status_code == 200, found.text
    assert found.json()["id"] == SYSTEM_REGISTRY_ID
    version = api.client.get(api.url(f"{ENVS}/sklearn-1.5/versions/50", ML), headers=headers)
    assert version.status_code == 200, version.text
    props = version.json()["properties"]
    assert props["image"] == "mcr.microsoft.com/azureml/curated/sklearn-1.5:50"
    assert props["environmentType"] == "Curated" and props["osType"] == "Linux"
    assert "scikit-learn~=1.5.0" in props["condaFile"]
    container = api.client.get(api.url(f"{ENVS}/sklearn-1.5", ML), headers=headers).json()
    newest = curated_catalog().get("sklearn-1.5")
    assert newest is not None and container["properties"]["latestVersion"] == newest.latest.version
    listed = api.client.get(api.url(f"{ENVS}/sklearn-1.5/versions?$top=3", ML), headers=headers).json()
    assert [v["name"] for v in listed["value"]] == [str(int(newest.latest.version) - i) for i in range(3)]
    assert "nextLink" in listed
    names = api.client.get(api.url(f"{ENVS}?$top=500", ML), headers=headers).json()["value"]
    assert len(names) == len(curated_catalog()) and "sklearn-1.5" in {c["name"] for c in names}
    missing = api.client.get(api.url(f"{SYSTEM_REGISTRY_ID}/models/m", ML), headers=headers)
    assert missing.status_code == 404 and "curated environments only" in missing.json()["error"]["message"]
    anonymous = api.client.get(api.url(f"{ENVS}/sklearn-1.5", ML), headers={"Authorization": ""})
    assert anonymous.status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", f"{ENVS}/sklearn-1.5/versions/999", {"properties": {"image": "python:3.11"}}),
    ("POST", f"{ENVS}/sklearn-1.5/versions", {"properties": {"image": "python:3.11"}}),
    ("PATCH", f"{ENVS}/sklearn-1.5/versions/50", {"properties": {"tags": {"a": "b"}}}),
    ("POST", f"{ENVS}/sklearn-1.5/archive", None),
    ("PUT", f"{SYSTEM_REGISTRY_ID}/models/m/versions/1", {"properties": {"modelUri": "https://x/y"}}),
    ("DELETE", SYSTEM_REGISTRY_ID, None),
    ("PUT", SYSTEM_REGISTRY_ID, {"location": "eastus"}),
])
def test_writes_are_refused_and_change_nothing(api: Api, method: str, path: str, body: Any) -> None:
    before = api.snapshot()
    r = api.request(method, path, ML, json=body)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "SystemRegistryReadOnly"
    assert "read-only" in r.json()["error"]["message"]
    assert api.snapshot() == before


def test_no_tenant_registry_may_take_the_name(api: Api, name: str) -> None:
    api.create_group(name)
    r = api.request("PUT", f"{api.rg_path(name)}/providers/Microsoft.MachineLearningServices/registries/AzureML", ML,
                    json={"location": "eastus"})
    assert r.status_code == 400 and "reserved" in r.json()["error"]["message"]
