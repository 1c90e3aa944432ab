"""Access control through the CLI, as a user types it, against a real server process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import run_cli, start_server


@pytest.mark.e2e
def test_a_reader_service_principal_reads_is_refused_a_write_and_the_log_shows_it(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    admin, robot = tmp_path / "admin", tmp_path / "robot"

    def ok(config: Path, *args: str) -> object:
        done = run_cli(*args, config_dir=config, cwd=tmp_path)
        assert done.returncode == 0, f"amlite {' '.join(args)}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    try:
        ok(admin, "login", "--credentials-file", str(server.credentials_file))
        ok(admin, "group", "create", "-g", "rg-ci", "-l", "eastus")
        ok(admin, "ml", "workspace", "create", "-n", "ws-ci", "-g", "rg-ci")
        sp = ok(admin, "ad", "sp", "create-for-rbac", "--name", "ci-bot", "--role", "Reader", "--scopes",
                f"/subscriptions/{server.credentials['subscriptionId']}/resourceGroups/rg-ci")
        assert isinstance(sp, dict) and set(sp) == {"appId", "displayName", "password", "tenant"}
        listed = ok(admin, "role", "assignment", "list", "-g", "rg-ci", "--assignee", sp["appId"])
        assert [a["roleDefinitionName"] for a in listed] == ["Reader"]  # type: ignore[union-attr]

        ok(robot, "login", "--service-principal", "-u", sp["appId"], "-p", sp["password"], "--tenant", sp["tenant"],
           "--endpoint", server.endpoint)
        assert ok(robot, "ml", "workspace", "show", "-n", "ws-ci", "-g", "rg-ci")["name"] == "ws-ci"  # type: ignore[index]
        token = ok(robot, "account", "get-access-token")
        assert token["tenant"] == sp["tenant"]  # type: ignore[index]
        refused = run_cli("ml", "workspace", "create", "-n", "ws-evil", "-g", "rg-ci", config_dir=robot, cwd=tmp_path)
        assert refused.returncode == 1 and "(AuthorizationFailed)" in refused.stderr, refused.stderr
        assert "Microsoft.MachineLearningServices/workspaces/write" in refused.stderr

        events = ok(robot, "monitor", "activity-log", "list", "--resource-group", "rg-ci", "--offset", "1h")
        denied = [e for e in events if e["status"]["value"] == "Failed"]  # type: ignore[union-attr]
        assert denied and denied[0]["operationName"]["value"] == "Microsoft.MachineLearningServices/workspaces/write"
        assert denied[0]["caller"] == sp["appId"] and denied[0]["subStatus"]["value"] == "Forbidden"

        # Deleting the service principal ends its access: its stored secret no longer gets a token.
        ok(admin, "ad", "sp", "delete", "--id", sp["appId"])
        gone = run_cli("ad", "sp", "show", "--id", sp["appId"], config_dir=admin, cwd=tmp_path)
        assert gone.returncode == 3
        again = run_cli("group", "show", "-g", "rg-ci", config_dir=robot, cwd=tmp_path)
        assert again.returncode != 0
    finally:
        server.stop()


@pytest.mark.e2e
def test_users_groups_and_custom_roles_through_the_cli(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    admin = tmp_path / "admin"

    def ok(*args: str) -> object:
        done = run_cli(*args, config_dir=admin, cwd=tmp_path)
        assert done.returncode == 0, f"amlite {' '.join(args)}\n{done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    try:
        ok("login", "--credentials-file", str(server.credentials_file))
        sub = server.credentials["subscriptionId"]
        user = ok("ad", "user", "create", "--display-name", "Ana", "--password", "long-password-1",
                  "--user-principal-name", "ana@amlite.local")
        group = ok("ad", "group", "create", "--display-name", "team", "--mail-nickname", "team")
        ok("ad", "group", "member", "add", "-g", group["id"], "--member-id", user["id"])  # type: ignore[index]
        assert [m["id"] for m in ok("ad", "group", "member", "list", "-g", group["id"])] == [user["id"]]  # type: ignore[index,union-attr]
        definition = tmp_path / "role.json"
        definition.write_text(json.dumps({
            "Name": "Model Reader", "IsCustom": True, "Description": "Reads models.",
            "Actions": ["Microsoft.MachineLearningServices/workspaces/read",
                        "Microsoft.MachineLearningServices/workspaces/models/*/read"],
            "NotActions": [], "DataActions": [], "NotDataActions": [], "AssignableScopes": [f"/subscriptions/{sub}"]}))
        made = ok("role", "definition", "create", "--role-definition", str(definition))
        assert made["roleName"] == "Model Reader" and made["roleType"] == "CustomRole"  # type: ignore[index]
        assert [r["roleName"] for r in ok("role", "definition", "list", "--custom-role-only")] == ["Model Reader"]  # type: ignore[union-attr]
        ok("role", "assignment", "create", "--assignee", group["id"], "--role", "Model Reader")  # type: ignore[index]
        busy = run_cli("role", "definition", "delete", "--name", "Model Reader", config_dir=admin, cwd=tmp_path)
        assert busy.returncode == 1 and "(RoleDefinitionHasAssignments)" in busy.stderr
        ok("role", "assignment", "delete", "--assignee", group["id"], "--role", "Model Reader")  # type: ignore[index]
        ok("role", "definition", "delete", "--name", "Model Reader")
        ok("ad", "group", "member", "remove", "-g", group["id"], "--member-id", user["id"])  # type: ignore[index]
        ok("ad", "user", "delete", "--id", "ana@amlite.local")
        assert run_cli("ad", "user", "show", "--id", "ana@amlite.local", config_dir=admin, cwd=tmp_path).returncode == 3
    finally:
        server.stop()
