"""A tenant admin prepares a destination subscription as seed 000 writes it, and governs it with
policy assignments, through the CLI against a real server process: ``account create``,
``provider register --subscription``, ``group create --subscription``, ``account set -s`` and
``policy assignment create/list/show/delete``, with a refused create that names the assignment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import run_cli, start_server

SEED_PROVIDERS = ("Microsoft.MachineLearningServices", "Microsoft.Storage", "Microsoft.ContainerRegistry",
                  "Microsoft.KeyVault", "Microsoft.Notebooks", "Microsoft.ContainerService")


@pytest.mark.e2e
def test_destination_subscription_and_its_policies_through_the_cli(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    admin = tmp_path / "admin"

    def ok(*args: str) -> Any:
        done = run_cli(*args, config_dir=admin, cwd=tmp_path)
        assert done.returncode == 0, f"amlite {' '.join(args)}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    def fails(code: str, exit_code: int, *args: str) -> str:
        done = run_cli(*args, config_dir=admin, cwd=tmp_path)
        assert done.returncode == exit_code and f"({code})" in done.stderr, (done.returncode, done.stderr)
        return done.stderr

    try:
        ok("login", "--credentials-file", str(server.credentials_file))
        origin = server.credentials["subscriptionId"]
        ok("account", "set", "-s", origin)

        made = ok("account", "create", "--name", "destination-sub")
        assert made["name"] == "destination-sub" and made["id"] != origin and made["isDefault"] is False
        again = ok("account", "create", "--name", "destination-sub")
        assert again["id"] == made["id"]  # the alias answers the same subscription
        assert ok("account", "show")["id"] == origin  # creating one does not change the default

        # A new subscription has nothing a workspace needs, until the admin registers it.
        fails("SubscriptionNotFound", 1, "group", "create", "-g", "x", "-l", "eastus", "--subscription", "no-such-sub")
        for namespace in SEED_PROVIDERS:
            ok("provider", "register", "-n", namespace, "--subscription", "destination-sub")
        states = {p["namespace"]: p["registrationState"]
                  for p in ok("provider", "list", "--subscription", made["id"])}
        assert all(states[ns] == "Registered" for ns in SEED_PROVIDERS)
        assert ok("provider", "show", "-n", "Microsoft.Storage")["registrationState"] == "Registered"  # the origin's

        group = ok("group", "create", "-g", "destination-rg", "-l", "eastus", "--subscription", "destination-sub")
        assert group["id"] == f"/subscriptions/{made['id']}/resourceGroups/destination-rg"

        # Policies: only eastus at the destination group, a cost center tag on its resources.
        scope = group["id"]
        locs = ok("policy", "assignment", "create", "--name", "only-east", "--scope", scope,
                  "--policy", "e56962a6-4747-49cd-b67b-bf8b01975c4c",
                  "--params", '{"listOfAllowedLocations": {"value": ["eastus"]}}')
        assert locs["policyDefinitionId"].endswith("/e56962a6-4747-49cd-b67b-bf8b01975c4c")
        assert locs["scope"] == scope and locs["parameters"] == {"listOfAllowedLocations": {"value": ["eastus"]}}
        params = tmp_path / "tag.json"
        params.write_text(json.dumps({"tagName": {"value": "costCenter"}}))
        ok("policy", "assignment", "create", "-n", "need-cc", "--policy", "Require a tag on resources",
           "-g", "destination-rg", "--subscription", "destination-sub", "--params", f"@{params}")
        listed = ok("policy", "assignment", "list", "--scope", scope)
        assert sorted(a["name"] for a in listed) == ["need-cc", "only-east"]
        assert ok("policy", "assignment", "list", "--scope", f"/subscriptions/{made['id']}") == []
        below = ok("policy", "assignment", "list", "--scope", f"/subscriptions/{made['id']}",
                   "--disable-scope-strict-search")
        assert len(below) == 2
        assert ok("policy", "assignment", "show", "-n", "need-cc", "--scope", scope)["parameters"] == {
            "tagName": {"value": "costCenter"}}

        err = fails("RequestDisallowedByPolicy", 1, "ml", "workspace", "create", "-n", "untagged", "-g", "destination-rg",
                    "--subscription", "destination-sub")
        assert "need-cc" in err
        ok("ml", "workspace", "create", "-n", "tagged", "-g", "destination-rg", "--subscription", "destination-sub",
           "--tags", "costCenter=42")

        fails("MissingPolicyParameter", 1, "policy", "assignment", "create", "-n", "bad", "--scope", scope,
              "--policy", "871b6d14-10aa-478d-b590-94f262ecfa99")
        fails("InvalidArgumentValue", 2, "policy", "assignment", "create", "-n", "bad", "--scope", scope,
              "--policy", "871b6d14-10aa-478d-b590-94f262ecfa99", "--params", "{not json")
        ok("policy", "assignment", "delete", "-n", "need-cc", "--scope", scope)
        missing = run_cli("policy", "assignment", "show", "-n", "need-cc", "--scope", scope, config_dir=admin, cwd=tmp_path)
        assert missing.returncode == 3, missing.stderr
        ok("ml", "workspace", "create", "-n", "untagged", "-g", "destination-rg", "--subscription", "destination-sub")
        names = {d["displayName"] for d in ok("policy", "definition", "list")}
        assert {"Allowed locations", "Require a tag on resources"} <= names

        ok("account", "set", "-s", "destination-sub")
        assert ok("account", "show")["id"] == made["id"]
        assert ok("group", "show", "-g", "destination-rg")["location"] == "eastus"
    finally:
        server.stop()
