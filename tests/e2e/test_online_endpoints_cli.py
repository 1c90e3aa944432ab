"""Online endpoints through the CLI against a real server: deploy a registered model with a
scoring script, invoke it with a request file, split traffic blue/green, see a failing init()
fail its deployment with the log, and kill -9 the server: no scoring process outlives it, and
the deployment serves again after a restart."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.e2e.conftest import Cli, ServerProcess

ONLINE = Path(__file__).resolve().parents[1] / "corpus" / "online"


def _children_of(pid: int) -> list[int]:
    """Every live process whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_endpoint_lifecycle_through_the_cli(cli: Cli, server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server: ServerProcess = server_factory()
    cli.json("login", "--credentials-file", str(server.credentials_file))
    work = tmp_path / "online"
    shutil.copytree(ONLINE, work)
    cli.json("group", "create", "-n", "rg-online", "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-online", "-g", "rg-online")
    scope = ["-g", "rg-online", "-w", "ws-online"]
    model = cli.json("ml", "model", "create", "-n", "doubler", "-v", "1", "--path", str(work / "model"), *scope)
    assert model["version"] == "1"

    endpoint = cli.json("ml", "online-endpoint", "create", "--file", str(work / "endpoint.yml"), *scope)
    assert endpoint["resourceGroup"] == "rg-online" and endpoint["auth_mode"] == "key"
    for colour in ("blue", "green"):
        spec = work / f"{colour}.yml"
        spec.write_text((work / "green.yml").read_text().replace("green", colour)
                        .replace("azureml:my-endpoint-blue-model:1", "azureml:doubler:1"))
        created = cli.json("ml", "online-deployment", "create", "--file", str(spec), *scope,
                           *(["--all-traffic"] if colour == "blue" else []))
        assert created["provisioning_state"] == "Succeeded"
    answer = cli.json("ml", "online-endpoint", "invoke", "-n", "my-endpoint", "--request-file",
                      str(work / "request.json"), *scope)
    assert answer == {"predictions": [2.0, 4.0, 6.0], "deployment": "blue"}
    updated = cli.json("ml", "online-endpoint", "update", "-n", "my-endpoint", "--traffic", "blue=70 green=30", *scope)
    assert updated["traffic"] == {"blue": 70, "green": 30}

    keys = cli.json("ml", "online-endpoint", "get-credentials", "-n", "my-endpoint", *scope)
    uri = updated["scoring_uri"]
    body = (work / "request.json").read_bytes()
    with httpx.Client(timeout=30) as http:
        served = Counter(http.post(uri, content=body, headers={"Authorization": f"Bearer {keys['primaryKey']}"})
                         .json()["deployment"] for _ in range(60))
        assert set(served) == {"blue", "green"}, served
        assert http.post(uri, content=body).status_code == 401
        assert http.post(uri, content=body, headers={"Authorization": "Bearer wrong"}).status_code == 401

    broken = cli("ml", "online-deployment", "create", "--file", str(work / "broken.yml"),
                 "--set", "model=azureml:doubler:1", *scope)
    assert broken.returncode != 0 and "DeploymentFailed" in broken.stderr, broken.stderr
    shown = cli.json("ml", "online-deployment", "show", "-n", "broken", "-e", "my-endpoint", *scope)
    assert shown["provisioning_state"] == "Failed"
    logs = cli("ml", "online-deployment", "get-logs", "-n", "broken", "-e", "my-endpoint", *scope)
    assert logs.returncode == 0 and "the weights file is corrupt" in logs.stdout

    assert server.process is not None
    scorers = _children_of(server.process.pid)
    assert len(scorers) == 2, scorers  # blue and green (broken's process is gone)
    server.kill()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in scorers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in scorers), "a scoring process outlived the server"

    server.start()
    deadline = time.monotonic() + 60
    while True:
        result = cli("ml", "online-endpoint", "invoke", "-n", "my-endpoint", "--request-file",
                     str(work / "request.json"), "--deployment-name", "green", *scope)
        if result.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["deployment"] == "green"
    cli.json("ml", "online-endpoint", "list", *scope)
    assert cli("ml", "online-endpoint", "delete", "-n", "my-endpoint", "--yes", *scope).returncode == 0
    assert cli("ml", "online-endpoint", "show", "-n", "my-endpoint", *scope).returncode == 3
    assert os.path.isdir(server.data_dir)
