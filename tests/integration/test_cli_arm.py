"""Sign-in, accounts, groups and workspaces through the CLI against the real app
(tests/integration/clients.py): output, exit codes, error lines, defaults and config.json."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from tests.integration.clients import RecordingTransport, app_transport, cli_login, route_cli
from tests.integration.conftest import Api
from tests.unit.test_cli_commands import run

ALIAS_VERSION = "api-version=2021-10-01"


@pytest.fixture
def cli(api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RecordingTransport:
    transport = app_transport(api)
    route_cli(transport, monkeypatch, tmp_path)
    return transport


@pytest.fixture(scope="module")
def second_sub(api: Api) -> str:
    """A second subscription, "Second Subscription", beside the credentials file's one."""
    r = api.request("PUT", "/providers/Microsoft.Subscription/aliases/second", ALIAS_VERSION,
                    json={"properties": {"displayName": "Second Subscription"}})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["properties"]["subscriptionId"])


def test_login_lists_subscriptions_and_stores_a_private_profile(api: Api, second_sub: str, cli: RecordingTransport,
                                                                tmp_path: Path) -> None:
    subs = json.loads(cli_login(api, tmp_path).stdout)
    assert {s["id"] for s in subs} >= {api.sub, second_sub}
    assert [s["id"] for s in subs if s["isDefault"]] == [api.sub]  # the credentials file's subscription
    assert subs[0]["user"] == {"name": api.credentials["username"], "type": "user"}
    profile_dir = tmp_path / "profile"
    for name in ("profile.json", "tokens.json"):
        assert stat.S_IMODE(os.stat(profile_dir / name).st_mode) == 0o600
    tokens = json.loads((profile_dir / "tokens.json").read_text())
    assert tokens["refreshToken"] and tokens["accessToken"]
    assert api.credentials["password"] not in (profile_dir / "profile.json").read_text() + json.dumps(tokens)


def test_login_bad_password(api: Api, cli: RecordingTransport) -> None:
    result = run("login", "--endpoint", api.container.endpoint, "-u", api.credentials["username"], "-p", "wrong",
                 "--tenant", api.tenant)
    assert result.exit_code == 1
    assert result.stderr.strip() == "(invalid_grant) Error validating credentials due to invalid username or password."


def test_account_show_set_and_list(api: Api, second_sub: str, cli: RecordingTransport, tmp_path: Path) -> None:
    cli_login(api, tmp_path)
    assert json.loads(run("account", "show").stdout)["id"] == api.sub
    assert run("account", "set", "-s", "second SUBSCRIPTION").exit_code == 0  # name, any case
    assert json.loads(run("account", "show").stdout)["id"] == second_sub
    assert run("account", "show", "-s", second_sub, "--query", "name", "-o", "tsv").stdout.strip() == "Second Subscription"
    table = run("account", "list", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "CloudName", "SubscriptionId", "TenantId", "State", "IsDefault"]
    missing = run("account", "set", "-s", "nope")
    assert missing.exit_code == 1 and missing.stderr.startswith("(SubscriptionNotFound)")


def test_list_locations_table(api: Api, cli: RecordingTransport, tmp_path: Path) -> None:
    cli_login(api, tmp_path)
    lines = run("account", "list-locations", "-o", "table").stdout.splitlines()
    assert lines[0].split() == ["DisplayName", "Name", "RegionalDisplayName"]
    assert lines[2].startswith("East US") and "eastus" in lines[2]


def test_group_lifecycle_and_exit_codes(api: Api, cli: RecordingTransport, tmp_path: Path, name: str) -> None:
    cli_login(api, tmp_path)
    created = run("group", "create", "-g", name, "-l", "eastus", "--tags", "team=a", "env=dev")
    assert created.exit_code == 0, created.stderr
    assert json.loads(created.stdout)["tags"] == {"team": "a", "env": "dev"}
    assert run("group", "exists", "-g", name).stdout.strip() == "true"
    assert run("group", "exists", "-g", "nope" + name).stdout.strip() == "false"
    updated = run("group", "update", "-g", name, "--set", "tags.owner=me", "--remove", "tags.env")
    assert json.loads(updated.stdout)["tags"] == {"team": "a", "owner": "me"}
    missing = run("group", "show", "-g", "nope" + name)
    assert missing.exit_code == 3
    assert missing.stderr.strip() == f"(ResourceGroupNotFound) Resource group 'nope{name}' could not be found."
    assert "Traceback" not in missing.stderr + missing.stdout
    refused = run("group", "delete", "-g", name)  # no TTY under CliRunner, no --yes
    assert refused.exit_code == 1 and "(NoTTY)" in refused.stderr and "--yes" in refused.stderr
    assert run("group", "exists", "-g", name).stdout.strip() == "true"
    assert run("group", "delete", "-g", name, "--yes").exit_code == 0
    assert "operationstatuses" in cli.requests[-1].url.path.lower()  # it waited
    assert run("group", "exists", "-g", name).stdout.strip() == "false"


def test_workspace_commands_with_defaults_and_config_json(api: Api, cli: RecordingTransport, tmp_path: Path,
                                                          name: str) -> None:
    cli_login(api, tmp_path)
    run("group", "create", "-g", name, "-l", "eastus")
    ws = "ws" + name
    created = run("ml", "workspace", "create", "-n", ws, "-g", name, "--description", "first")
    assert created.exit_code == 0, created.stderr
    body = json.loads(created.stdout)
    assert body["location"] == "eastus"  # the group's location
    assert body["description"] == "first" and body["resource_group"] == name and body["resourceGroup"] == name
    assert body["storage_account"].startswith(f"/subscriptions/{api.sub}/resourceGroups/{name}/providers/Microsoft.Storage/")
    assert body["identity"]["type"] == "system_assigned" and "properties" not in body
    puts = [r for r in cli.requests if r.method == "PUT" and "workspaces" in r.url.path]
    assert puts[0].url.params["api-version"] == "2024-10-01"

    table = run("ml", "workspace", "list", "-g", name, "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "ResourceGroup", "Location", "DisplayName"]
    assert table[2].split() == [ws, name, "eastus", ws]

    # No -g/-n: nothing configured yet is a usage error (exit 2).
    bare = run("ml", "workspace", "show")
    assert bare.exit_code == 2 and "(MissingArgument)" in bare.stderr

    assert run("configure", "--defaults", f"group={name}", f"workspace={ws}").exit_code == 0
    shown = run("ml", "workspace", "show", "--query", "description", "-o", "tsv")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.strip() == "first"
    storage = run("ml", "workspace", "show", "--query", "storage_account", "-o", "tsv").stdout.strip()
    assert storage == body["storage_account"]

    run("configure", "--defaults", "group=", "workspace=")
    wrote = run("ml", "workspace", "show", "-n", ws, "-g", name, "--write-config")
    assert wrote.exit_code == 0, wrote.stderr
    config = json.loads(Path("config.json").read_text())
    assert config == {"subscription_id": api.sub, "resource_group": name, "workspace_name": ws}
    (Path("sub") / "dir").mkdir(parents=True)
    os.chdir("sub/dir")
    # The nearest config.json (here two folders up) names the workspace, as for MLClient.from_config().
    unnamed = run("ml", "workspace", "update", "--description", "second")
    assert unnamed.exit_code == 0, unnamed.stderr
    assert json.loads(unnamed.stdout)["description"] == "second"
    # config.json comes before the configure defaults (a failover rewrites it) ...
    assert run("configure", "--defaults", "group=elsewhere", "workspace=elsewhere").exit_code == 0
    assert run("ml", "workspace", "show", "--query", "name", "-o", "tsv").stdout.strip() == ws
    # ... explicit arguments before both
    other = run("ml", "workspace", "show", "-n", "elsewhere", "-g", name)
    assert other.exit_code == 3, other.stderr
    # .azureml/config.json, nearer, wins over the parents' config.json
    Path(".azureml").mkdir()
    Path(".azureml/config.json").write_text(json.dumps({**config, "workspace_name": "nearer"}))
    nearer = run("ml", "workspace", "show")
    assert nearer.exit_code == 3 and "nearer" in nearer.stderr, nearer.stderr
    # a malformed config.json is an error naming the file, and nothing is sent
    Path(".azureml/config.json").write_text("{not json")
    sent = len(cli.requests)
    broken = run("ml", "workspace", "update", "--description", "third")
    assert broken.exit_code == 1 and "(InvalidConfigFile)" in broken.stderr, broken.stderr
    assert str(Path(".azureml/config.json").resolve()) in broken.stderr
    assert len(cli.requests) == sent
    Path(".azureml/config.json").write_text(json.dumps({**config, "workspace_name": 7}))
    typed = run("ml", "workspace", "show")
    assert typed.exit_code == 1 and "workspace_name" in typed.stderr, typed.stderr
    os.remove(".azureml/config.json")
    assert run("configure", "--defaults", f"group={name}", f"workspace={ws}").exit_code == 0
    os.remove("../../config.json")

    deleted = run("ml", "workspace", "delete", "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    gone = run("ml", "workspace", "show")
    assert gone.exit_code == 3
    assert re.match(rf"^\(ResourceNotFound\) The Resource 'Microsoft\.MachineLearningServices/workspaces/{ws}'",
                    gone.stderr)


def test_usage_errors_exit_2(api: Api, cli: RecordingTransport, tmp_path: Path) -> None:
    cli_login(api, tmp_path)
    cli.requests.clear()
    assert run("group", "list", "-o", "xml").exit_code == 2
    assert run("group", "create", "-g", "rg1").exit_code == 2  # missing --location
    bad_query = run("account", "show", "--query", "[?")
    assert bad_query.exit_code == 2 and "(InvalidArgumentValue)" in bad_query.stderr
    assert cli.requests == []


def test_logout_forgets_the_login(api: Api, cli: RecordingTransport, tmp_path: Path) -> None:
    cli_login(api, tmp_path)
    assert run("logout").exit_code == 0
    assert not (tmp_path / "profile" / "tokens.json").exists()
    again = run("logout")
    assert again.exit_code == 1 and "(NotLoggedIn)" in again.stderr


def test_login_without_tenant_uses_the_servers_only_tenant(api: Api, cli: RecordingTransport) -> None:
    result = run("login", "--endpoint", api.container.endpoint, "-u", api.credentials["username"],
                 "-p", api.credentials["password"])
    assert result.exit_code == 0, result.stderr
    assert {s["tenantId"] for s in json.loads(result.stdout)} == {api.tenant}
    assert json.loads(run("account", "show").stdout)["tenantId"] == api.tenant
    again = run("login", "-u", api.credentials["username"], "-p", api.credentials["password"])  # the last endpoint
    assert again.exit_code == 0, again.stderr


def test_role_definition_from_at_file_and_az_tables(api: Api, cli: RecordingTransport, tmp_path: Path,
                                                    name: str) -> None:
    cli_login(api, tmp_path)
    role = tmp_path / "role.json"
    role.write_text(json.dumps({"Name": f"Reader {name}", "Description": "d", "Actions": ["*/read"],
                                "AssignableScopes": [f"/subscriptions/{api.sub}"]}))
    made = run("role", "definition", "create", "--role-definition", f"@{role}")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["roleName"] == f"Reader {name}"
    table = run("role", "definition", "list", "--name", f"Reader {name}", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "Type", "Description"]
    run("group", "create", "-g", name, "-l", "eastus")
    assigned = run("role", "assignment", "create", "--assignee", api.credentials["username"], "--role", "Reader",
                   "-g", name)
    assert assigned.exit_code == 0, assigned.stderr
    rows = run("role", "assignment", "list", "-g", name, "-o", "table").stdout.splitlines()
    assert rows[0].split() == ["Principal", "Role", "Scope"]
    assert rows[2].split() == [api.credentials["username"], "Reader", f"/subscriptions/{api.sub}/resourceGroups/{name}"]
    log = run("monitor", "activity-log", "list", "-g", name, "-o", "table").stdout.splitlines()
    assert log[0].split()[:4] == ["EventTimestamp", "Caller", "Operation", "Status"]
    assert any("Microsoft.Authorization/roleAssignments/write" in line and "Succeeded" in line for line in log[2:])
