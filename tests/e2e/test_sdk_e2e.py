"""The Python SDK against a real server: from_config after the CLI wrote config.json, LROs, errors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from amlite import (
    AmliteCliCredential,
    ArmClient,
    DefaultAmliteCredential,
    MLClient,
    UsernamePasswordCredential,
    Workspace,
)
from amlite.sdk.errors import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)

if TYPE_CHECKING:  # fixtures come from conftest.py
    from conftest import Cli, ServerProcess

pytestmark = pytest.mark.e2e


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def test_from_config_after_cli_write_config(
    logged_in: Cli, amlite_server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rg, ws1, ws2 = _unique("rgsdk"), _unique("wssdk"), _unique("wssdk")
    logged_in.json("group", "create", "-g", rg, "-l", "westus")
    logged_in.json("ml", "workspace", "create", "-n", ws1, "-g", rg, "--description", "from cli")
    project = tmp_path / "project"
    project.mkdir()
    wrote = logged_in("ml", "workspace", "show", "-n", ws1, "-g", rg, "--write-config", cwd=project)
    assert wrote.returncode == 0, wrote.stderr
    assert json.loads((project / "config.json").read_text())["workspace_name"] == ws1

    # The SDK uses the CLI's login (AMLITE_CONFIG_DIR is this test's) and finds config.json from a subdir.
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")
    ml_client = MLClient.from_config(AmliteCliCredential())
    assert ml_client.endpoint == amlite_server.endpoint
    assert (ml_client.resource_group_name, ml_client.workspace_name) == (rg, ws1)

    current = ml_client.workspaces.get()
    assert current.name == ws1 and current.description == "from cli"
    assert current.location == "westus" and current.resource_group == rg
    assert str(uuid.UUID(current.workspace_id or "")) == (current.workspace_id or "").lower()
    assert current.storage_account and "/Microsoft.Storage/storageAccounts/" in current.storage_account
    assert current.mlflow_tracking_uri and current.mlflow_tracking_uri.startswith(amlite_server.endpoint)

    poller = ml_client.workspaces.begin_create(
        Workspace(name=ws2, display_name="SDK made", tags={"made-by": "sdk"}))
    created = poller.result(timeout=60)
    assert poller.done() and poller.status() == "Succeeded"
    assert created.name == ws2 and created.location == "westus"  # the group's location
    assert created.display_name == "SDK made" and created.tags == {"made-by": "sdk"}
    assert created.provisioning_state == "Succeeded"

    names = {w.name for w in ml_client.workspaces.list()}
    assert {ws1, ws2} <= names
    assert {ws1, ws2} <= {w.name for w in ml_client.workspaces.list(scope="subscription")}

    updated = ml_client.workspaces.begin_update(Workspace(name=ws2, description="updated")).result()
    assert updated.description == "updated" and updated.tags == {"made-by": "sdk"}

    delete = ml_client.workspaces.begin_delete(ws2)
    assert delete.result(timeout=60) is None
    assert delete.status() == "Succeeded"
    with pytest.raises(ResourceNotFoundError) as info:
        ml_client.workspaces.get(ws2)
    assert info.value.status_code == 404
    assert info.value.error.code == "ResourceNotFound"
    assert str(info.value).startswith("(ResourceNotFound) ")
    # The CLI sees the same state.
    assert logged_in("ml", "workspace", "show", "-n", ws2, "-g", rg).returncode == 3


def test_arm_client_and_password_credential(amlite_server: ServerProcess) -> None:
    creds = amlite_server.credentials
    credential = UsernamePasswordCredential(creds["tenantId"], creds["username"], creds["password"],
                                            amlite_server.endpoint)
    token = credential.get_token()
    assert token.token.count(".") == 2 and credential.get_token() == token  # cached
    with ArmClient(credential, subscription_id=creds["subscriptionId"]) as arm:
        subs = list(arm.subscriptions.list())
        assert creds["subscriptionId"] in [s["subscriptionId"] for s in subs]
        assert "eastus" in [loc["name"] for loc in arm.subscriptions.list_locations()]
        assert [t["tenantId"] for t in arm.tenants.list()] == [creds["tenantId"]]

        rg = _unique("rgarm")
        group = arm.resource_groups.create_or_update(rg, "eastus", tags={"a": "1"})
        assert group["name"] == rg and group["tags"] == {"a": "1"}
        assert arm.resource_groups.exists(rg) is True
        assert arm.resource_groups.update(rg, tags={"b": "2"})["tags"] == {"b": "2"}
        assert rg in [g["name"] for g in arm.resource_groups.list(tag="b=2")]

        ml = MLClient(credential, creds["subscriptionId"], rg, endpoint=amlite_server.endpoint)
        ws = _unique("wsarm")
        ml.workspaces.begin_create(Workspace(name=ws, location="eastus")).result()
        resources = list(arm.resource_groups.list_resources(rg))
        assert any(r["name"] == ws and r["type"] == "Microsoft.MachineLearningServices/workspaces"
                   for r in resources)
        with pytest.raises(ResourceExistsError) as refused:
            arm.resource_groups.begin_delete(rg).result(timeout=60)
        assert refused.value.error.code == "ResourceGroupNotEmpty"
        arm.resource_groups.begin_delete(
            rg, force_deletion_types="Microsoft.MachineLearningServices/workspaces").result(timeout=60)
        assert arm.resource_groups.exists(rg) is False
        with pytest.raises(ResourceNotFoundError) as missing:
            arm.resource_groups.get(rg)
        assert missing.value.error.code == "ResourceGroupNotFound"

        provider = arm.providers.get("Microsoft.MachineLearningServices")
        assert provider["registrationState"] == "Registered"
        with pytest.raises(ResourceNotFoundError):
            arm.providers.get("Microsoft.DoesNotExist")


def test_default_credential_from_environment(
    amlite_server: ServerProcess, monkeypatch: pytest.MonkeyPatch, cli_config_dir: Path
) -> None:
    creds = amlite_server.credentials
    monkeypatch.setenv("AZURE_TENANT_ID", creds["tenantId"])
    monkeypatch.setenv("AZURE_USERNAME", creds["username"])
    monkeypatch.setenv("AZURE_PASSWORD", creds["password"])
    monkeypatch.setenv("AMLITE_ENDPOINT", amlite_server.endpoint)
    client = MLClient(DefaultAmliteCredential(), creds["subscriptionId"], "no-such-group")
    with pytest.raises(ResourceNotFoundError) as info:
        client.workspaces.get("anything")
    assert info.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(HttpResponseError) as bad:
        client.workspaces.begin_create(Workspace(name="a b", location="eastus"))
    assert bad.value.status_code == 400


def test_wrong_password_is_client_authentication_error(amlite_server: ServerProcess) -> None:
    creds = amlite_server.credentials
    credential = UsernamePasswordCredential(creds["tenantId"], creds["username"], "wrong",
                                            amlite_server.endpoint)
    with pytest.raises(ClientAuthenticationError):
        credential.get_token()
