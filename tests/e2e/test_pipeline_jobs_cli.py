"""Pipeline jobs through the real ``amlite`` CLI: steps running command components (a component
file with its code folder, and a component shared into a registry and referenced as
``azureml://registries/...``) run as child jobs in the order their bindings make, the second
reading the first's output; the pipeline's output is the last step's; a failing step fails the
pipeline and skips what depends on it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

CURATED = "azureml://registries/azureml/environments/docker-tools/labels/latest"  # an image, no pip dependencies


def write_project(root: Path, registry: str) -> None:
    (root / "prep_src").mkdir(parents=True)
    (root / "prep_src" / "prep.py").write_text(
        "import sys, pathlib\n"
        "rows = pathlib.Path(sys.argv[1]).read_text().splitlines()\n"
        "pathlib.Path(sys.argv[2], 'clean.csv').write_text('\\n'.join(r.upper() for r in rows))\n"
        "print('prepared', len(rows))\n")
    (root / "prep.yml").write_text(f"""$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: prep
version: 1
type: command
inputs:
  raw: {{type: uri_file}}
outputs:
  clean: {{type: uri_folder}}
code: ./prep_src
command: python prep.py ${{{{inputs.raw}}}} ${{{{outputs.clean}}}}
environment: {CURATED}
""")
    (root / "train_src").mkdir()
    (root / "train_src" / "train.py").write_text(
        "import sys, pathlib\n"
        "rows = pathlib.Path(sys.argv[1], 'clean.csv').read_text().splitlines()\n"
        "pathlib.Path(sys.argv[3], 'model.txt').write_text(f'{len(rows)} rows, lr={sys.argv[2]}')\n"
        "print('trained')\n")
    (root / "train.yml").write_text(f"""name: train
version: 1
type: command
inputs:
  data: {{type: uri_folder}}
  lr: {{type: number, default: 0.1}}
outputs:
  model: {{type: uri_folder}}
code: ./train_src
command: python train.py ${{{{inputs.data}}}} ${{{{inputs.lr}}}} ${{{{outputs.model}}}}
environment: {CURATED}
""")
    (root / "data.csv").write_text("a\nb\nc\n")
    (root / "pipeline.yml").write_text(f"""$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: prep-and-train
experiment_name: pipelines
inputs:
  raw: {{type: uri_file, path: ./data.csv}}
  rate: 0.5
outputs:
  final: {{type: uri_folder}}
jobs:
  prep:
    type: command
    component: ./prep.yml
    inputs: {{raw: "${{{{parent.inputs.raw}}}}"}}
  train:
    type: command
    component: azureml://registries/{registry}/components/train/versions/1
    inputs:
      data: ${{{{parent.jobs.prep.outputs.clean}}}}
      lr: ${{{{parent.inputs.rate}}}}
    outputs:
      model: ${{{{parent.outputs.final}}}}
""")


def wait_status(cli: Cli, name: str, ws: list[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        shown = cli.json("ml", "job", "show", "-n", name, *ws)
        if shown["status"] in ("Completed", "Failed", "Canceled") or time.monotonic() > deadline:
            return shown  # type: ignore[no-any-return]
        time.sleep(0.5)


def test_a_pipeline_runs_its_steps_in_order(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    tag = uuid.uuid4().hex[:6]
    group, registry = f"rg-{tag}", f"reg-{tag}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-pipe", "-g", group)
    ws = ["-w", "ws-pipe", "-g", group]
    write_project(tmp_path, registry)
    (tmp_path / "registry.yml").write_text(f"name: {registry}\nlocation: eastus\nreplication_locations:\n"
                                           "  - location: eastus\n")
    cli.json("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", group)
    cli.json("ml", "component", "create", "--file", str(tmp_path / "train.yml"), *ws)
    cli.json("ml", "component", "share", "-n", "train", "-v", "1", "--registry-name", registry,
             "--share-with-name", "train", "--share-with-version", "1", *ws)

    submitted = cli.json("ml", "job", "create", "--file", str(tmp_path / "pipeline.yml"), *ws)
    assert submitted["type"] == "pipeline" and submitted["jobs"]["prep"]["component"] == "azureml:prep:1"
    done = wait_status(cli, submitted["name"], ws)
    assert done["status"] == "Completed", done
    children = {j["name"]: j for j in cli.json("ml", "job", "list", *ws)}
    prep, train = children[f"{submitted['name']}_prep"], children[f"{submitted['name']}_train"]
    assert prep["status"] == train["status"] == "Completed"
    assert train["properties"]["azureml.pipeline"] == submitted["name"]
    steps = cli.json("ml", "job", "list", "--parent-job-name", submitted["name"], *ws)
    assert sorted(j["name"] for j in steps) == sorted([prep["name"], train["name"]])
    assert train["inputs"]["lr"] == "0.5"

    out = tmp_path / "out"
    assert cli("ml", "job", "download", "-n", submitted["name"], "--output-name", "final", "-p", str(out), *ws).returncode == 0
    assert (out / "named-outputs" / "final" / "model.txt").read_text() == "3 rows, lr=0.5"

    # A step that fails fails the pipeline and skips the step that reads its output.
    (tmp_path / "prep_src" / "prep.py").write_text("raise SystemExit(4)\n")
    (tmp_path / "prep.yml").write_text((tmp_path / "prep.yml").read_text().replace("version: 1", "version: 2"))
    failing = cli.json("ml", "job", "create", "--file", str(tmp_path / "pipeline.yml"), *ws)
    ended = wait_status(cli, failing["name"], ws)
    assert ended["status"] == "Failed" and ended["error"]["code"] == "PipelineStepFailed", ended
    names = {j["name"] for j in cli.json("ml", "job", "list", *ws)}
    assert f"{failing['name']}_prep" in names and f"{failing['name']}_train" not in names
    assert [j["name"] for j in cli.json("ml", "job", "list", "-p", failing["name"], *ws)] == [f"{failing['name']}_prep"]
    assert json.loads(cli("ml", "job", "show", "-n", f"{failing['name']}_prep", *ws).stdout)["status"] == "Failed"
