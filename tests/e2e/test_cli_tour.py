"""The README tour as a user types it, against a real server process."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # fixtures come from conftest.py; imported here for the annotations only
    from conftest import Cli, ServerProcess

pytestmark = pytest.mark.e2e


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stderr + result.stdout


def test_readme_tour(cli: Cli, amlite_server: ServerProcess) -> None:
    creds = amlite_server.credentials
    sub = creds["subscriptionId"]

    login = cli("login", "--credentials-file", str(amlite_server.credentials_file))
    assert login.returncode == 0, login.stderr
    subscriptions = json.loads(login.stdout)
    default = [s for s in subscriptions if s["isDefault"]]
    assert [s["id"] for s in default] == [sub]
    assert default[0]["user"] == {"name": creds["username"], "type": "user"}

    account = cli.json("account", "show")
    assert account["id"] == sub and account["tenantId"] == creds["tenantId"]

    group = cli.json("group", "create", "-g", "rg1", "-l", "eastus")
    assert group["name"] == "rg1" and group["location"] == "eastus"
    assert group["properties"]["provisioningState"] == "Succeeded"
    assert group["id"] == f"/subscriptions/{sub}/resourceGroups/rg1"

    assert cli("group", "exists", "-g", "rg1").stdout.strip() == "true"
    assert cli("group", "exists", "-g", "no-such-group").stdout.strip() == "false"

    created = cli.json("ml", "workspace", "create", "-n", "ws1", "-g", "rg1")
    assert created["name"] == "ws1" and created["location"] == "eastus"

    ws = cli.json("ml", "workspace", "show", "-n", "ws1", "-g", "rg1")  # azure-ai-ml's dict, as az ml prints
    rg_id = f"/subscriptions/{sub}/resourceGroups/rg1"
    assert ws["id"] == f"{rg_id}/providers/Microsoft.MachineLearningServices/workspaces/ws1"
    assert ws["resource_group"] == ws["resourceGroup"] == "rg1" and ws["display_name"] == "ws1"
    assert ws["storage_account"].startswith(f"{rg_id}/providers/Microsoft.Storage/storageAccounts/")
    assert ws["key_vault"].startswith(f"{rg_id}/providers/Microsoft.KeyVault/vaults/")
    assert ws["container_registry"].startswith(f"{rg_id}/providers/Microsoft.ContainerRegistry/registries/")
    assert ws["application_insights"].startswith(f"{rg_id}/providers/Microsoft.Insights/components/")
    assert ws["discovery_url"] == f"{amlite_server.endpoint}/discovery"
    assert ws["mlflow_tracking_uri"].startswith(f"{amlite_server.endpoint}/mlflow/v1.0/subscriptions/{sub}/")
    assert ws["identity"]["type"] == "system_assigned" and ws["identity"]["principal_id"]

    table = cli("ml", "workspace", "list", "-g", "rg1", "-o", "table")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["Name", "ResourceGroup", "Location", "DisplayName"]
    assert ["ws1", "rg1", "eastus", "ws1"] in [line.split() for line in lines[2:]]

    queried = cli("ml", "workspace", "show", "-n", "ws1", "-g", "rg1",
                  "--query", "storage_account", "-o", "tsv")
    assert queried.stdout.strip() == ws["storage_account"]
    names = cli.json("ml", "workspace", "list", "-g", "rg1", "--query", "[].name")
    assert names == ["ws1"]

    updated = cli.json("ml", "workspace", "update", "-n", "ws1", "-g", "rg1",
                       "--description", "My first workspace", "--tags", "team=ml", "env=dev")
    assert updated["description"] == "My first workspace"
    assert updated["tags"] == {"team": "ml", "env": "dev"}
    again = cli.json("ml", "workspace", "show", "-n", "ws1", "-g", "rg1")
    assert again["description"] == "My first workspace"
    assert again["discovery_url"] == ws["discovery_url"] and again["identity"] == ws["identity"]

    deleted = cli("ml", "workspace", "delete", "-n", "ws1", "-g", "rg1", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    gone = cli("ml", "workspace", "show", "-n", "ws1", "-g", "rg1")
    assert gone.returncode == 3
    assert gone.stderr.startswith("(ResourceNotFound) ")
    assert "'Microsoft.MachineLearningServices/workspaces/ws1'" in gone.stderr
    _no_traceback(gone)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("ml", "workspace", "create", "-n", "bad name!", "-g", "{rg}"), "InvalidWorkspaceName"),
        (("ml", "workspace", "create", "-n", "x", "-g", "{rg}"), "InvalidWorkspaceName"),
        (("ml", "workspace", "create", "-n", "wsmars", "-g", "{rg}", "-l", "mars"), "InvalidLocation"),
        (("group", "create", "-g", "{rg}x", "-l", "mars"), "InvalidLocation"),
        (("group", "create", "-g", "bad/group", "-l", "eastus"), None),
        (("ml", "workspace", "create", "-n", "wsnogroup", "-g", "no-such-group"), "ResourceGroupNotFound"),
        (("ml", "workspace", "update", "-n", "nope", "-g", "{rg}", "--description", "x"), "ResourceNotFound"),
    ],
)
def test_bad_inputs_give_codes_and_nonzero_exit(logged_in: Cli, args: tuple[str, ...], code: str | None) -> None:
    rg = _unique("rgbad")
    logged_in.json("group", "create", "-g", rg, "-l", "eastus")
    result = logged_in(*[a.replace("{rg}", rg) for a in args])
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    first = result.stderr.splitlines()[0]
    assert first.startswith("(")
    if code:
        assert first.startswith(f"({code}) "), first
    _no_traceback(result)


def test_show_missing_group_exits_3(logged_in: Cli) -> None:
    result = logged_in("group", "show", "-g", "does-not-exist")
    assert result.returncode == 3
    assert result.stderr.strip() == "(ResourceGroupNotFound) Resource group 'does-not-exist' could not be found."
    assert result.stdout == ""


def test_no_wait_delete_then_poll(logged_in: Cli) -> None:
    rg, ws = _unique("rgnw"), _unique("wsnw")
    logged_in.json("group", "create", "-g", rg, "-l", "westus")
    logged_in.json("ml", "workspace", "create", "-n", ws, "-g", rg)

    started = time.monotonic()
    result = logged_in("ml", "workspace", "delete", "-n", ws, "-g", rg, "--yes", "--no-wait")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    states: list[str] = []
    deadline = started + 60
    while True:
        show = logged_in("ml", "workspace", "show", "-n", ws, "-g", rg)
        if show.returncode == 3:
            assert "(ResourceNotFound)" in show.stderr
            break
        assert show.returncode == 0, show.stderr
        states.append(json.loads(show.stdout)["name"])
        assert time.monotonic() < deadline, f"workspace still there: {states}"
        time.sleep(0.5)
    assert set(states) <= {ws}

    # A group that still holds a workspace is refused, then force-deleted without waiting.
    ws2 = _unique("ws")
    logged_in.json("ml", "workspace", "create", "-n", ws2, "-g", rg)
    refused = logged_in("group", "delete", "-g", rg, "--yes")
    assert refused.returncode == 1 and refused.stderr.startswith("(ResourceGroupNotEmpty) ")
    forced = logged_in("group", "delete", "-g", rg, "--yes", "--no-wait",
                       "--force-deletion-types", "Microsoft.MachineLearningServices/workspaces")
    assert forced.returncode == 0, forced.stderr
    deadline = time.monotonic() + 60
    while logged_in("group", "exists", "-g", rg).stdout.strip() != "false":
        assert time.monotonic() < deadline, "group was not deleted"
        time.sleep(0.5)
    assert logged_in("ml", "workspace", "show", "-n", ws2, "-g", rg).returncode == 3


def test_delete_without_tty_or_yes_is_refused(logged_in: Cli) -> None:
    rg = _unique("rgtty")
    logged_in.json("group", "create", "-g", rg, "-l", "eastus")
    result = logged_in("group", "delete", "-g", rg)
    assert result.returncode == 1
    assert "(NoTTY)" in result.stderr and "--yes" in result.stderr
    assert logged_in("group", "exists", "-g", rg).stdout.strip() == "true"


def test_defaults_and_config_json(logged_in: Cli, amlite_server: ServerProcess) -> None:
    rg, ws = _unique("rgdef"), _unique("wsdef")
    logged_in.json("group", "create", "-g", rg, "-l", "eastus", "--tags", "owner=me", "cost=1")
    assert logged_in.json("group", "show", "-g", rg)["tags"] == {"owner": "me", "cost": "1"}
    assert logged_in("configure", "--defaults", f"group={rg}", f"workspace={ws}").returncode == 0
    created = logged_in.json("ml", "workspace", "create", "--display-name", "Defaults")
    assert created["name"] == ws and created["display_name"] == "Defaults"
    shown = logged_in.json("ml", "workspace", "show")
    assert shown["id"] == created["id"]

    logged_in("configure", "--defaults", "group=", "workspace=")
    project = logged_in.cwd / "project"
    nested = project / "src" / "deep"
    nested.mkdir(parents=True)
    wrote = logged_in("ml", "workspace", "show", "-n", ws, "-g", rg, "--write-config", str(project))
    assert wrote.returncode == 0, wrote.stderr
    config = json.loads((project / "config.json").read_text())
    assert config == {"subscription_id": amlite_server.credentials["subscriptionId"],
                      "resource_group": rg, "workspace_name": ws}
    # The CLI follows the nearest config.json, as MLClient.from_config() does, before the defaults.
    beside = logged_in("ml", "workspace", "show", "--query", "name", "-o", "tsv", cwd=nested)
    assert beside.returncode == 0 and beside.stdout.strip() == ws, beside.stderr
    logged_in("configure", "--defaults", f"group={rg}", f"workspace={ws}")
    (project / "config.json").write_text(json.dumps({**config, "workspace_name": "elsewhere"}))
    followed = logged_in("ml", "workspace", "show", "--query", "name", "-o", "tsv", cwd=nested)
    assert followed.returncode == 3 and "elsewhere" in followed.stderr, followed.stderr
    (project / "config.json").unlink()
    from_defaults = logged_in("ml", "workspace", "show", "--query", "name", "-o", "tsv", cwd=nested)
    assert from_defaults.stdout.strip() == ws, from_defaults.stderr
    logged_in("configure", "--defaults", "group=", "workspace=")

    updated = logged_in.json("group", "update", "-g", rg, "--set", "tags.stage=prod", "--remove", "tags.cost")
    assert updated["tags"] == {"owner": "me", "stage": "prod"}
    assert rg in logged_in.json("group", "list", "--tag", "stage=prod", "--query", "[].name")


def test_output_formats(logged_in: Cli) -> None:
    rg = _unique("rgout")
    logged_in.json("group", "create", "-g", rg, "-l", "eastus")
    table = logged_in("group", "show", "-g", rg, "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "Location", "Status"]
    assert table[2].split() == [rg, "eastus", "Succeeded"]
    tsv = logged_in("group", "show", "-g", rg, "--query", "{n: name, l: location}", "-o", "tsv").stdout
    assert tsv.strip() == f"{rg}\teastus"
    lines = logged_in("group", "show", "-g", rg, "--query", "[name, location]", "-o", "tsv").stdout
    assert lines.splitlines() == [rg, "eastus"]
    yaml_out = logged_in("group", "show", "-g", rg, "-o", "yaml").stdout
    assert f"name: {rg}" in yaml_out
    assert logged_in("group", "show", "-g", rg, "-o", "none").stdout == ""
    locations = logged_in("account", "list-locations", "-o", "table").stdout.splitlines()
    assert locations[0].split() == ["DisplayName", "Name", "RegionalDisplayName"]
    assert any(line.split()[-3:] == ["(US)", "East", "US"] and "eastus" in line.split() for line in locations[2:])
    providers = logged_in.json("provider", "show", "-n", "microsoft.machinelearningservices")
    assert providers["namespace"] == "Microsoft.MachineLearningServices"


def test_login_failures(cli: Cli, amlite_server: ServerProcess) -> None:
    creds = amlite_server.credentials
    wrong = cli("login", "--endpoint", amlite_server.endpoint, "-u", creds["username"],
                "-p", "not-the-password", "--tenant", creds["tenantId"])
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("(invalid_grant) ") or wrong.stderr.startswith("(invalid_client) ")
    _no_traceback(wrong)

    nobody = cli("group", "list")
    assert nobody.returncode == 1
    assert nobody.stderr.strip() == "(NotLoggedIn) Please run 'amlite login' to set up an account."

    refused = cli("login", "--endpoint", "http://127.0.0.1:9", "-u", "a", "-p", "b", "--tenant", "t")
    assert refused.returncode == 1
    assert refused.stderr.startswith("(ServiceRequestError) Cannot connect to the amlite server at http://127.0.0.1:9")
    _no_traceback(refused)


def test_account_alias_and_subscription_switch(logged_in: Cli, amlite_server: ServerProcess) -> None:
    name = _unique("Team ")
    alias = logged_in.json("account", "alias", "create", "--name", _unique("alias"),
                           "--display-name", name, "--workload", "Production")
    new_sub = alias["properties"]["subscriptionId"]
    assert alias["properties"]["provisioningState"] == "Succeeded"
    # The new subscription is in the profile; select it by display name, any case.
    assert logged_in("account", "set", "-s", name.upper()).returncode == 0
    assert logged_in.json("account", "show")["id"] == new_sub
    # Only the base providers are registered in a new subscription.
    rg = _unique("rgsub")
    logged_in.json("group", "create", "-g", rg, "-l", "eastus")
    blocked = logged_in("ml", "workspace", "create", "-n", "wsblocked", "-g", rg)
    assert blocked.returncode == 1 and blocked.stderr.startswith("(MissingSubscriptionRegistration) ")
    assert logged_in("provider", "register", "-n", "Microsoft.MachineLearningServices").returncode == 0
    created = logged_in.json("ml", "workspace", "create", "-n", "wsok", "-g", rg)
    assert created["id"].startswith(f"/subscriptions/{new_sub}/")
    default_sub = amlite_server.credentials["subscriptionId"]
    other = logged_in("group", "exists", "-g", rg, "--subscription", default_sub)
    assert other.stdout.strip() == "false"
    token = logged_in.json("account", "get-access-token")
    assert token["tokenType"] == "Bearer" and token["subscription"] == new_sub
    assert token["accessToken"].count(".") == 2  # a JWT
