"""Seed 000's transcript with ``az`` replaced by ``amlite``, against a real server process: set the
origin subscription, create the destination group in another subscription, validate the move with
``resource invoke-action``, move with ``resource move``, and find the workspace and its assets at
the destination."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import httpx
import pytest

from amlite.domain.providers import DEFAULT_REGISTERED
from tests.e2e.conftest import run_cli, start_server

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def moved_id(sub: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/destination-rg/providers/Microsoft.MachineLearningServices/workspaces/origin-workspace-name"


@pytest.mark.e2e
def test_seed_000_transcript(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    config = tmp_path / "cli"

    def run(*args: str) -> Any:
        done = run_cli(*args, config_dir=config, cwd=tmp_path)
        assert done.returncode == 0, f"amlite {' '.join(args)}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    try:
        run("login", "--credentials-file", str(server.credentials_file))
        origin_sub = server.credentials["subscriptionId"]
        created = run("account", "alias", "create", "--name", "destination", "--display-name", "Destination")
        destination_sub = created["properties"]["subscriptionId"]
        for namespace in DEFAULT_REGISTERED:  # the seed's prerequisite: the providers a workspace needs
            run("provider", "register", "-n", namespace, "--subscription", destination_sub)
        run("group", "create", "-g", "origin-rg", "-l", "eastus")
        run("ml", "workspace", "create", "-n", "origin-workspace-name", "-g", "origin-rg")
        (tmp_path / "model.pkl").write_bytes(b"weights")
        run("ml", "model", "create", "--name", "m1", "--version", "1", "--path", "model.pkl",
            "-w", "origin-workspace-name", "-g", "origin-rg")
        run("ml", "datastore", "create", "--file", str(CORPUS / "datastore/valid/blob_account_key.yml"),
            "--name", "external", "-w", "origin-workspace-name", "-g", "origin-rg")
        token = run("account", "get-access-token")["accessToken"]
        origin_ws = (f"/subscriptions/{origin_sub}/resourceGroups/origin-rg/providers/"
                     "Microsoft.MachineLearningServices/workspaces/origin-workspace-name")
        endpoint = f"/subscriptions/{origin_sub}/resourceGroups/origin-rg/providers/Microsoft.Network/privateEndpoints/pe1"
        connected = httpx.put(f"{server.endpoint}{origin_ws}/privateEndpointConnections/pe1?api-version=2024-10-01",
                              headers={"Authorization": f"Bearer {token}"}, json={"properties": {
                                  "privateEndpoint": {"id": endpoint},
                                  "privateLinkServiceConnectionState": {"status": "Approved"}}})
        assert connected.status_code == 201, connected.text

        # 1. az account set -s origin-sub-id
        assert run("account", "set", "-s", origin_sub) is None
        # 4. az group create -g destination-rg -l my-region --subscription destination-sub-id
        group = run("group", "create", "-g", "destination-rg", "-l", "eastus", "--subscription", destination_sub)
        assert group["id"] == f"/subscriptions/{destination_sub}/resourceGroups/destination-rg"
        ws_id = (f"/subscriptions/{origin_sub}/resourceGroups/origin-rg/providers/"
                 "Microsoft.MachineLearningServices/workspaces/origin-workspace-name")
        body = json.dumps({"resources": [ws_id],
                           "targetResourceGroup": f"/subscriptions/{destination_sub}/resourceGroups/destination-rg"})
        # 5. az resource invoke-action --action validateMoveResources --ids ... --request-body ...
        assert run("resource", "invoke-action", "--action", "validateMoveResources", "--ids",
                   f"/subscriptions/{origin_sub}/resourceGroups/origin-rg", "--request-body", body) is None
        (tmp_path / "move.json").write_text(body)
        assert run("resource", "invoke-action", "--action", "validateMoveResources", "--ids",
                   f"/subscriptions/{origin_sub}/resourceGroups/origin-rg", "--request-body", "@move.json") is None
        # A destination that does not exist: exit 1 with every reason.
        refused = run_cli("resource", "invoke-action", "--action", "validateMoveResources", "--ids",
                          f"/subscriptions/{origin_sub}/resourceGroups/origin-rg", "--request-body",
                          body.replace("destination-rg", "nowhere-rg"), config_dir=config, cwd=tmp_path)
        assert refused.returncode == 1 and "(ResourceMoveValidationFailed)" in refused.stderr, refused.stderr
        assert "TargetResourceGroupNotFound" in refused.stderr

        # Move the workspace: nothing on stdout (az's output); what stayed behind is said on stderr.
        done = run_cli("resource", "move", "--destination-group", "destination-rg", "--destination-subscription-id",
                       destination_sub, "--ids", ws_id, config_dir=config, cwd=tmp_path)
        assert done.returncode == 0 and done.stdout.strip() == "", done.stderr
        warning = next(line for line in done.stderr.splitlines() if "Datastore 'external'" in line)
        fix = shlex.split(warning.split("run: ", 1)[1])
        assert fix[:4] == ["amlite", "ml", "datastore", "update"]
        datastore_url = (f"{server.endpoint}{moved_id(destination_sub)}/datastores/external?api-version=2024-10-01")

        def account_ids() -> tuple[str, str]:
            props = httpx.get(datastore_url, headers={"Authorization": f"Bearer {token}"}).json()["properties"]
            return props["subscriptionId"], props["resourceGroup"]

        assert account_ids() == (origin_sub, "origin-rg")  # still pointing at the account where it is
        run(*fix[1:])
        assert account_ids() == (destination_sub, "destination-rg")

        # The private endpoint connection was recreated Pending at the new id: approve it.
        where = ("--resource-name", "origin-workspace-name", "--type", "Microsoft.MachineLearningServices/workspaces",
                 "-g", "destination-rg", "--subscription", destination_sub)
        listed = run("network", "private-endpoint-connection", "list", *where)
        assert [c["properties"]["privateLinkServiceConnectionState"]["status"] for c in listed] == ["Pending"]
        approved = run("network", "private-endpoint-connection", "approve", "--name", "pe1", *where,
                       "--description", "reconnected after the move")
        assert approved["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
        shown = run("network", "private-endpoint-connection", "show", "--id", approved["id"])
        assert shown["properties"]["privateLinkServiceConnectionState"]["description"] == "reconnected after the move"

        moved = run("ml", "workspace", "show", "-n", "origin-workspace-name", "-g", "destination-rg",
                    "--subscription", destination_sub)
        assert moved["id"].startswith(f"/subscriptions/{destination_sub}/resourceGroups/destination-rg/")
        model = run("ml", "model", "show", "--name", "m1", "--version", "1", "-w", "origin-workspace-name",
                    "-g", "destination-rg", "--subscription", destination_sub)
        assert model["id"] == f"azureml:{moved['id']}/models/m1/versions/1"
        assert f"/subscriptions/{destination_sub}/resourcegroups/destination-rg/" in model["path"].lower()
        gone = run_cli("ml", "workspace", "show", "-n", "origin-workspace-name", "-g", "origin-rg",
                       config_dir=config, cwd=tmp_path)
        assert gone.returncode == 3, gone.stderr
        # The same move again: the workspace is no longer in the origin group.
        again = run_cli("resource", "move", "--destination-group", "destination-rg", "--destination-subscription-id",
                        destination_sub, "--ids", ws_id, config_dir=config, cwd=tmp_path)
        assert again.returncode == 1 and "ResourceNotFound" in again.stderr, again.stderr
    finally:
        server.stop()
