"""CLI commands end to end in process, against a small fake ARM server behind httpx.MockTransport.

The fake implements just enough of docs/api.md (token, subscriptions, locations, groups,
workspaces, one long-running delete) to check what the CLI does with answers: output, exit codes,
error lines, defaults and config.json. The real server is exercised in tests/e2e.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from typer.testing import CliRunner

from amlite.cli.args import expand_argv
from amlite.cli.main import app

BASE = "http://127.0.0.1:9"
TENANT = "11111111-1111-1111-1111-111111111111"
SUB1 = "22222222-2222-2222-2222-222222222222"
SUB2 = "33333333-3333-3333-3333-333333333333"


def _err(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


class FakeArm:
    """In-memory groups and workspaces keyed by lower-cased name, as the server matches them."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        method = request.method
        if path.endswith("/oauth2/v2.0/token"):
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            if form.get("password") == "wrong":
                return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Wrong password."})
            return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3600,
                                             "access_token": "at", "refresh_token": "rt"})
        assert request.headers["Authorization"] == "Bearer at"
        parts = [p for p in path.split("/") if p]
        low = [p.lower() for p in parts]
        if low == ["subscriptions"]:
            return httpx.Response(200, json={"value": [
                {"id": f"/subscriptions/{SUB1}", "subscriptionId": SUB1, "tenantId": TENANT,
                 "displayName": "Default Subscription", "state": "Enabled"},
                {"id": f"/subscriptions/{SUB2}", "subscriptionId": SUB2, "tenantId": TENANT,
                 "displayName": "Second", "state": "Enabled"}]})
        if low[2:] == ["locations"]:
            return httpx.Response(200, json={"value": [
                {"name": "eastus", "displayName": "East US", "regionalDisplayName": "(US) East US"}]})
        if "operationstatuses" in low:
            return httpx.Response(200, json={"status": "Succeeded"})
        if len(low) >= 4 and low[2] == "resourcegroups":
            return self._group(method, parts, request)
        return _err(404, "NotFound", f"no route {method} {path}")

    def _group(self, method: str, parts: list[str], request: httpx.Request) -> httpx.Response:
        sub, name = parts[1], parts[3]
        key = name.lower()
        if len(parts) > 4:
            return self._workspace(method, parts, request)
        group = self.groups.get(key)
        if method == "PUT":
            body = json.loads(request.content)
            created = group is None
            group = {"id": f"/subscriptions/{sub}/resourceGroups/{name}", "name": name,
                     "type": "Microsoft.Resources/resourceGroups", "location": body["location"],
                     "tags": body.get("tags") or {}, "properties": {"provisioningState": "Succeeded"}}
            self.groups[key] = group
            return httpx.Response(201 if created else 200, json=group)
        if group is None:
            if method == "HEAD":
                return httpx.Response(404)
            return _err(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        if method == "HEAD":
            return httpx.Response(204)
        if method == "GET":
            return httpx.Response(200, json=group)
        if method == "PATCH":
            group["tags"] = json.loads(request.content).get("tags", group["tags"])
            return httpx.Response(200, json=group)
        if method == "DELETE":
            del self.groups[key]
            return httpx.Response(202, headers={
                "Azure-AsyncOperation": f"{BASE}/subscriptions/{sub}/providers/Microsoft.Resources/locations/eastus/operationStatuses/op1?api-version=2024-03-01",
                "Retry-After": "0"})
        return _err(405, "MethodNotAllowed", method)

    def _workspace(self, method: str, parts: list[str], request: httpx.Request) -> httpx.Response:
        sub, rg = parts[1], parts[3]
        if rg.lower() not in self.groups:
            return _err(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if len(parts) == 7:  # list in group
            return httpx.Response(200, json={"value": [
                w for w in self.workspaces.values() if f"/resourceGroups/{rg}/".lower() in w["id"].lower()]})
        name = parts[7]
        key = f"{rg}/{name}".lower()
        ws = self.workspaces.get(key)
        if method == "PUT":
            body = json.loads(request.content)
            ws = {"id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}",
                  "name": name, "type": "Microsoft.MachineLearningServices/workspaces",
                  "location": body["location"], "tags": body.get("tags") or {},
                  "properties": {"workspaceId": str(uuid.uuid4()), "provisioningState": "Succeeded",
                                 "description": body["properties"].get("description"),
                                 "friendlyName": body["properties"].get("friendlyName", name)}}
            self.workspaces[key] = ws
            return httpx.Response(201, json=ws)
        if ws is None:
            return _err(404, "ResourceNotFound",
                        f"The Resource 'Microsoft.MachineLearningServices/workspaces/{name}' under resource group '{rg}' was not found.")
        if method == "GET":
            return httpx.Response(200, json=ws)
        if method == "PATCH":
            body = json.loads(request.content)
            ws["properties"].update({"description": body.get("properties", {}).get("description",
                                                                                    ws["properties"]["description"])})
            return httpx.Response(200, json=ws)
        if method == "DELETE":
            del self.workspaces[key]
            return httpx.Response(202, headers={
                "Azure-AsyncOperation": f"{BASE}/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/eastus/operationStatuses/op2?api-version=2024-10-01",
                "Retry-After": "0"})
        return _err(405, "MethodNotAllowed", method)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeArm:
    """Route every httpx.Client the SDK makes to the fake; a fresh profile dir and cwd per test."""
    arm = FakeArm()
    transport = httpx.MockTransport(arm)
    real_client = httpx.Client

    class RoutedClient(real_client):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["transport"] = transport
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", RoutedClient)
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path / "profile"))
    monkeypatch.delenv("AMLITE_ENDPOINT", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    # The fake answers Retry-After: 0, which means "use the default interval": make it short.
    from amlite.sdk.polling import LROPoller

    monkeypatch.setitem(LROPoller.__init__.__kwdefaults__, "polling_interval", 0.01)
    return arm


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, expand_argv(list(args)), input=input)


def login(tmp_path: Path) -> Any:
    creds = tmp_path / "admin-credentials.json"
    creds.write_text(json.dumps({"endpoint": BASE, "tenantId": TENANT, "subscriptionId": SUB2,
                                 "username": "admin@amlite.local", "password": "pw"}))
    result = run("login", "--credentials-file", str(creds))
    assert result.exit_code == 0, result.stderr
    return result


def test_login_lists_subscriptions_and_stores_a_private_profile(fake: FakeArm, tmp_path: Path) -> None:
    result = login(tmp_path)
    subs = json.loads(result.stdout)
    assert [s["id"] for s in subs] == [SUB1, SUB2]
    assert [s["isDefault"] for s in subs] == [False, True]  # the credentials file's subscription
    assert subs[0]["user"] == {"name": "admin@amlite.local", "type": "user"}
    profile_dir = tmp_path / "profile"
    for name in ("profile.json", "tokens.json"):
        assert stat.S_IMODE(os.stat(profile_dir / name).st_mode) == 0o600
    tokens = json.loads((profile_dir / "tokens.json").read_text())
    assert tokens["refreshToken"] == "rt" and tokens["accessToken"] == "at"
    assert "pw" not in (profile_dir / "profile.json").read_text() + json.dumps(tokens)


def test_login_bad_password(fake: FakeArm) -> None:
    result = run("login", "--endpoint", BASE, "-u", "admin", "-p", "wrong", "--tenant", TENANT)
    assert result.exit_code == 1
    assert result.stderr.strip() == "(invalid_grant) Wrong password."


def test_account_show_set_and_list(fake: FakeArm, tmp_path: Path) -> None:
    login(tmp_path)
    assert json.loads(run("account", "show").stdout)["id"] == SUB2
    assert run("account", "set", "-s", "default subscription").exit_code == 0  # name, any case
    assert json.loads(run("account", "show").stdout)["name"] == "Default Subscription"
    assert run("account", "show", "-s", SUB2, "--query", "name", "-o", "tsv").stdout.strip() == "Second"
    table = run("account", "list", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "CloudName", "SubscriptionId", "TenantId", "State", "IsDefault"]
    missing = run("account", "set", "-s", "nope")
    assert missing.exit_code == 1 and missing.stderr.startswith("(SubscriptionNotFound)")


def test_list_locations_table(fake: FakeArm, tmp_path: Path) -> None:
    login(tmp_path)
    lines = run("account", "list-locations", "-o", "table").stdout.splitlines()
    assert lines[0].split() == ["DisplayName", "Name", "RegionalDisplayName"]
    assert lines[2].startswith("East US") and "eastus" in lines[2]


def test_not_logged_in(fake: FakeArm) -> None:
    result = run("group", "list")
    assert result.exit_code == 1
    assert result.stderr.strip() == "(NotLoggedIn) Please run 'amlite login' to set up an account."


def test_group_lifecycle_and_exit_codes(fake: FakeArm, tmp_path: Path) -> None:
    login(tmp_path)
    created = run("group", "create", "-g", "rg1", "-l", "eastus", "--tags", "team=a", "env=dev")
    assert created.exit_code == 0, created.stderr
    assert json.loads(created.stdout)["tags"] == {"team": "a", "env": "dev"}
    assert run("group", "exists", "-g", "rg1").stdout.strip() == "true"
    assert run("group", "exists", "-g", "nope").stdout.strip() == "false"
    updated = run("group", "update", "-g", "rg1", "--set", "tags.owner=me", "--remove", "tags.env")
    assert json.loads(updated.stdout)["tags"] == {"team": "a", "owner": "me"}
    missing = run("group", "show", "-g", "nope")
    assert missing.exit_code == 3
    assert missing.stderr.strip() == "(ResourceGroupNotFound) Resource group 'nope' could not be found."
    assert "Traceback" not in missing.stderr + missing.stdout
    refused = run("group", "delete", "-g", "rg1")  # no TTY under CliRunner, no --yes
    assert refused.exit_code == 1 and "(NoTTY)" in refused.stderr and "--yes" in refused.stderr
    assert "rg1" in fake.groups
    assert run("group", "delete", "-g", "rg1", "--yes").exit_code == 0
    assert "rg1" not in fake.groups
    assert fake.requests[-1].url.path.endswith("/operationStatuses/op1")  # it waited


def test_workspace_commands_with_defaults_and_config_json(fake: FakeArm, tmp_path: Path) -> None:
    login(tmp_path)
    run("group", "create", "-g", "rg1", "-l", "eastus")
    created = run("ml", "workspace", "create", "-n", "ws1", "-g", "rg1", "--description", "first")
    assert created.exit_code == 0, created.stderr
    body = json.loads(created.stdout)
    assert body["location"] == "eastus"  # the group's location
    assert body["properties"]["description"] == "first"
    puts = [r for r in fake.requests if r.method == "PUT" and "workspaces" in r.url.path]
    assert puts[0].url.params["api-version"] == "2024-10-01"

    table = run("ml", "workspace", "list", "-g", "rg1", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["Name", "ResourceGroup", "Location", "ProvisioningState"]
    assert table[2].split() == ["ws1", "rg1", "eastus", "Succeeded"]

    # No -g/-n: nothing configured yet is a usage error (exit 2).
    bare = run("ml", "workspace", "show")
    assert bare.exit_code == 2 and "(MissingArgument)" in bare.stderr

    assert run("configure", "--defaults", "group=rg1", "workspace=ws1").exit_code == 0
    shown = run("ml", "workspace", "show", "--query", "properties.description", "-o", "tsv")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.strip() == "first"

    run("configure", "--defaults", "group=", "workspace=")
    wrote = run("ml", "workspace", "show", "-n", "ws1", "-g", "rg1", "--write-config")
    assert wrote.exit_code == 0, wrote.stderr
    config = json.loads(Path("config.json").read_text())
    assert config == {"subscription_id": SUB2, "resource_group": "rg1", "workspace_name": "ws1"}
    (Path("sub") / "dir").mkdir(parents=True)
    os.chdir("sub/dir")
    from_file = run("ml", "workspace", "update", "--description", "second")
    assert from_file.exit_code == 0, from_file.stderr
    assert json.loads(from_file.stdout)["properties"]["description"] == "second"

    deleted = run("ml", "workspace", "delete", "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    gone = run("ml", "workspace", "show")
    assert gone.exit_code == 3
    assert re.match(r"^\(ResourceNotFound\) The Resource 'Microsoft\.MachineLearningServices/workspaces/ws1'",
                    gone.stderr)


def test_usage_errors_exit_2(fake: FakeArm, tmp_path: Path) -> None:
    login(tmp_path)
    assert run("group", "list", "-o", "xml").exit_code == 2
    assert run("group", "create", "-g", "rg1").exit_code == 2  # missing --location
    bad_query = run("account", "show", "--query", "[?")
    assert bad_query.exit_code == 2 and "(InvalidArgumentValue)" in bad_query.stderr


def test_connection_refused_is_one_clean_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMLITE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "profile.json").write_text(json.dumps({
        "endpoint": "http://127.0.0.1:1", "tenantId": TENANT, "user": {"name": "u", "type": "user"},
        "subscriptions": [{"id": SUB1, "name": "s", "isDefault": True}]}))
    (tmp_path / "tokens.json").write_text(json.dumps({"accessToken": "at", "expiresOn": 2**31, "expiresIn": 3600}))
    result = run("group", "list")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("(ServiceRequestError) Cannot connect to the amlite server at http://127.0.0.1:1")
    debug = run("group", "list", "--debug")
    assert debug.exit_code == 1 and "Traceback" in debug.stderr


def test_logout_forgets_the_login(fake: FakeArm, tmp_path: Path) -> None:
    login(tmp_path)
    assert run("logout").exit_code == 0
    assert not (tmp_path / "profile" / "tokens.json").exists()
    again = run("logout")
    assert again.exit_code == 1 and "(NotLoggedIn)" in again.stderr
