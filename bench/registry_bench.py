"""amlite's model registry side by side with MLflow's tracking server, in one run.

Both servers run on this machine on the same database kind (``--db sqlite`` or ``--db postgresql``,
each system in its own database, created and dropped by the run) with their artifacts on the same
disk, and both are driven over raw HTTP by the same client code (httpx), so the figures compare
servers, not SDKs. Each version is two requests: the upload of its own 1 KiB file, then the
registration. By default every request opens a new connection (``--keepalive`` keeps amlite's
connections open; MLflow's multi-worker uvicorn always gets new connections, its best case).

1. versions spread over ``--models`` models, created by 1 writer: versions/s;
2. get by version, latest, list by name and search by tag across every model (amlite's
   ``GET .../modelVersions?tags=k=v``, MLflow's ``model-versions/search`` with ``tags.k = 'v'``):
   p50/p99 once the spread models hold ``--versions`` versions;
3. 1 writer, then 8 writers, on one model, growing it to ``--versions`` versions: versions/s, and
   whether the versions are unique and gapless; then the same reads on that model;
4. one 256 MiB artifact uploaded and downloaded, beside a plain ``cp`` on the same disk;
5. keep-alive vs new-connection latency of a trivial request;
6. idle memory: PSS of each server's process tree (``/proc/<pid>/smaps_rollup``), after start-up
   and after the workload; on PostgreSQL also the database's commits per request
   (``pg_stat_database``).

Every figure is printed with its ratio and the issue's target. Run ``make bench`` (it makes
``.bench-venv`` with MLflow, a bench-only dependency) or
``.venv/bin/python bench/registry_bench.py --mlflow .bench-venv/bin/mlflow [--db postgresql]``.
Every request loop is bounded; both servers are stopped at the end. Loopback only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
ML = "api-version=2024-10-01"
RES = "api-version=2024-03-01"
CHUNK = 1024 * 1024


# The client sends a request's headers and body in separate writes; without TCP_NODELAY the body
# waits for the server's delayed ACK (~40 ms). Both systems get the same NODELAY client.
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def http_client(base_url: str = "", keepalive: bool = True, **kwargs: Any) -> httpx.Client:
    limits = httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=base_url, timeout=300, transport=httpx.HTTPTransport(socket_options=NODELAY, limits=limits), **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def big_file(path: Path, size: int) -> str:
    """A file of pseudo-random bytes (seeded), written in chunks; returns its sha256."""
    digest = hashlib.sha256()
    block = hashlib.sha256(b"amlite-bench").digest() * (CHUNK // 32)
    with open(path, "wb") as handle:
        written, counter = 0, 0
        while written < size:
            chunk = hashlib.sha256(counter.to_bytes(8, "little")).digest() + block[32:]
            chunk = chunk[: min(CHUNK, size - written)]
            handle.write(chunk)
            digest.update(chunk)
            written += len(chunk)
            counter += 1
    return digest.hexdigest()


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


# -- large transfers: the standard library's client, which costs little beside the server -------

#: How many bytes a large transfer moves per call, on both sides of the benchmark.
IO = 4 << 20


def _connection(base: str) -> http.client.HTTPConnection:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=300, blocksize=IO)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def client_upload(base: str, url: str, src: Path, headers: dict[str, str]) -> float:
    """Seconds to PUT the file to ``url``: the standard library's client sends the open file
    ``IO`` bytes per call, so the client costs little beside the server it measures."""
    conn = _connection(base)
    try:
        with open(src, "rb") as body:
            t0 = time.perf_counter()
            conn.request("PUT", url, body=body, headers={
                **headers, "Content-Type": "application/octet-stream", "Content-Length": str(src.stat().st_size)})
            response = conn.getresponse()
            text = response.read()
            elapsed = time.perf_counter() - t0
    finally:
        conn.close()
    assert response.status in (200, 201), text
    return elapsed


def client_download(base: str, url: str, dest: Path, headers: dict[str, str], keep: bool = False) -> float:
    """Seconds to GET ``url`` into the file ``dest`` (page cache, as ``cp`` without fsync writes
    it): the response is read ``IO`` bytes at a time into one buffer and written from it."""
    conn = _connection(base)
    buffer = bytearray(IO)
    view = memoryview(buffer)
    try:
        t0 = time.perf_counter()
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        assert response.status == 200, response.read()
        with open(dest, "wb") as out:
            while got := response.readinto(view):
                out.write(view[:got])
        elapsed = time.perf_counter() - t0
    finally:
        conn.close()
    if not keep:
        dest.unlink()
    return elapsed


# -- databases and process memory -----------------------------------------------------------------

PG_SERVER = os.environ.get("AMLITE_BENCH_PG", "postgres@127.0.0.1:5432")


def _pg_admin(sql: str) -> None:
    import psycopg  # amlite's own PostgreSQL driver

    with psycopg.connect(f"postgresql://{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql.encode())


@contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database for one system, dropped afterwards; yields its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_commits(database: str) -> int:
    """Committed transactions of ``database`` so far. Backends flush their counters when they go
    idle, at most once a second and at the latest after 10 s idle: the caller waits first."""
    import psycopg

    with psycopg.connect(f"postgresql://{PG_SERVER}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (database,)).fetchone()
    return int(row[0]) if row else 0


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    tree: list[int] = []
    todo = [root]
    while todo and len(tree) < 10_000:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def pss_mb(root: int) -> tuple[float, int]:
    """PSS of a process and all its descendants (MB), and how many processes that is."""
    total_kb, count = 0, 0
    for pid in process_tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
                    count += 1
        except OSError:
            continue
    return total_kb / 1000, count


# -- the two systems under test, behind one small interface -----------------------------------


@dataclass
class System:
    name: str
    proc: subprocess.Popen[bytes] | None = None
    client: httpx.Client = field(default_factory=http_client)
    database: str | None = None  # the PostgreSQL database's name, for its commit counter
    stop_signal: int = signal.SIGTERM

    def start(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        # its own process group, so stopping it stops the workers it spawned too
        self.proc = subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    def stop(self) -> None:
        self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, self.stop_signal)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(20)

    def memory(self) -> tuple[float, int]:
        assert self.proc is not None
        return pss_mb(self.proc.pid)


class Amlite(System):
    def __init__(self, workdir: Path, amlite: str, db_url: str | None, workers: int, keepalive: bool,
                 profile: tuple[str, Path] | None = None, config: Path | None = None) -> None:
        super().__init__("amlite")
        port = free_port()
        data = workdir / "amlite-data"
        args = [amlite, "server", "--data-dir", str(data), "--port", str(port), "--workers", str(workers)]
        args = [*args, "--db", db_url] if db_url else args
        args = [*args, "--config", str(config)] if config else args
        if profile is not None:  # py-spy samples the server; SIGINT makes both stop and write the profile
            args = [profile[0], "record", "--format", "raw", "--rate", "200", "--subprocesses",
                    "--output", str(profile[1]), "--", *args]
            self.stop_signal = signal.SIGINT
        self.start(args, workdir / "amlite.log")
        assert self.proc is not None
        self.base = f"http://{HOST}:{port}"
        self.keepalive = keepalive
        wait_http(f"{self.base}/health", self.proc)
        creds = json.loads((data / "admin-credentials.json").read_text())
        token = httpx.post(f"{self.base}/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        self.client = self.new_client()
        sub = creds["subscriptionId"]
        rg = f"/subscriptions/{sub}/resourceGroups/bench"
        self.client.put(f"{rg}?{RES}", json={"location": "eastus"}).raise_for_status()
        self.ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/bench"
        self.client.put(f"{self.ws}?{ML}", json={"location": "eastus"}).raise_for_status()

    def new_client(self) -> httpx.Client:
        return http_client(self.base, keepalive=self.keepalive, headers=self.headers)

    def upload(self, client: httpx.Client, data: bytes | Iterator[bytes], sha: str) -> None:
        r = client.put(f"{self.ws}/artifacts/blobs/{sha}?{ML}", content=data,
                       headers={"Content-Type": "application/octet-stream"})
        assert r.status_code in (200, 201), r.text

    def create_version(self, client: httpx.Client, model: str, content: bytes, tags: dict[str, str]) -> str:
        sha = hashlib.sha256(content).hexdigest()
        self.upload(client, content, sha)
        body = {"properties": {"modelType": "custom_model", "tags": tags,
                               "artifacts": [{"path": "model.bin", "sha256": sha, "size": len(content)}]}}
        r = client.post(f"{self.ws}/models/{model}/versions?{ML}", json=body)
        assert r.status_code in (200, 201), r.text
        return str(r.json()["name"])

    def get_version(self, model: str, version: str) -> None:
        self.client.get(f"{self.ws}/models/{model}/versions/{version}?{ML}").raise_for_status()

    def get_latest(self, model: str) -> None:
        self.client.get(f"{self.ws}/models/{model}/versions/@latest?{ML}").raise_for_status()

    def list_by_name(self, model: str) -> None:
        self.client.get(f"{self.ws}/models/{model}/versions?{ML}&$top=100").raise_for_status()

    def search_by_tag(self, tag: tuple[str, str]) -> int:
        """Versions of every model of the workspace with the tag (first page of 100)."""
        r = self.client.get(f"{self.ws}/modelVersions?{ML}&$top=100&tags={tag[0]}={tag[1]}")
        r.raise_for_status()
        return len(r.json()["value"])

    def all_versions(self, model: str) -> list[str]:
        versions: list[str] = []
        url: str | None = f"{self.ws}/models/{model}/versions?{ML}&$top=1000"
        for _ in range(10_000):
            if not url:
                break
            page = self.client.get(url).json()
            versions += [v["name"] for v in page["value"]]
            url = page.get("nextLink")
        return versions

    def health(self) -> str:
        return f"{self.base}/health"


class MLflow(System):
    def __init__(self, workdir: Path, mlflow: str, workers: int, db_uri: str | None) -> None:
        super().__init__("mlflow")
        port = free_port()
        self.start(
            [mlflow, "server", "--backend-store-uri", db_uri or f"sqlite:///{workdir / 'mlflow.db'}",
             "--artifacts-destination", str(workdir / "mlflow-artifacts"), "--host", HOST, "--port", str(port),
             "--workers", str(workers),
             # uvicorn restarts a worker that misses its 5 s health check, which a busy machine
             # makes it miss: requests then fail with "Server disconnected".
             "--uvicorn-opts", "--timeout-worker-healthcheck 60"],
            workdir / "mlflow.log", env={**os.environ, "MLFLOW_ENABLE_TELEMETRY": "false", "DO_NOT_TRACK": "true"})
        assert self.proc is not None
        self.base = f"http://{HOST}:{port}"
        wait_http(f"{self.base}/health", self.proc, timeout=180)
        self.client = self.new_client()
        self.models: set[str] = set()
        self.models_lock = threading.Lock()
        # MLflow registers versions from a run's artifacts: one run holds every version's file.
        run = self.client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]
        self.run_id = run["run_id"]
        self.artifact_base = run["artifact_uri"].removeprefix("mlflow-artifacts:/")

    def new_client(self) -> httpx.Client:
        """A new connection per request: MLflow's multi-worker uvicorn does not set TCP_NODELAY, so
        kept-alive requests wait ~40 ms for a delayed ACK (FIELD-NOTES); this is its best case."""
        return http_client(self.base, keepalive=False)

    def _ensure_model(self, client: httpx.Client, model: str) -> None:
        with self.models_lock:
            if model not in self.models:
                r = client.post("/api/2.0/mlflow/registered-models/create", json={"name": model})
                assert r.status_code == 200 or "RESOURCE_ALREADY_EXISTS" in r.text, r.text
                self.models.add(model)

    def upload(self, client: httpx.Client, data: bytes | Iterator[bytes], path: str) -> None:
        r = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}", content=data,
                       headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text

    def create_version(self, client: httpx.Client, model: str, content: bytes, tags: dict[str, str]) -> str:
        self._ensure_model(client, model)
        sha = hashlib.sha256(content).hexdigest()
        relative = f"{model}/{sha}/model.bin"
        self.upload(client, content, f"{self.artifact_base}/{relative}")
        r = client.post("/api/2.0/mlflow/model-versions/create", json={
            "name": model, "source": f"runs:/{self.run_id}/{relative}", "run_id": self.run_id,
            "tags": [{"key": k, "value": v} for k, v in tags.items()]})
        assert r.status_code == 200, r.text
        return str(r.json()["model_version"]["version"])

    def get_version(self, model: str, version: str) -> None:
        self.client.get("/api/2.0/mlflow/model-versions/get", params={"name": model, "version": version}).raise_for_status()

    def get_latest(self, model: str) -> None:
        r = self.client.post("/api/2.0/mlflow/registered-models/get-latest-versions", json={"name": model})
        r.raise_for_status()

    def list_by_name(self, model: str) -> None:
        self.client.get("/api/2.0/mlflow/model-versions/search",
                        params={"filter": f"name='{model}'", "max_results": 100}).raise_for_status()

    def search_by_tag(self, tag: tuple[str, str]) -> int:
        """``search_model_versions`` with ``tags.k = 'v'`` across every model (first 100)."""
        r = self.client.get("/api/2.0/mlflow/model-versions/search",
                            params={"filter": f"tags.{tag[0]} = '{tag[1]}'", "max_results": 100})
        r.raise_for_status()
        return len(r.json().get("model_versions", []))

    def all_versions(self, model: str) -> list[str]:
        versions: list[str] = []
        token: str | None = None
        for _ in range(10_000):
            params: dict[str, Any] = {"filter": f"name='{model}'", "max_results": 1000}
            if token:
                params["page_token"] = token
            page = self.client.get("/api/2.0/mlflow/model-versions/search", params=params).json()
            versions += [v["version"] for v in page.get("model_versions", [])]
            token = page.get("next_page_token")
            if not token:
                break
        return versions

    def health(self) -> str:
        return f"{self.base}/health"


# -- the workload --------------------------------------------------------------------------------


def create_many(system: Any, models: list[str], start: int, count: int, writers: int) -> float:
    """Create ``count`` versions round-robin over ``models`` with ``writers`` parallel clients, each
    version an upload of its own 1 KiB file and a registration; returns versions/s."""
    lock = threading.Lock()
    next_i = [start]

    def work() -> None:
        client = system.new_client()
        try:
            while True:
                with lock:
                    i = next_i[0]
                    if i >= start + count:
                        return
                    next_i[0] += 1
                content = i.to_bytes(8, "little") + os.urandom(1016)
                system.create_version(client, models[i % len(models)], content, {"bucket": str(i % 10)})
        finally:
            client.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        for future in [pool.submit(work) for _ in range(writers)]:
            future.result()
    return count / (time.perf_counter() - t0)


READS = ("get by version", "get latest", "list by name (100)", "search by tag, all models (100)")


def reads(system: Any, model: str, n: int, budget: float, cap: float = 600.0) -> dict[str, tuple[float, float, int]]:
    """p50/p99 ms of each read, and how many samples: ``n`` of each, or fewer (at least 20) when
    they take longer than ``budget`` seconds (MLflow's search by tag on PostgreSQL takes seconds),
    or fewer still (at least 3) past ``cap`` seconds (the same search over 40,000 versions took
    minutes a request, and 20 of them would have taken the bench's whole evening)."""
    out = {}
    fns: list[Callable[[], Any]] = [
        lambda: system.get_version(model, "1"),
        lambda: system.get_latest(model),
        lambda: system.list_by_name(model),
        lambda: system.search_by_tag(("bucket", "3")),
    ]
    for label, fn in zip(READS, fns):
        fn()
        samples: list[float] = []
        start = time.monotonic()
        while len(samples) < n and (len(samples) < 20 or time.monotonic() < start + budget):
            if len(samples) >= 3 and time.monotonic() > start + cap:
                break
            samples += timed(fn, 1)
        out[label] = (percentile(samples, 50), percentile(samples, 99), len(samples))
    return out


def keepalive(system: Any, n: int) -> tuple[float, float]:
    url = system.health()
    with http_client() as kept, http_client(keepalive=False) as fresh_client:
        kept.get(url)
        warm = statistics.median(timed(lambda: kept.get(url), n))
        fresh = statistics.median(timed(lambda: fresh_client.get(url), n))
    return warm, fresh


def artifact(system: Any, workdir: Path, src: Path, sha: str) -> tuple[float, float]:
    """MiB/s of one large upload and its download, by the standard library's client (see
    ``client_upload``; httpx's per-byte cost on two shared cores would be measured instead)."""
    size_mb = src.stat().st_size / 2**20
    url = (f"{system.ws}/artifacts/blobs/{sha}?{ML}" if system.name == "amlite"
           else f"/api/2.0/mlflow-artifacts/artifacts/big/{sha}/model.bin")
    headers = getattr(system, "headers", {})
    up = size_mb / client_upload(system.base, url, src, headers)
    dest = workdir / f"{system.name}-download.bin"
    down = size_mb / client_download(system.base, url, dest, headers, keep=True)
    assert hash_file(dest) == sha, "download differs from upload"
    dest.unlink()
    return up, down


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in file_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def plain_copy(src: Path, dest: Path, size_mb: int) -> tuple[float, float]:
    """MiB/s of ``cp`` alone (into the page cache), and of ``cp`` then fsync (on the disk), which is
    what a store that answers only once the bytes are durable must match; the target uses the latter."""
    rates = []
    for durable in (False, True):
        t0 = time.perf_counter()
        subprocess.run(["cp", str(src), str(dest)], check=True)
        if durable:
            fd = os.open(dest, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
        rates.append(size_mb / (time.perf_counter() - t0))
        dest.unlink()
        os.sync()
    return rates[0], rates[1]


def commits_per_request(system: System, phase: Callable[[], int], settle: float) -> tuple[Any, float | None]:
    """Run ``phase`` (which returns how many requests it made) and, on PostgreSQL, count the
    database's commits per request around it."""
    if system.database is None:
        return phase(), None
    time.sleep(settle)
    before = pg_commits(system.database)
    requests = phase()
    time.sleep(settle)
    return requests, (pg_commits(system.database) - before) / requests


def read_phase(r: dict[str, Any], key: str, system: System, model: str, args: argparse.Namespace) -> int:
    r[key] = reads(system, model, args.reads, args.read_budget, args.read_cap)
    return sum(1 + n for _, _, n in r[key].values())  # requests made, warm-up included


def run_system(system: System, args: argparse.Namespace, workdir: Path, src: Path, sha: str) -> dict[str, Any]:
    r: dict[str, Any] = {}
    n, spread = args.versions, [f"s{k}" for k in range(args.models)]
    create_many(system, ["warmup"], 0, 50, 8)  # both servers warm (imports, pools) before timing
    time.sleep(2)
    r["idle PSS MB after start"] = system.memory()
    print(f"[{system.name}] {n} versions over {args.models} models, 1 writer ...", flush=True)
    def spread_writes() -> int:
        r["create 1 writer, spread"] = create_many(system, spread, 0, n, 1)
        return int(2 * n)  # an upload and a registration per version

    _, r["commits per write request"] = commits_per_request(system, spread_writes, args.pg_settle)
    _, r["commits per read request"] = commits_per_request(
        system, lambda: read_phase(r, "reads spread", system, spread[0], args),
        args.pg_settle)
    print(f"[{system.name}] {json.dumps(r)}", flush=True)  # the first shape's figures, kept if the run is cut short
    print(f"[{system.name}] one model: {args.one_writer} versions with 1 writer, then to {n} with 8 writers ...", flush=True)
    r["create 1 writer, one model"] = create_many(system, ["one"], 0, args.one_writer, 1)
    r["create 8 writers, one model"] = create_many(system, ["one"], args.one_writer, n - args.one_writer, 8)
    versions = sorted(int(v) for v in system.all_versions("one"))  # type: ignore[attr-defined]
    r["gapless"] = versions == list(range(1, n + 1))
    r["reads one model"] = reads(system, "one", args.reads, args.read_budget, args.read_cap)
    print(f"[{system.name}] {json.dumps(r)}", flush=True)  # kept in the log if the run is cut short
    r["keep-alive ms / new-connection ms"] = keepalive(system, 100)
    print(f"[{system.name}] {args.artifact_mb} MiB artifact ...", flush=True)
    r["artifact up/down MiB/s"] = artifact(system, workdir, src, sha)
    time.sleep(5)
    r["idle PSS MB after workload"] = system.memory()
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mlflow", default=str(Path(".bench-venv/bin/mlflow")))
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--versions", type=int, default=2000, help="versions of the spread models, and of the one model")
    parser.add_argument("--models", type=int, default=20, help="models the spread versions go to")
    parser.add_argument("--one-writer", type=int, default=300, help="versions of the one model made by 1 writer")
    parser.add_argument("--reads", type=int, default=200, help="samples of each read")
    parser.add_argument("--read-budget", type=float, default=30.0, help="seconds per read kind before taking fewer samples")
    parser.add_argument("--read-cap", type=float, default=600.0,
                        help="seconds per read kind after which even 20 samples are not waited for (at least 3)")
    parser.add_argument("--artifact-mb", type=int, default=256)
    parser.add_argument("--mlflow-workers", type=int, default=4)
    parser.add_argument("--amlite-workers", type=int, default=1)
    parser.add_argument("--keepalive", action="store_true", help="amlite's clients keep connections open")
    parser.add_argument("--profile", type=Path, help="record amlite with py-spy into this file (folded stacks)")
    parser.add_argument("--py-spy", default=str(Path(".bench-venv/bin/py-spy")))
    parser.add_argument("--pg-settle", type=float, default=11.0, help="seconds for PostgreSQL's counters to flush")
    args = parser.parse_args()
    assert 0 < args.one_writer < args.versions

    workdir = Path(tempfile.mkdtemp(prefix="amlite-bench-"))
    results: dict[str, dict[str, Any]] = {}
    systems: list[System] = []
    load = [os.getloadavg()]
    try:
        with pg_database("amlite_bench") if args.db == "postgresql" else _none() as amlite_db, \
                pg_database("mlflow_bench") if args.db == "postgresql" else _none() as mlflow_db:
            src = workdir / "big.bin"
            sha = big_file(src, args.artifact_mb * 2**20)
            os.sync()
            plain = plain_copy(src, workdir / "plain-copy.bin", args.artifact_mb)
            os.sync()  # flush the big file's dirty pages now, or they slow every fsync of the timed phases
            amlite_url = f"postgresql+psycopg://{PG_SERVER}/{amlite_db}" if amlite_db else None
            mlflow_uri = f"postgresql+psycopg2://{PG_SERVER}/{mlflow_db}" if mlflow_db else None
            profile = (args.py_spy, args.profile.resolve()) if args.profile else None
            makers: list[Callable[[], System]] = [
                lambda: Amlite(workdir, args.amlite, amlite_url, args.amlite_workers, args.keepalive, profile),
                lambda: MLflow(workdir, args.mlflow, args.mlflow_workers, mlflow_uri)]
            for make in makers:
                system = make()
                systems.append(system)
                system.database = amlite_db if system.name == "amlite" else mlflow_db
                results[system.name] = run_system(system, args, workdir, src, sha)
                system.stop()
                load.append(os.getloadavg())
    finally:
        for system in systems:
            system.stop()
    report(results, plain, args, load)
    shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def _none() -> Iterator[None]:
    yield None


def report(results: dict[str, dict[str, Any]], plains: tuple[float, float], args: argparse.Namespace,
           load: list[tuple[float, float, float]]) -> None:
    a, m = results["amlite"], results["mlflow"]
    print(f"\n{args.db}; amlite --workers {args.amlite_workers}, MLflow --workers {args.mlflow_workers}; "
          f"{'kept-alive' if args.keepalive else 'new'} connections for amlite; "
          f"load average (1 min) {', '.join(f'{x[0]:.1f}' for x in load)} (start, after amlite, after MLflow)")
    plain = plains[1]
    print(f"plain cp of {args.artifact_mb} MiB on this disk: {plains[0]:.0f} MiB/s into the page cache, "
          f"{plain:.0f} MiB/s with fsync (the shares below are of the latter)\n")
    print(f"{'metric':60} {'amlite':>13} {'mlflow':>13} {'ratio':>7}  target")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for key in ("create 1 writer, spread", "create 1 writer, one model", "create 8 writers, one model"):
        ratio = a[key] / m[key]
        print(f"{key + ' (versions/s)':60} {a[key]:13.0f} {m[key]:13.0f} {ratio:6.2f}x  >=5x: {verdict(ratio >= 5)}")
    print(f"{'versions unique and gapless (8 writers, one model)':60} {str(a['gapless']):>13} {str(m['gapless']):>13}"
          f"          {verdict(bool(a['gapless']))}")
    for key, where in (("reads spread", f"{args.versions} over {args.models} models"),
                       ("reads one model", f"{args.versions} in one model")):
        for op, (p50, p99, _) in a[key].items():
            mp50, mp99, samples = m[key][op]
            at = f"{2 * args.versions} over {args.models + 1} models" if key == "reads one model" and "all models" in op else where
            label = f"{op} @{at}, p50/p99 ms"
            ratio = p99 / mp99
            few = f" (MLflow: {samples} samples)" if samples < args.reads else ""
            print(f"{label:60} {p50:5.1f}/{p99:7.1f} {mp50:5.1f}/{mp99:7.1f} {ratio:6.2f}x  p99 <=0.2x: {verdict(ratio <= 0.2)}{few}")
    ka, km = a["keep-alive ms / new-connection ms"], m["keep-alive ms / new-connection ms"]
    print(f"{'/health kept-alive / new connection, p50 ms':60} {ka[0]:5.1f}/{ka[1]:7.1f} {km[0]:5.1f}/{km[1]:7.1f}"
          f" {ka[0] / km[0]:6.2f}x  no stall (<20 ms): {verdict(ka[0] < 20)}")
    (au, ad), (mu, md) = a["artifact up/down MiB/s"], m["artifact up/down MiB/s"]
    print(f"{f'{args.artifact_mb} MiB upload MiB/s (share of plain cp)':60} {au:6.0f} ({au / plain:4.2f}) {mu:6.0f} ({mu / plain:4.2f})"
          f" {au / mu:6.2f}x  >=0.5 of cp: {verdict(au / plain >= 0.5)}")
    print(f"{f'{args.artifact_mb} MiB download MiB/s (share of plain cp)':60} {ad:6.0f} ({ad / plain:4.2f}) {md:6.0f} ({md / plain:4.2f})"
          f" {ad / md:6.2f}x  >=0.5 of cp: {verdict(ad / plain >= 0.5)}")
    for key in ("idle PSS MB after start", "idle PSS MB after workload"):
        (ap, an), (mp, mn) = a[key], m[key]
        label = f"{key} (processes)"
        print(f"{label:60} {ap:6.0f} ({an:3d}) {mp:7.0f} ({mn:3d}) {ap / mp:6.2f}x  <=150 MB: {verdict(ap <= 150)}")
    if a["commits per write request"] is not None:
        for key in ("commits per write request", "commits per read request"):
            print(f"{key + ' (pg_stat_database)':60} {a[key]:13.2f} {m[key]:13.2f} {a[key] / m[key]:6.2f}x")


if __name__ == "__main__":
    main()
