"""Seed 003 with real work, through the ``amlite`` CLI only (``az`` replaced by ``amlite``)
against a real server: a command job trains a small scikit-learn model in a dev workspace and logs its metrics
through MLflow; the model is registered from the job's output, shared to a registry, deployed from
the registry in a prod workspace of another resource group, invoked with a request file, and traced
back from the deployment to the job's code, environment, inputs and metrics."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

# A small scikit-learn model (a test dependency: jobs and scoring processes import the server's
# packages behind their environment's).
TRAIN = """import argparse, csv, os, pathlib, pickle
import mlflow
from sklearn.linear_model import LogisticRegression

p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--out")
a = p.parse_args()
rows = [(float(r["x"]), int(r["label"])) for r in csv.DictReader(open(a.data))]
X, y = [[x] for x, _ in rows], [label for _, label in rows]
model = LogisticRegression().fit(X, y)
accuracy = float(model.score(X, y))
mlflow.log_param("rows", len(rows))
mlflow.log_metric("accuracy", accuracy)
pathlib.Path(a.out, "model.pkl").write_bytes(pickle.dumps(model))
print(f"trained: {type(model).__name__} accuracy={accuracy!r}")
"""

SCORE = """import json, os, pickle

model = None


def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.pkl"), "rb") as handle:
        model = pickle.load(handle)


def run(raw_data):
    rows = [[x] for x in json.loads(raw_data)["data"]]
    return {"predictions": [int(p) for p in model.predict(rows)]}
"""


def _project(root: Path) -> Path:
    """The dev team's training folder: code, data, a conda file and the job's YAML."""
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text(TRAIN)
    (root / "data.csv").write_text("x,label\n1,0\n2,0\n3,0\n7,1\n8,1\n9,1\n4,1\n")
    (root / "conda.yml").write_text("name: train\ndependencies:\n  - pip\n  - pip: []\n")
    (root / "job.yml").write_text("""$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
code: ./src
command: python train.py --data ${{inputs.training_data}} --out ${{outputs.model}}
inputs:
  training_data:
    type: uri_file
    path: ./data.csv
outputs:
  model:
    type: uri_folder
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
  conda_file: ./conda.yml
experiment_name: threshold-classifier
""")
    return root / "job.yml"


def _deployment(root: Path, registry: str) -> tuple[Path, Path, Path]:
    """The prod team's endpoint, deployment (the registry's model) and request."""
    (root / "score").mkdir(parents=True)
    (root / "score" / "score.py").write_text(SCORE)
    (root / "endpoint.yml").write_text("name: threshold-ep\nauth_mode: key\n")
    (root / "blue.yml").write_text(f"""$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: threshold-ep
model: azureml://registries/{registry}/models/threshold-model/versions/1
code_configuration:
  code: ./score
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""")
    (root / "request.json").write_text(json.dumps({"data": [0.5, 5.5, 10]}))
    return root / "endpoint.yml", root / "blue.yml", root / "request.json"


def test_train_in_dev_deploy_in_prod_from_a_registry_and_trace_back(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    tag = uuid.uuid4().hex[:6]
    dev_rg, prod_rg, reg_rg, registry = f"dev-{tag}", f"prod-{tag}", f"reg-{tag}", f"mlops-{tag}"
    dev = ["-w", "dev-ws", "-g", dev_rg]
    prod = ["-w", "prod-ws", "-g", prod_rg]
    for group in (dev_rg, prod_rg, reg_rg):
        cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "dev-ws", "-g", dev_rg)

    # Dev: the job trains the model and logs its metrics through MLflow.
    run = cli("ml", "job", "create", "--file", str(_project(tmp_path / "train")), "--stream", *dev)
    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)
    assert job["status"] == "Completed", run.stderr
    trained = re.search(r"trained: LogisticRegression accuracy=([0-9.]+)", run.stderr)
    assert trained is not None, run.stderr
    accuracy = float(trained.group(1))
    assert accuracy >= 6 / 7

    dev_model = cli.json("ml", "model", "create", "-n", "threshold-model", "-v", "1", "--type", "custom_model",
                         "--path", f"azureml://jobs/{job['name']}/outputs/model", *dev)
    assert dev_model["job_name"] == job["name"]

    # Promote: share the dev model to a registry.
    (tmp_path / "registry.yml").write_text(f"name: {registry}\nlocation: eastus\n")
    cli.json("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", reg_rg)
    shared = cli.json("ml", "model", "share", "-n", "threshold-model", "-v", "1", "--registry-name", registry,
                      "--share-with-name", "threshold-model", "--share-with-version", "1", *dev)
    assert shared["job_name"] == job["name"]
    assert shared["lineage"]["source_asset_id"] == dev_model["id"].removeprefix("azureml:")

    # Prod: another resource group deploys the registry's model and scores a request file.
    cli.json("ml", "workspace", "create", "-n", "prod-ws", "-g", prod_rg)
    endpoint_yml, blue_yml, request = _deployment(tmp_path / "deploy", registry)
    cli.json("ml", "online-endpoint", "create", "--file", str(endpoint_yml), *prod)
    deployed = cli.json("ml", "online-deployment", "create", "--file", str(blue_yml), "--all-traffic", *prod)
    assert deployed["provisioning_state"] == "Succeeded"
    answer = cli.json("ml", "online-endpoint", "invoke", "-n", "threshold-ep", "--request-file", str(request), *prod)
    assert answer == {"predictions": [0, 1, 1]}

    # Trace back, as the prod team would: deployment -> registry model -> lineage -> dev model -> job.
    served = cli.json("ml", "online-deployment", "show", "-n", "blue", "-e", "threshold-ep", *prod)
    model_id = served["model"]
    assert model_id.endswith(f"/registries/{registry}/models/threshold-model/versions/1")
    reg_model = cli.json("ml", "model", "show", "-n", "threshold-model", "-v", "1", "--registry-name", registry)
    assert reg_model["id"] == f"azureml:{model_id}"
    lineage = reg_model["lineage"]
    assert lineage["source_job_name"] == reg_model["job_name"] == job["name"]
    source_ws = lineage["source_workspace_id"]
    assert source_ws.endswith(f"/resourceGroups/{dev_rg}/providers/Microsoft.MachineLearningServices/workspaces/dev-ws")
    src_rg, src_ws = source_ws.split("/")[4], source_ws.split("/")[-1]
    source = ["-w", src_ws, "-g", src_rg]
    src_model = cli.json("ml", "model", "show", "-n", lineage["source_asset_id"].split("/")[-3], "-v",
                         lineage["source_asset_id"].split("/")[-1], *source)
    assert src_model["id"] == f"azureml:{lineage['source_asset_id']}" and src_model["job_name"] == job["name"]

    shown = cli("ml", "job", "show", "-n", src_model["job_name"], *source)
    assert shown.returncode == 0, shown.stderr
    traced = json.loads(shown.stdout)
    assert [f["path"] for f in traced["code"]] == ["train.py"]
    assert traced["code"][0]["sha256"] == hashlib.sha256(TRAIN.encode()).hexdigest()
    assert traced["inputs"] == {"training_data": {"type": "uri_file", "path": "./data.csv", "mode": "ro_mount"}}
    assert traced["command"].startswith("python train.py --data ${{inputs.training_data}}")
    env_name, env_version = traced["environment"].removeprefix("azureml:").split(":")
    env = cli.json("ml", "environment", "show", "-n", env_name, "-v", env_version, *source)
    assert env["image"] == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
    assert traced["metrics"] == {"accuracy": accuracy}  # as the job logged them

    # The code snapshot that ran comes back byte for byte with the job's log and outputs.
    out = tmp_path / "traced"
    assert cli("ml", "job", "download", "-n", job["name"], "--all", "-p", str(out), *source).returncode == 0
    assert (out / "code" / "train.py").read_text() == TRAIN
    trained_model = pickle.loads((out / "named-outputs" / "model" / "model.pkl").read_bytes())
    assert [int(p) for p in trained_model.predict([[0.5], [5.5], [10]])] == [0, 1, 1]
