"""Computes through the real ``amlite`` CLI against a real server, as a user types them: create from
YAML and from flags, show/list, stop/start/restart an instance, the quota refusal that creates
nothing, list-sizes/list-usage/list-nodes, and delete."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def test_computes_from_the_cli(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    group = f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-compute", "-g", group)
    ws = ["-w", "ws-compute", "-g", group]

    (tmp_path / "cluster.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n"
        "name: cpu-cluster\ntype: amlcompute\nsize: Standard_F8s_v2\nmin_instances: 0\nmax_instances: 2\n"
        "idle_time_before_scale_down: 180\ntier: dedicated\ndescription: training\n")
    made = cli.json("ml", "compute", "create", "--file", str(tmp_path / "cluster.yml"), *ws)
    assert (made["name"], made["type"], made["size"], made["provisioning_state"]) == (
        "cpu-cluster", "amlcompute", "Standard_F8s_v2", "Succeeded")
    assert (made["min_instances"], made["max_instances"], made["idle_time_before_scale_down"]) == (0, 2, 180)
    assert made["resourceGroup"] == group

    # 16 of the family's vCPUs are reserved (the session server's family limit is 4096): a cluster
    # of 600 F8s_v2 nodes (4800 vCPUs) is refused, and nothing is made
    over = cli("ml", "compute", "create", "-n", "more", "--type", "amlcompute", "--size", "Standard_F8s_v2",
               "--max-instances", "600", *ws)
    assert over.returncode == 1 and over.stderr.startswith("(QuotaExceeded)")
    assert "standardFSv2Family" in over.stderr and "Current usage: 16" in over.stderr
    assert "additional required: 4800" in over.stderr and "limit: 4096" in over.stderr
    assert cli("ml", "compute", "show", "-n", "more", *ws).returncode == 3

    usage = {u["name"]["value"]: u for u in cli.json("ml", "compute", "list-usage", *ws)}
    assert (usage["standardFSv2Family"]["current_value"], usage["standardFSv2Family"]["limit"]) == (16, 4096)
    sizes = {s["name"]: s for s in cli.json("ml", "compute", "list-sizes", *ws)}
    assert (sizes["Standard_DS3_v2"]["family"], sizes["Standard_DS3_v2"]["v_cp_us"]) == ("standardDSv2Family", 4)
    assert cli.json("ml", "compute", "list-nodes", "-n", "cpu-cluster", *ws) == []

    instance = cli.json("ml", "compute", "create", "-n", "ci-dev-1", "--type", "computeinstance",
                        "--size", "Standard_DS3_v2", *ws)
    assert (instance["type"], instance["state"]) == ("computeinstance", "Running")
    assert cli("ml", "compute", "stop", "-n", "ci-dev-1", *ws).returncode == 0
    assert cli.json("ml", "compute", "show", "-n", "ci-dev-1", *ws)["state"] == "Stopped"
    again = cli("ml", "compute", "stop", "-n", "ci-dev-1", *ws)
    assert again.returncode == 1 and again.stderr.startswith("(InvalidComputeState)")
    assert cli("ml", "compute", "start", "-n", "ci-dev-1", *ws).returncode == 0
    assert cli("ml", "compute", "restart", "-n", "ci-dev-1", *ws).returncode == 0
    assert cli.json("ml", "compute", "show", "-n", "ci-dev-1", *ws)["state"] == "Running"
    assert sorted(c["name"] for c in cli.json("ml", "compute", "list", *ws)) == ["ci-dev-1", "cpu-cluster"]
    assert [c["name"] for c in cli.json("ml", "compute", "list", "--type", "computeinstance", *ws)] == ["ci-dev-1"]

    (tmp_path / "ssh.yml").write_text("name: ci-ssh-1\ntype: computeinstance\nsize: Standard_DS3_v2\n"
                                      "ssh_public_access_enabled: true\n")
    refused = cli("ml", "compute", "create", "--file", str(tmp_path / "ssh.yml"), *ws)
    assert refused.returncode == 1 and "ssh_public_access_enabled" in refused.stderr

    for name in ("cpu-cluster", "ci-dev-1"):
        assert cli("ml", "compute", "delete", "-n", name, "--yes", *ws).returncode == 0
    assert cli.json("ml", "compute", "list", *ws) == []
    usage = {u["name"]["value"]: u for u in cli.json("ml", "compute", "list-usage", *ws)}
    assert usage["standardFSv2Family"]["current_value"] == 0
    assert cli("ml", "workspace", "delete", "-n", "ws-compute", "-g", group, "--yes").returncode == 0
