"""The README's tours (five-minute, assets, registries), run exactly as written against a real
server, so the README cannot promise what amlite does not do."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import start_server
from tests.e2e.readme import README, command_lines, readme_block, user_shell_env


def tour_blocks() -> tuple[list[str], str]:
    return command_lines(readme_block("Five-minute tour")), readme_block("Five-minute tour", "python")


@pytest.mark.e2e
def test_readme_tour_runs_as_written(tmp_path: Path) -> None:
    lines, snippet = tour_blocks()
    assert lines[0] == "source .venv/bin/activate"
    server = start_server(tmp_path / ".amlite")  # the README's default data dir, relative to the shell
    env = user_shell_env(tmp_path)
    try:
        for line in lines[1:]:
            done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=120, stdin=subprocess.DEVNULL)
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            if "--query" in line:
                shown = json.loads(done.stdout)
                assert shown["name"] == "ws-dev" and "/storageAccounts/" in shown["storage"]
            if line.startswith("amlite group exists"):
                assert done.stdout.strip() == "true"
        config = json.loads((tmp_path / "config.json").read_text())
        assert config["workspace_name"] == "ws-dev" and config["resource_group"] == "rg-dev"

        # The SDK snippet, with the placeholder filled in, in a group that exists again.
        sub = config["subscription_id"]
        subprocess.run(["bash", "-c", "amlite group create -g rg-dev -l eastus -o none"], cwd=tmp_path, env=env, check=True)
        code = snippet.replace("<id from 'amlite account show'>", sub)
        ran = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, ran.stderr
        workspace_id, storage = ran.stdout.split()
        assert re.fullmatch(r"[0-9a-f-]{36}", workspace_id) and "storageAccounts/" in storage
    finally:
        server.stop()


def assets_block() -> list[str]:
    return command_lines(readme_block("Assets"))


@pytest.mark.e2e
def test_readme_assets_tour_runs_as_written(tmp_path: Path) -> None:
    """The Assets block, from a copy of the repository's examples/, after the tour's login."""
    shutil.copytree(README.parent / "examples", tmp_path / "examples")
    server = start_server(tmp_path / ".amlite")
    env = user_shell_env(tmp_path)
    login = tour_blocks()[0][1]
    assert login.startswith("amlite login")
    outputs: list[str] = []
    try:
        for line in [login, *assets_block()]:
            done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=120, stdin=subprocess.DEVNULL)
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            outputs.append(done.stdout.strip())
    finally:
        server.stop()
    lines = [login, *assets_block()]
    out = dict(zip(lines, outputs, strict=True))  # the two identical 'show' lines are read by index below
    first_create = next(line for line in lines if line.startswith("amlite ml model create"))
    first = json.loads(out[first_create])
    assert first["version"] == "1" and first["path"].startswith("azureml://") and first["path"].endswith("/sentiment/1/")
    shows = [outputs[i] for i, line in enumerate(lines) if "--label latest" in line]
    assert shows == ["2", "1"]  # the newest, then the newest not archived
    assert next(o for line, o in out.items() if "component create" in line) == "azureml:sentiment-env:1"
    data_uri = next(o for line, o in out.items() if "data create" in line)
    assert data_uri == "azureml://datastores/workspaceblobstore/paths/data/reviews/"
    assert (tmp_path / "downloads/sentiment/model/config.json").read_bytes() == \
        (README.parent / "examples/model/config.json").read_bytes()


def registries_block() -> str:
    return readme_block("Registries")


@pytest.mark.e2e
def test_readme_registries_tour_runs_as_written(tmp_path: Path) -> None:
    """The Registries block as one bash script (it keeps the prod subscription in a variable), from
    a copy of examples/, after the tour's login: dev model shared to a three-region registry, read
    from a prod workspace in another subscription and region, with lineage back to dev."""
    shutil.copytree(README.parent / "examples", tmp_path / "examples")
    server = start_server(tmp_path / ".amlite")
    env = user_shell_env(tmp_path)
    login = tour_blocks()[0][1]
    try:
        subprocess.run(["bash", "-c", login], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", registries_block()], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    finally:
        server.stop()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    lines = done.stdout.splitlines()
    assert lines[:3] == ["eastus", "eastus2", "westus"]  # the registry's regions, primary first
    states = [line.split("\t") for line in lines[3:6]]
    assert [s[0] for s in states] == ["eastus", "eastus2", "westus"] and states[0][1] == "Succeeded"
    assert all(s[1] in {"NotStarted", "InProgress", "Succeeded"} for s in states), states
    assert re.fullmatch(r"/subscriptions/[0-9a-f-]{36}/resourceGroups/rg-ml-dev/providers/Microsoft\."
                        r"MachineLearningServices/workspaces/ws-ml-dev/models/sentiment/versions/1", lines[6]), lines
    assert len(lines) == 7, lines
    served = re.search(r"served from region (\w+)", done.stderr)
    assert served and served.group(1) in {"westus", "eastus"}, done.stderr  # its own region once the copy is ready
    for name in ("config.json", "weights.bin"):  # the prod download restores the dev files byte for byte
        assert (tmp_path / "prod-model/sentiment/model" / name).read_bytes() == \
            (README.parent / "examples/model" / name).read_bytes()
