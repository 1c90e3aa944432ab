"""The same command job on the two backends of the job runner, through the real ``amlite`` CLI: a
compute cluster's node (the server's local runner) and a Ray compute (a real local Ray cluster,
started here on loopback, the job submitted through Ray's job API). Both complete with the same
output and the same MLflow metric; cancel stops the Ray job; a server killed with -9 while a Ray
job runs re-attaches to it on restart.

Ray is started once for the module (``ray start --head --block`` in a session of its own), bound to
loopback: every socket of its processes is checked to be on loopback, with a job running and after
jobs ran. Afterwards every one of its processes is ended by pid and the module fails if any is
left. A Ray that does not start fails the module: Ray is a test dependency
(``pip install -e '.[test]'``), never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.e2e.conftest import Cli, ServerProcess, free_port

pytestmark = pytest.mark.e2e

RAY_START_TIMEOUT = 120.0

TRAIN = """import argparse, os, pathlib, time
import mlflow
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--out"); p.add_argument("--secs", type=float, default=0)
p.add_argument("--pidfile", default="")
a = p.parse_args()
if a.pidfile:
    pathlib.Path(a.pidfile).write_text(str(os.getpid()))
print(f"training started as {os.environ['AZUREML_RUN_ID']}", flush=True)
time.sleep(a.secs)
rows = pathlib.Path(a.data).read_text().splitlines()
pathlib.Path(a.out, "model.txt").write_text(f"weights from {len(rows)} rows, alpha {os.environ['ALPHA']}\\n")
mlflow.log_metric("rows", len(rows))
print(f"trained on {len(rows)} rows")
"""


LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
MARK = "AMLITE_TEST_RAY_CLUSTER"  # in the environment of every process the module's Ray starts


@dataclass
class RayCluster:
    """The module's Ray head: its dashboard's address, the ``ray start`` process, and the mark its
    processes inherit."""

    address: str
    gcs_port: int
    dashboard_port: int
    process: subprocess.Popen[bytes]
    mark: str

    def processes(self) -> list[psutil.Process]:
        """Every live process of this Ray: the ``ray start`` tree (its workers and job supervisors
        have process groups and sessions of their own, so a group kill misses them), and any process
        carrying the mark in its environment (a job's command once its supervisor is gone). Ray's
        workers rewrite their title over their environment, hence both."""
        found: dict[int, psutil.Process] = {}
        try:
            root = psutil.Process(self.process.pid)
            for proc in [root, *root.children(recursive=True)]:
                found[proc.pid] = proc
        except psutil.NoSuchProcess:
            pass
        for proc in psutil.process_iter():
            if proc.pid in found:
                continue
            try:
                if proc.environ().get(MARK) == self.mark:
                    found[proc.pid] = proc
            except (psutil.Error, OSError):
                continue  # another user's, or gone
        return [proc for proc in found.values() if _running(proc)]

    def sockets(self) -> list[tuple[str, int, str, str, str]]:
        """(process name, pid, local address, remote address, status) of each inet socket of the
        cluster's processes."""
        rows = []
        for proc in self.processes():
            try:
                name = proc.name()
                for conn in proc.net_connections(kind="inet"):
                    remote = conn.raddr.ip if conn.raddr else ""
                    rows.append((name, proc.pid, f"{conn.laddr.ip}:{conn.laddr.port}", remote, conn.status))
            except psutil.Error:
                continue  # ended while we looked
        return rows

    def assert_on_loopback(self) -> None:
        """Every socket of every Ray process is bound to loopback, and talks to loopback only; the
        GCS and the dashboard are among the listeners seen (so the check saw the cluster)."""
        rows = self.sockets()
        listening = [row for row in rows if row[4] == psutil.CONN_LISTEN]
        ports = {int(row[2].rsplit(":", 1)[1]) for row in listening}
        assert {self.gcs_port, self.dashboard_port} <= ports, listening
        off = [row for row in rows if row[2].rsplit(":", 1)[0] not in LOOPBACK or (row[3] and row[3] not in LOOPBACK)]
        assert not off, f"Ray sockets off loopback: {off}"


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[RayCluster]:
    """A local Ray head confined to loopback (one CPU, a small object store), stopped with all its
    processes when the module ends.

    ``--node-ip-address=127.0.0.1`` alone is not enough: ``ray start`` swaps a loopback address for
    the host's routable one (``services.resolve_ip_for_localhost``), and its gRPC servers (GCS,
    raylet, workers) listen on every interface unless the node's address is 127.0.0.1.
    ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (the single-node mode Ray uses on macOS and Windows)
    keeps 127.0.0.1 as the node's address, so every server of the node binds it; the autoscaler's
    and the dashboard's metrics ports, fixed by default, get free ones.
    """
    ray = Path(sys.executable).parent / "ray"
    assert ray.exists(), "Ray is a test dependency: pip install 'ray[default]' (see pyproject's test extra)"
    temp = Path(tempfile.mkdtemp(prefix="amlray-"))  # short: Ray's socket paths live under it
    port, dashboard = free_port(), free_port()
    mark = os.urandom(8).hex()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
           "AUTOSCALER_METRIC_PORT": str(free_port()), "DASHBOARD_METRIC_PORT": str(free_port()), MARK: mark,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
    args = [str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1",
            f"--port={port}", f"--dashboard-port={dashboard}", f"--ray-client-server-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
            f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}", "--num-cpus=1",
            "--object-store-memory=100000000", f"--temp-dir={temp}", "--include-dashboard=true",
            "--disable-usage-stats"]
    log = temp / "ray-start.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    cluster = RayCluster(f"http://127.0.0.1:{dashboard}", port, dashboard, proc, mark)
    try:
        deadline = time.monotonic() + RAY_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ray start exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
            try:
                with urllib.request.urlopen(f"{cluster.address}/api/jobs/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ray's dashboard did not answer within {RAY_START_TIMEOUT}s:\n"
                                   f"{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.5)
        yield cluster
    finally:
        left = _stop(cluster)
        shutil.rmtree(temp, ignore_errors=True)
    assert not left, f"Ray processes outlived the module: {left}"


@pytest.fixture(scope="module")
def ray_address(ray_cluster: RayCluster) -> str:
    return ray_cluster.address


def _stop(cluster: RayCluster) -> list[str]:
    """Stop the cluster's processes, by pid: TERM the ``ray start --block`` group (it stops what it
    started), then KILL every process of the cluster still there (workers, job supervisors and job
    commands live in groups of their own). What is still alive after that, by name and pid.

    Not ``ray stop``: it ends every Ray process of the user on the machine, by name, other
    clusters' included."""
    before = cluster.processes()
    try:
        os.killpg(cluster.process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:  # what TERM leaves after a few seconds is killed below: waiting longer frees nothing more
        cluster.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    rest = {proc.pid: proc for proc in before if _running(proc)}
    rest.update({proc.pid: proc for proc in cluster.processes()})
    for proc in rest.values():
        try:
            proc.kill()
        except psutil.Error:
            pass
    if cluster.process.poll() is None:
        cluster.process.kill()
    cluster.process.wait(timeout=15)
    psutil.wait_procs(list(rest.values()), timeout=15)
    left = {proc.pid: proc for proc in [*rest.values(), *before] if _running(proc)}
    left.update({proc.pid: proc for proc in cluster.processes()})
    names = []
    for proc in left.values():
        try:
            names.append(f"{proc.name()} ({proc.pid})")
        except psutil.Error:
            continue
    return names


def project(root: Path, secs: str = "0", pidfile: str = "") -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "train.py").write_text(TRAIN)
    (root / "data.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    extra = f" --pidfile {pidfile}" if pidfile else ""
    (root / "job.yml").write_text(f"""$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
code: ./src
command: python train.py --data ${{{{inputs.data}}}} --out ${{{{outputs.model}}}} --secs ${{{{inputs.secs}}}}{extra}
inputs:
  data:
    type: uri_file
    path: ./data.csv
  secs: {secs}
outputs:
  model:
    type: uri_folder
environment_variables:
  ALPHA: "0.5"
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
compute: azureml:cpu-cluster
experiment_name: two-backends
""")
    return root / "job.yml"


def workspace(cli: Cli, tmp: Path, address: str) -> list[str]:
    """A workspace with a compute cluster and a Ray compute attached to ``address``."""
    group = f"rg-{os.urandom(4).hex()}"
    cli.json("group", "create", "-g", group, "-l", "eastus")
    cli.json("ml", "workspace", "create", "-n", "ws-ray", "-g", group)
    ws = ["-w", "ws-ray", "-g", group]
    cli.json("ml", "compute", "create", "-n", "cpu-cluster", "--type", "amlcompute", "--size", "Standard_DS3_v2", *ws)
    (tmp / "ray.yml").write_text(f"name: ray-cluster\ntype: ray\naddress: {address}\ndescription: a local Ray\n")
    made = cli.json("ml", "compute", "create", "--file", str(tmp / "ray.yml"), *ws)
    assert made["provisioning_state"] == "Succeeded" and made["type"] == "ray" and made["address"] == address
    return ws


def wait_status(cli: Cli, name: str, ws: list[str], wanted: tuple[str, ...], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        shown = cli.json("ml", "job", "show", "-n", name, *ws)
        if shown["status"] in wanted or time.monotonic() > deadline:
            return shown  # type: ignore[no-any-return]
        time.sleep(0.3)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_same_job_on_a_cluster_and_on_ray(logged_in: Cli, tmp_path: Path, ray_cluster: RayCluster) -> None:
    cli = logged_in
    ray_address = ray_cluster.address
    ws = workspace(cli, tmp_path, ray_address)
    yml = project(tmp_path / "proj")
    ended: dict[str, dict] = {}
    for compute in ("cpu-cluster", "ray-cluster"):
        run = cli("ml", "job", "create", "--file", str(yml), "--set", f"compute=azureml:{compute}", "--stream", *ws)
        assert run.returncode == 0, run.stderr
        job = json.loads(run.stdout)
        assert f"training started as {job['name']}" in run.stderr and "trained on 4 rows" in run.stderr  # streamed
        assert "amlite-ray-result" not in run.stderr  # the Ray runner's result line is not the user's log
        ended[compute] = wait_status(cli, job["name"], ws, ("Completed", "Failed", "Canceled"))
    local, ray = ended["cpu-cluster"], ended["ray-cluster"]
    ray_cluster.assert_on_loopback()  # having run a job: its workers and supervisor included
    assert ray["compute"] == "azureml:ray-cluster" and local["compute"] == "azureml:cpu-cluster"
    assert any("image" in w and "Ray cluster's own Python" in w for w in ray["warnings"]), ray["warnings"]
    assert any("image" in w and "virtualenv" in w for w in local["warnings"]), local["warnings"]
    with urllib.request.urlopen(f"{ray_address}/api/jobs/", timeout=10) as answer:  # Ray ran it, and only it
        on_ray = [j for j in json.load(answer) if j.get("metadata", {}).get("amlite.job") in (ray["name"], local["name"])]
    assert [(j["metadata"]["amlite.job"], j["status"]) for j in on_ray] == [(ray["name"], "SUCCEEDED")]
    for job in (local, ray):
        assert job["status"] == "Completed", job
        assert job["metrics"] == {"rows": 4.0}, job
        out = tmp_path / job["name"]
        assert cli("ml", "job", "download", "-n", job["name"], "--output-name", "model", "-p", str(out), *ws).returncode == 0
        assert (out / "named-outputs" / "model" / "model.txt").read_text() == "weights from 4 rows, alpha 0.5\n"
        assert "trained on 4 rows" in (out / "artifacts" / "user_logs" / "std_log.txt").read_text()

    # A command that fails on Ray fails the job with its exit code.
    bad = cli.json("ml", "job", "create", "--file", str(yml), "--set", "compute=azureml:ray-cluster",
                   "--set", "command=python -c 'raise SystemExit(3)'", *ws)
    failed = wait_status(cli, bad["name"], ws, ("Completed", "Failed", "Canceled"))
    assert failed["status"] == "Failed" and failed["error"]["code"] == "UserError" and "code 3" in failed["error"]["message"]


def test_cancel_stops_the_ray_job(logged_in: Cli, tmp_path: Path, ray_cluster: RayCluster) -> None:
    cli = logged_in
    ws = workspace(cli, tmp_path, ray_cluster.address)
    pidfile = tmp_path / "pid"
    yml = project(tmp_path / "proj", secs="300", pidfile=str(pidfile))
    job = cli.json("ml", "job", "create", "--file", str(yml), "--set", "compute=azureml:ray-cluster", *ws)
    wait_status(cli, job["name"], ws, ("Running",))
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    pid = int(pidfile.read_text())
    assert alive(pid)
    assert pid in {proc.pid for proc in ray_cluster.processes()}  # the teardown would find it
    ray_cluster.assert_on_loopback()  # while a job runs on it
    assert cli("ml", "job", "cancel", "-n", job["name"], *ws).returncode == 0
    assert wait_status(cli, job["name"], ws, ("Canceled", "Failed", "Completed"))["status"] == "Canceled"
    deadline = time.monotonic() + 15
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid), "the command outlived its canceled Ray job"
    ended = cli("ml", "job", "stream", "-n", job["name"], *ws)
    assert ended.returncode == 1 and "training started" in ended.stdout


def test_a_server_killed_during_a_ray_job_re_attaches(cli: Cli, server_factory: Callable[..., ServerProcess],
                                                      tmp_path: Path, ray_address: str) -> None:
    server = server_factory()
    cli.json("login", "--credentials-file", str(server.credentials_file))
    ws = workspace(cli, tmp_path, ray_address)
    pidfile = tmp_path / "pid"
    yml = project(tmp_path / "proj", secs="6", pidfile=str(pidfile))
    job = cli.json("ml", "job", "create", "--file", str(yml), "--set", "compute=azureml:ray-cluster", *ws)
    wait_status(cli, job["name"], ws, ("Running",))
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.2)

    server.kill()  # the Ray job runs on: it is the cluster's, not the server's
    assert alive(int(pidfile.read_text()))
    server.process = None
    server.start()
    done = wait_status(cli, job["name"], ws, ("Completed", "Failed", "Canceled"))
    assert done["status"] == "Completed", done
    assert done["metrics"] == {"rows": 4.0}
    streamed = cli("ml", "job", "stream", "-n", job["name"], *ws)
    assert streamed.returncode == 0 and "trained on 4 rows" in streamed.stdout
