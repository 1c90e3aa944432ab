"""azure-mgmt-resource 26.0.0, unmodified, validating and moving a workspace on a real
``amlite server --tls self-signed`` (seed 000): ``begin_validate_move_resources`` and
``begin_move_resources`` poll ARM's Location header to 204, and a refusal reaches the client as
``HttpResponseError`` 409 with one detail per reason."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.machinelearningservices import models
from azure.mgmt.resource.resources import ResourceManagementClient

from tests.e2e.conftest import run_cli, start_server
from tests.e2e.test_microsoft_sdks import LOCATION, Amlite

WS_TYPE = "Microsoft.MachineLearningServices/workspaces"


@pytest.fixture(scope="module")
def amlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Amlite]:
    base = tmp_path_factory.mktemp("movesdk")
    server = start_server(base / "data", tls=True)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
            env = {"REQUESTS_CA_BUNDLE": str(server.ca_file)}
            config_dir = base / "cli"
            logged_in = run_cli("login", "--credentials-file", str(server.credentials_file), config_dir=config_dir, env=env)
            assert logged_in.returncode == 0, logged_in.stderr
            subscription_id = server.credentials["subscriptionId"]
            made = run_cli("ad", "sp", "create-for-rbac", "--name", "sdk-move", "--role", "Contributor",
                           "--scopes", f"/subscriptions/{subscription_id}", config_dir=config_dir, env=env)
            assert made.returncode == 0, made.stderr
            yield Amlite(server, subscription_id, json.loads(made.stdout))
    finally:
        server.stop()


@pytest.mark.e2e
def test_validate_and_move_with_azure_mgmt_resource(amlite: Amlite) -> None:
    client: ResourceManagementClient = amlite.resources()
    client.resource_groups.create_or_update("origin-rg", {"location": LOCATION})
    client.resource_groups.create_or_update("destination-rg", {"location": LOCATION})
    ml = amlite.ml()
    ml.workspaces.begin_create_or_update("origin-rg", "origin-ws", models.Workspace(location=LOCATION)).result()
    sub = amlite.subscription_id
    ws_id = f"/subscriptions/{sub}/resourceGroups/origin-rg/providers/{WS_TYPE}/origin-ws"
    target = f"/subscriptions/{sub}/resourceGroups/destination-rg"

    with pytest.raises(HttpResponseError) as refused:
        client.resources.begin_validate_move_resources(
            "origin-rg", {"resources": [ws_id], "targetResourceGroup": f"/subscriptions/{sub}/resourceGroups/absent"},
            polling_interval=0).result()
    assert refused.value.status_code == 409
    assert refused.value.error is not None and refused.value.error.code == "ResourceMoveValidationFailed"
    assert [d.code for d in refused.value.error.details] == ["TargetResourceGroupNotFound"]

    body = {"resources": [ws_id], "targetResourceGroup": target}
    assert client.resources.begin_validate_move_resources("origin-rg", body, polling_interval=0).result() is None
    assert client.resources.begin_move_resources("origin-rg", body, polling_interval=0).result() is None

    moved = {r.type: r.name for r in client.resources.list_by_resource_group("destination-rg")}
    assert moved[WS_TYPE] == "origin-ws" and len(moved) == 5
    assert list(client.resources.list_by_resource_group("origin-rg")) == []
    assert ml.workspaces.get("destination-rg", "origin-ws").name == "origin-ws"
