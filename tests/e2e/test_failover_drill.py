"""The failover drill (issue 15, behaviour 4) against real servers through the CLI.

1. A primary in eastus with a hot-hot model and a running job, paired with a secondary in westus;
   ``amlite admin region fail eastus``; ``amlite ml workspace failover --pair``: the job is
   resubmitted to the secondary and completes there with its output, the model is there, the RTO
   is measured (under 10 s), config.json names the secondary and ``MLClient.from_config`` follows;
   a registry's model committed before the outage stays readable and whole; then ``region
   restore``, a model made in the secondary meanwhile, ``failback``: it is copied back and
   config.json names the primary again.
2. kill -9 between a job's resubmission and the switch: the pair is still on its primary and the
   new job exists once; after a restart the failover finishes, with no job submitted twice.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from amlite import AmliteCliCredential, MLClient
from amlite.store import tables as t
from tests.e2e.conftest import Cli, ServerProcess, run_cli
from tests.e2e.test_registry_crash import ML, RES, Http

pytestmark = pytest.mark.e2e

SLEEP = """import pathlib, sys, time
print("started", flush=True)
time.sleep(float(sys.argv[2]))
pathlib.Path(sys.argv[1], "done.txt").write_text("slept\\n")
"""


def _job_yaml(root: Path, secs: float) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "sleep.py").write_text(SLEEP)
    (root / "conda.yml").write_text("name: tiny\ndependencies:\n  - python=3.11\n  - pip\n  - pip: []\n")
    (root / "job.yml").write_text(f"""type: command
code: ./src
command: python sleep.py ${{{{outputs.out}}}} {secs}
outputs:
  out:
    type: uri_folder
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
  conda_file: ./conda.yml
name: sleeper
""")
    return root / "job.yml"


def _wait(what: Any, until: Any, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_failover_drill_and_failback(cli: Cli, server_factory: Any, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    server: ServerProcess = server_factory()
    cli.json("login", "--credentials-file", str(server.credentials_file))
    sub = server.credentials["subscriptionId"]
    rg = f"rg-{uuid.uuid4().hex[:6]}"
    cli.json("group", "create", "-g", rg, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-east", "-g", rg, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-west", "-g", rg, "-l", "westus")
    east, west = ["-w", "ws-east", "-g", rg], ["-w", "ws-west", "-g", rg]
    ids = {n: f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{n}"
           for n in ("ws-east", "ws-west")}
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 1000)
    cli.json("ml", "model", "create", "-n", "m", "-v", "1", "--path", str(weights), *east)
    cli.json("ml", "workspace", "pair", "create", "-n", "drill", "--primary", ids["ws-east"],
             "--secondary", ids["ws-west"], "--mode", "hot-hot")
    job = cli.json("ml", "job", "create", "--file", str(_job_yaml(tmp_path / "proj", 6)), *east)
    assert _wait(lambda: cli.json("ml", "job", "show", "-n", job["name"], *east)["status"],
                 lambda s: s == "Running") == "Running"
    lag = _wait(lambda: {x["kind"]: x for x in cli.json("ml", "workspace", "pair", "show", "-n", "drill")
                         ["properties"]["lag"]},
                lambda lag: lag["models"]["versionsPending"] == 0 and lag["jobs"]["versionsPending"] == 0)
    assert lag["models"]["versionsPending"] == 0 and lag["jobs"]["versionsPending"] == 0, lag
    # A registry asset committed before the outage (primary westus, replica eastus) must not be lost.
    registry = f"drillreg{uuid.uuid4().hex[:6]}"
    (tmp_path / "registry.yml").write_text(f"name: {registry}\nlocation: westus\nreplication_locations:\n"
                                           "  - location: westus\n  - location: eastus\n")
    cli.json("ml", "registry", "create", "--file", str(tmp_path / "registry.yml"), "-g", rg)
    cli.json("ml", "model", "share", "--name", "m", "--version", "1", "--registry-name", registry,
             "--share-with-name", "shared-m", "--share-with-version", "1", *east)
    in_registry = ["ml", "model", "show", "-n", "shared-m", "-v", "1", "--registry-name", registry]
    replicated = _wait(lambda: cli.json(*in_registry),
                       lambda m: all(r["state"] == "Succeeded" for r in m["replication"]))
    assert {r["location"]: r["state"] for r in replicated["replication"]} == {"westus": "Succeeded",
                                                                             "eastus": "Succeeded"}
    project = tmp_path / "project"
    project.mkdir()
    assert cli("ml", "workspace", "show", "-n", "ws-east", "-g", rg, "--write-config", cwd=project).returncode == 0

    cli.json("admin", "region", "fail", "eastus")
    assert cli("ml", "job", "show", "-n", job["name"], *east).returncode != 0  # the region answers 503
    done = cli("ml", "workspace", "failover", "--pair", "drill", cwd=project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "Succeeded" and report["toWorkspaceId"] == ids["ws-west"], report
    assert report["rtoSeconds"] < 10 and report["rtoSinceRegionFailureSeconds"] >= report["rtoSeconds"]
    assert report["notCopied"]["models"] == [] and report["notRecovered"] == []
    [moved] = report["jobs"]
    assert moved == {**moved, "from": job["name"], "to": f"{job['name']}-failover1"}
    assert report["configRewritten"] and json.loads((project / "config.json").read_text())["workspace_name"] == "ws-west"
    monkeypatch.chdir(project)
    ml_client = MLClient.from_config(AmliteCliCredential())
    assert ml_client.workspace_name == "ws-west" and ml_client.workspaces.get().location == "westus"

    ran = _wait(lambda: cli.json("ml", "job", "show", "-n", moved["to"], *west),
                lambda j: j["status"] in ("Completed", "Failed", "Canceled"))
    assert ran["status"] == "Completed", ran
    out = tmp_path / "out"
    assert cli("ml", "job", "download", "-n", moved["to"], "--output-name", "out", "-p", str(out), *west).returncode == 0
    assert [p.read_text() for p in out.rglob("done.txt")] == ["slept\n"]
    assert cli.json("ml", "model", "show", "-n", "m", "-v", "1", *west)["version"] == "1"
    got = tmp_path / "from-registry"  # the registry's committed asset, read during the outage
    assert cli("ml", "model", "download", "-n", "shared-m", "-v", "1", "--registry-name", registry,
               "--download-path", str(got), *west).returncode == 0
    assert [p.read_bytes() for p in got.rglob("weights.bin")] == [weights.read_bytes()]
    shown = cli.json("ml", "workspace", "pair", "show", "-n", "drill")["properties"]
    assert shown["activeSide"] == "secondary" and shown["failovers"][-1]["number"] == 1

    refused = cli("ml", "workspace", "failback", "--pair", "drill", cwd=project)
    assert refused.returncode != 0 and "PrimaryRegionUnavailable" in refused.stderr
    cli.json("ml", "model", "create", "-n", "m", "-v", "2", "--path", str(weights), *west)  # made meanwhile
    cli.json("admin", "region", "restore", "eastus")
    old = cli.json("ml", "job", "show", "-n", job["name"], *east)
    assert old["status"] == "Failed", old  # its reason names the new job (tests/integration/test_pair_failover.py)
    back = cli("ml", "workspace", "failback", "--pair", "drill", cwd=project)
    assert back.returncode == 0, back.stderr
    report = json.loads(back.stdout)
    assert report["status"] == "Succeeded" and [v["version"] for v in report["copiedBack"]] == ["2"], report
    assert cli.json("ml", "model", "show", "-n", "m", "-v", "2", *east)["version"] == "2"
    assert json.loads((project / "config.json").read_text())["workspace_name"] == "ws-east"
    assert cli.json("ml", "workspace", "pair", "show", "-n", "drill")["properties"]["activeSide"] == "primary"
    after = cli.json(*in_registry)  # nothing committed to the registry was lost through the drill
    assert after["id"] == replicated["id"] and {r["state"] for r in after["replication"]} == {"Succeeded"}


def _jobs(store: str) -> dict[str, list[tuple[str, str, str | None]]]:
    engine = sa.create_engine(store)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(t.workspaces.c.name, t.jobs.c.name, t.jobs.c.status, t.jobs.c.error_code)
                                .select_from(t.jobs.join(t.workspaces, t.workspaces.c.key == t.jobs.c.workspace_key)))
            out: dict[str, list[tuple[str, str, str | None]]] = {}
            for ws, name, status, code in rows:
                out.setdefault(ws, []).append((name, status, code))
            return out
    finally:
        engine.dispose()


def _failed_over(store: str) -> bool:
    engine = sa.create_engine(store)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.select(t.workspace_pairs.c.failed_over)).scalar_one())
    finally:
        engine.dispose()


def test_kill_9_between_a_jobs_resubmission_and_the_switch(server_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    server: ServerProcess = server_factory(data, env={"AMLITE_CRASH_AT": "failover.after_resubmit"})
    http = Http(server)
    rg = f"/subscriptions/{http.sub}/resourceGroups/rg-fo"
    assert http.client.put(f"{rg}?{RES}", json={"location": "eastus"}).status_code == 201
    ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces"
    for name, region in (("prim", "eastus"), ("sec", "westus")):
        assert http.client.put(f"{ws}/{name}?{ML}", json={"location": region}).status_code == 200
    pairs = "/providers/Microsoft.MachineLearningServices/workspacePairs/crashpair"
    assert http.client.put(f"{pairs}?{ML}", json={"properties": {
        "primaryWorkspaceId": f"{ws}/prim", "secondaryWorkspaceId": f"{ws}/sec", "mode": "hot-hot"}}).status_code == 201
    cli = Cli(tmp_path / "cfg", tmp_path)
    assert run_cli("login", "--credentials-file", str(server.credentials_file),
                   config_dir=cli.config_dir).returncode == 0
    job = cli.json("ml", "job", "create", "--file", str(_job_yaml(tmp_path / "proj", 3)), "-w", "prim", "-g", "rg-fo")
    assert _wait(lambda: cli.json("ml", "job", "show", "-n", job["name"], "-w", "prim", "-g", "rg-fo")["status"],
                 lambda s: s == "Running") == "Running"
    try:
        http.client.post(f"{pairs}/failover?{ML}")
    except httpx.TransportError:
        pass  # the server died before answering
    assert server.process is not None
    server.process.wait(timeout=60)
    assert server.process.returncode == 137, server.log_tail()
    store = f"sqlite:///{data / 'amlite.db'}"
    jobs = _jobs(store)
    assert not _failed_over(store)  # never half switched
    assert [j[0] for j in jobs["sec"]] == [f"{job['name']}-failover1"]
    server.env.pop("AMLITE_CRASH_AT", None)
    server.process = None
    server.start()
    http = Http(server)
    props = _wait(lambda: http.client.get(f"{pairs}?{ML}").json()["properties"],
                  lambda p: p["activeSide"] == "secondary")
    assert props["activeSide"] == "secondary", props
    [report] = props["failovers"]
    assert [(j["from"], j["to"]) for j in report["jobs"]] == [(job["name"], f"{job['name']}-failover1")]
    jobs = _jobs(store)
    assert [j[0] for j in jobs["sec"]] == [f"{job['name']}-failover1"]  # submitted once
    [(name, status, _code)] = jobs["prim"]
    assert status == "Failed"
    ran = _wait(lambda: http.client.get(f"{ws}/sec/jobs/{job['name']}-failover1?{ML}").json()["properties"]["status"],
                lambda s: s in ("Completed", "Failed", "Canceled"))
    assert ran == "Completed"
