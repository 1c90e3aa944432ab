"""Seed 004 through the real ``amlite`` CLI against a real server: IT sets up a locked-down hub with
a default project resource group; a developer holding only Azure AI Developer on the hub creates
two projects self-service and owns them; each project shows the hub's settings as inherited; one
project cannot reach the other's data, secrets or images; their computes draw on one quota until it
runs out, and a compute instance of one project runs a job of the other; changing the hub's network
setting changes what both projects show; the hub goes only once its projects are deleted and purged."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess, run_cli, start_server

pytestmark = pytest.mark.e2e

KEY = "https://kv-it-hub.vault.azure.net/keys/hub-cmk/0a1b2c3d"
PASSWORD = "dev-password-1"
JOB = """$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
code: ./src
command: python hello.py
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
compute: azureml:ci-alpha
experiment_name: seed-004
"""


class Shell:
    """One user's CLI profile."""

    def __init__(self, config_dir: Path, cwd: Path) -> None:
        self.config_dir, self.cwd = config_dir, cwd

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, config_dir=self.config_dir, cwd=self.cwd)

    def ok(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, f"amlite {' '.join(args)}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    def refused(self, code: str, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode != 0 and f"({code})" in done.stderr, f"amlite {' '.join(args)}\n{done.stderr}"
        return done.stderr


@pytest.fixture
def server(tmp_path: Path) -> Any:
    # The subscription allows 24 vCPUs of a family; IT gives the hub 8 of them (one DSv2-family
    # instance per project fits, a third does not).
    proc = start_server(tmp_path / "data", config={"quota": {"family_vcpus": 24, "total_vcpus": 100}})
    try:
        yield proc
    finally:
        proc.stop()


def _setup(server: ServerProcess, tmp_path: Path) -> tuple[Shell, Shell, str, dict[str, Any]]:
    it = Shell(tmp_path / "it", tmp_path)
    it.ok("login", "--credentials-file", str(server.credentials_file))
    it.ok("group", "create", "-g", "rg-hub", "-l", "eastus")
    it.ok("group", "create", "-g", "rg-projects", "-l", "eastus")
    hub = it.ok("ml", "workspace", "create", "--kind", "hub", "-n", "team-hub", "-g", "rg-hub",
                "--public-network-access", "Disabled", "--managed-network", "allow_only_approved_outbound",
                "--customer-managed-key", KEY, "--default-project-resource-group", "rg-projects")
    assert hub["kind"] == "hub" and hub["public_network_access"] == "Disabled"
    assert hub["managed_network"] == {"isolation_mode": "allow_only_approved_outbound"}
    assert hub["customer_managed_key"] == {"key_uri": KEY}
    assert hub["default_resource_group"].endswith("/resourceGroups/rg-projects")

    user = it.ok("ad", "user", "create", "--display-name", "Dev", "--password", PASSWORD,
                 "--user-principal-name", "dev@amlite.local")
    it.ok("role", "assignment", "create", "--assignee", "dev@amlite.local", "--role", "Azure AI Developer",
          "--scope", hub["id"])
    dev = Shell(tmp_path / "dev", tmp_path)
    dev.ok("login", "-u", "dev@amlite.local", "-p", PASSWORD, "--endpoint", server.endpoint)
    dev.ok("account", "set", "--subscription", server.credentials["subscriptionId"])
    return it, dev, user["id"], hub


def test_seed_004_a_hub_and_its_self_service_projects(server: ServerProcess, tmp_path: Path) -> None:
    it, dev, dev_id, hub = _setup(server, tmp_path)
    projects = ["-g", "rg-projects"]

    # The developer has no role on rg-projects: a Default workspace there is refused ...
    dev.refused("AuthorizationFailed", "ml", "workspace", "create", "-n", "plain", *projects)
    # ... but projects of the hub are created there self-service, from YAML and from flags.
    (tmp_path / "alpha.yml").write_text(f"name: proj-alpha\nkind: project\nhub_id: {hub['id']}\n"
                                        "display_name: Alpha\n")
    alpha = dev.ok("ml", "workspace", "create", "--file", str(tmp_path / "alpha.yml"), *projects)
    beta = dev.ok("ml", "workspace", "create", "--kind", "project", "--hub-id", hub["id"], "-n", "proj-beta",
                  *projects)
    for project in (alpha, beta):
        assert project["kind"] == "project" and project["hub_id"] == hub["id"]
        owners = it.ok("role", "assignment", "list", "--scope", project["id"], "--assignee", "dev@amlite.local")
        assert [(a["roleDefinitionName"], a["scope"].lower()) for a in owners] == [("Owner", project["id"].lower())]

    # Each project shows the hub's settings and resources, and that they are the hub's.
    for name in ("proj-alpha", "proj-beta"):
        shown = dev.ok("ml", "workspace", "show", "-n", name, *projects)
        assert shown["public_network_access"] == "Disabled"
        assert shown["managed_network"] == {"isolation_mode": "allow_only_approved_outbound"}
        assert shown["customer_managed_key"] == {"key_uri": KEY}
        for key in ("storage_account", "key_vault", "container_registry", "application_insights"):
            assert shown[key] == hub[key]
        assert set(shown["setting_sources"].values()) == {"hub"}
        assert {"publicNetworkAccess", "encryption", "storageAccount", "keyVault"} <= set(shown["setting_sources"])
    refused = dev.refused("ProjectSettingInherited", "ml", "workspace", "update", "-n", "proj-alpha", *projects,
                          "--public-network-access", "Enabled")
    assert "team-hub" in refused

    # Isolation: alpha's data, datastore secrets and storage are out of beta's reach.
    alpha_ws, beta_ws = ["-w", "proj-alpha", *projects], ["-w", "proj-beta", *projects]
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    data = dev.ok("ml", "data", "create", "-n", "rows", "-v", "1", "--type", "uri_file", "--path",
                  str(tmp_path / "rows.csv"), *alpha_ws)
    assert dev.run("ml", "data", "show", "-n", "rows", "-v", "1", *beta_ws).returncode == 3
    account = hub["storage_account"].rsplit("/", 1)[1]
    alpha_blobs = dev.ok("ml", "datastore", "show", "-n", "workspaceblobstore", *alpha_ws)
    beta_blobs = dev.ok("ml", "datastore", "show", "-n", "workspaceblobstore", *beta_ws)
    # both in the hub's storage account, each in its own containers prefixed with its workspace GUID
    assert alpha_blobs["account_name"] == beta_blobs["account_name"] == account
    assert alpha_blobs["container_name"].endswith("-azureml-blobstore")
    assert alpha_blobs["container_name"].split("-")[:5] != beta_blobs["container_name"].split("-")[:5]
    (tmp_path / "keyed.yml").write_text(
        f"name: keyed\ntype: azure_blob\naccount_name: {account}\ncontainer_name: {alpha_blobs['container_name']}\n"
        "credentials:\n  account_key: c2VjcmV0LWtleQ==\n")
    own = dev.ok("ml", "datastore", "create", "--file", str(tmp_path / "keyed.yml"), *alpha_ws)
    assert own["name"] == "keyed" and "c2VjcmV0LWtleQ==" not in json.dumps(own)
    # alpha's secret is in alpha's namespace of the hub's key vault: beta has no such datastore
    assert dev.run("ml", "datastore", "show", "-n", "keyed", *beta_ws).returncode == 3
    # beta pointing a datastore at alpha's container in the shared account is refused at once
    dev.refused("ProjectStorageIsolation", "ml", "datastore", "create", "--file", str(tmp_path / "keyed.yml"),
                *beta_ws)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello.py").write_text("print('hello from a shared instance')\n")
    (tmp_path / "steal.yml").write_text(JOB.replace("python hello.py", "python hello.py ${{inputs.rows}}") +
                                        f"inputs:\n  rows:\n    type: uri_file\n    path: azureml:{data['id']}\n")

    # Computes: one quota for the hub's projects, the hub's own limit that IT sets through Azure's
    # REST API (az has no command for it); an instance is shared across them.
    token = it.ok("account", "get-access-token")["accessToken"]
    quotas = f"{server.endpoint}/subscriptions/{server.credentials['subscriptionId']}/providers/" \
             "Microsoft.MachineLearningServices/locations/eastus/updateQuotas?api-version=2024-10-01"
    entry = {"id": f"{hub['id']}/quotas/standardDSv2Family", "type": "Microsoft.MachineLearningServices/workspaces/quotas",
             "limit": 8, "unit": "Count"}
    set_limit = httpx.post(quotas, json={"location": "eastus", "value": [entry]},
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert set_limit.status_code == 200 and set_limit.json()["value"][0]["status"] == "Success", set_limit.text
    ci = ["--type", "computeinstance", "--size", "Standard_DS3_v2"]
    assert dev.ok("ml", "compute", "create", "-n", "ci-alpha", *ci, *alpha_ws)["state"] == "Running"
    assert dev.ok("ml", "compute", "create", "-n", "ci-beta", *ci, *beta_ws)["state"] == "Running"
    over = dev.refused("QuotaExceeded", "ml", "compute", "create", "-n", "ci-beta-2", *ci, *beta_ws)
    assert "standardDSv2Family" in over and "Current usage: 8" in over and "limit: 8" in over
    assert "hub 'team-hub'" in over  # the hub's balance ran out, not the subscription's 24
    assert dev.run("ml", "compute", "show", "-n", "ci-beta-2", *beta_ws).returncode == 3
    dev.refused("ComputeClusterNotSupportedInHub", "ml", "compute", "create", "-n", "cpu", "--type", "amlcompute",
                "--size", "Standard_DS3_v2", *beta_ws)
    # beta's job on alpha's instance runs there; a job of beta naming alpha's data is refused
    (tmp_path / "job.yml").write_text(JOB)
    run = dev.run("ml", "job", "create", "--file", str(tmp_path / "job.yml"), "--stream", *beta_ws)
    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)
    assert job["status"] == "Completed" and job["compute"] == "azureml:ci-alpha"
    assert "hello from a shared instance" in run.stderr
    dev.refused("ProjectDataIsolation", "ml", "job", "create", "--file", str(tmp_path / "steal.yml"), *beta_ws)

    # Images: each project's job runs on its environment's build, named under the project's own
    # namespace (its workspace GUID) of the hub's registry; each lists only its own, and naming the
    # other's image is refused.
    alpha_job = dev.ok("ml", "job", "create", "--file", str(tmp_path / "job.yml"), "--stream", *alpha_ws)
    acr = hub["container_registry"].rsplit("/", 1)[1].lower() + ".azurecr.io"
    seen = {}
    for name, ran, blobs in (("proj-alpha", alpha_job, alpha_blobs), ("proj-beta", job, beta_blobs)):
        guid = blobs["container_name"].removesuffix("-azureml-blobstore")
        repo = ran["properties"]["AzureML.DerivedImageName"]
        assert repo.startswith(f"{guid}/azureml_"), repo
        images = dev.ok("ml", "environment", "list-images", "-w", name, *projects)
        assert [i["name"] for i in images] == [f"{acr}/{repo}"] and images[0]["built_by_job"] == ran["name"]
        seen[name] = images[0]["name"]
    assert seen["proj-alpha"] != seen["proj-beta"]
    (tmp_path / "borrowed.yml").write_text(f"name: borrowed\nimage: {seen['proj-beta']}\n")
    dev.refused("ProjectImageIsolation", "ml", "environment", "create", "--file", str(tmp_path / "borrowed.yml"),
                *alpha_ws)

    # IT opens the hub's network: both projects show it at once.
    it.ok("ml", "workspace", "update", "-n", "team-hub", "-g", "rg-hub", "--public-network-access", "Enabled")
    for name in ("proj-alpha", "proj-beta"):
        assert dev.ok("ml", "workspace", "show", "-n", name, *projects)["public_network_access"] == "Enabled"
    # The hub cannot go while it has projects; the developer may not delete it at all.
    busy = it.refused("HubHasProjects", "ml", "workspace", "delete", "-n", "team-hub", "-g", "rg-hub", "--yes")
    assert "proj-alpha" in busy and "proj-beta" in busy
    # A soft-deleted project can be recovered, so it keeps its hub until it is purged.
    dev.ok("ml", "workspace", "delete", "-n", "proj-alpha", *projects, "--yes", "--permanently-delete")
    dev.ok("ml", "workspace", "delete", "-n", "proj-beta", *projects, "--yes")
    busy = it.refused("HubHasProjects", "ml", "workspace", "delete", "-n", "team-hub", "-g", "rg-hub", "--yes")
    assert "proj-beta (soft-deleted)" in busy and "proj-alpha" not in busy
    assert "amlite ml workspace delete -n proj-beta -g rg-projects --permanently-delete" in busy
    dev.ok("ml", "workspace", "delete", "-n", "proj-beta", *projects, "--yes", "--permanently-delete")
    it.ok("ml", "workspace", "delete", "-n", "team-hub", "-g", "rg-hub", "--yes")


def test_seed_004_both_projects_use_one_shared_connection(server: ServerProcess, tmp_path: Path) -> None:
    """The seed's "both use one shared connection": a connection IT creates on the hub is listed and
    usable in both projects, marked as the hub's, and neither project can change it."""
    it, dev, _dev_id, hub = _setup(server, tmp_path)
    projects = ["-g", "rg-projects"]
    for name in ("proj-alpha", "proj-beta"):
        dev.ok("ml", "workspace", "create", "--kind", "project", "--hub-id", hub["id"], "-n", name, *projects)
    (tmp_path / "conn.yml").write_text("name: team-git\ntype: git\ntarget: https://github.com/contoso/team\n"
                                       "credentials:\n  type: pat\n  pat: team-token-1\n")
    it.ok("ml", "connection", "create", "--file", str(tmp_path / "conn.yml"), "-w", "team-hub", "-g", "rg-hub")
    for name in ("proj-alpha", "proj-beta"):
        listed = dev.ok("ml", "connection", "list", "-w", name, *projects)
        shared = [c for c in listed if c["name"] == "team-git"]
        assert len(shared) == 1 and shared[0]["shared_from"].lower() == hub["id"].lower(), listed
        assert "team-token-1" not in json.dumps(listed)
        dev.refused("ConnectionSharedFromHub", "ml", "connection", "delete", "-n", "team-git", "--yes",
                    "-w", name, *projects)
