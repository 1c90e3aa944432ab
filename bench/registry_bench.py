"""amlite's model registry side by side with MLflow's tracking server, in one run.

Both servers run on this machine on SQLite with their artifacts on the same disk, and both are
driven over raw HTTP by the same client code (httpx), so the figures compare servers, not SDKs:

1. create N model versions, each with its own 1 KiB file (upload, then register): ops/s;
2. get by version and by latest: p50/p99, at N and at N_LARGE versions;
3. list/search by name and by tag: p50/p99;
4. 8 concurrent writers on one model: versions/s, and whether versions are unique and gapless;
5. one 256 MiB artifact uploaded and downloaded, beside a plain copy on the same disk;
6. keep-alive vs new-connection latency of a trivial request (FIELD-NOTES: uvicorn with several
   workers does not set TCP_NODELAY, which costs ~40 ms per kept-alive request).

Run ``make bench`` (it makes ``.bench-venv`` with MLflow, a bench-only dependency) or
``.venv/bin/python bench/registry_bench.py --mlflow .bench-venv/bin/mlflow``. Every request loop is
bounded; both servers are stopped at the end. Loopback only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
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


# -- the two systems under test, behind one small interface -----------------------------------


@dataclass
class System:
    name: str
    proc: subprocess.Popen[bytes] | None = None
    client: httpx.Client = field(default_factory=http_client)

    def stop(self) -> None:
        self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)


class Amlite(System):
    def __init__(self, workdir: Path, amlite: str, config: Path | None = None) -> None:
        super().__init__("amlite")
        port = free_port()
        data = workdir / "amlite-data"
        log = open(workdir / "amlite.log", "wb")
        args = [amlite, "server", "--data-dir", str(data), "--port", str(port)]
        self.proc = subprocess.Popen([*args, "--config", str(config)] if config else args,
                                     stdout=log, stderr=subprocess.STDOUT)
        self.base = f"http://{HOST}:{port}"
        wait_http(f"{self.base}/health", self.proc)
        creds = json.loads((data / "admin-credentials.json").read_text())
        token = httpx.post(f"{self.base}/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        self.client = http_client(self.base, headers=self.headers)
        sub = creds["subscriptionId"]
        rg = f"/subscriptions/{sub}/resourceGroups/bench"
        self.client.put(f"{rg}?{RES}", json={"location": "eastus"}).raise_for_status()
        self.ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/bench"
        self.client.put(f"{self.ws}?{ML}", json={"location": "eastus"}).raise_for_status()

    def new_client(self) -> httpx.Client:
        return http_client(self.base, headers=self.headers)

    def upload(self, client: httpx.Client, data: bytes | Iterator[bytes], sha: str) -> None:
        r = client.put(f"{self.ws}/artifacts/blobs/{sha}?{ML}", content=data,
                       headers={"Content-Type": "application/octet-stream"})
        assert r.status_code in (200, 201), r.text

    def create_version(self, client: httpx.Client, model: str, content: bytes, tags: dict[str, str],
                       version: str | None = None) -> str:
        sha = hashlib.sha256(content).hexdigest()
        self.upload(client, content, sha)
        body = {"properties": {"modelType": "custom_model", "tags": tags,
                               "artifacts": [{"path": "model.bin", "sha256": sha, "size": len(content)}]}}
        if version is None:
            r = client.post(f"{self.ws}/models/{model}/versions?{ML}", json=body)
        else:
            r = client.put(f"{self.ws}/models/{model}/versions/{version}?{ML}", json=body)
        assert r.status_code in (200, 201), r.text
        return str(r.json()["name"])

    def get_version(self, model: str, version: str) -> None:
        self.client.get(f"{self.ws}/models/{model}/versions/{version}?{ML}").raise_for_status()

    def get_latest(self, model: str) -> None:
        self.client.get(f"{self.ws}/models/{model}/versions/@latest?{ML}").raise_for_status()

    def list_by_name(self, model: str) -> None:
        self.client.get(f"{self.ws}/models/{model}/versions?{ML}&$top=100").raise_for_status()

    def search_by_tag(self, model: str, tag: tuple[str, str]) -> int:
        r = self.client.get(f"{self.ws}/models/{model}/versions?{ML}&$top=100&tags={tag[0]}={tag[1]}")
        r.raise_for_status()
        return len(r.json()["value"])

    def all_versions(self, model: str) -> list[str]:
        versions: list[str] = []
        url: str | None = f"{self.ws}/models/{model}/versions?{ML}&$top=1000"
        while url:
            page = self.client.get(url).json()
            versions += [v["name"] for v in page["value"]]
            url = page.get("nextLink")
        return versions

    def download(self, sha: str, dest: Path) -> None:
        with self.client.stream("GET", f"{self.ws}/artifacts/blobs/{sha}?{ML}") as r:
            r.raise_for_status()
            with open(dest, "wb") as out:
                for chunk in r.iter_bytes(CHUNK):
                    out.write(chunk)

    def health(self) -> str:
        return f"{self.base}/health"


class MLflow(System):
    def __init__(self, workdir: Path, mlflow: str, workers: int) -> None:
        super().__init__("mlflow")
        port = free_port()
        log = open(workdir / "mlflow.log", "wb")
        self.proc = subprocess.Popen(
            [mlflow, "server", "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
             "--artifacts-destination", str(workdir / "mlflow-artifacts"), "--host", HOST, "--port", str(port),
             "--workers", str(workers)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MLFLOW_ENABLE_TELEMETRY": "false",
                                                       "DO_NOT_TRACK": "true"},
        )
        self.base = f"http://{HOST}:{port}"
        wait_http(f"{self.base}/health", self.proc)
        self.client = self.new_client()
        self.models: set[str] = set()
        # MLflow registers versions from a run's artifacts: one run holds every version's file.
        run = self.client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()["run"]["info"]
        self.run_id = run["run_id"]
        self.artifact_base = run["artifact_uri"].removeprefix("mlflow-artifacts:/")

    def new_client(self) -> httpx.Client:
        """A new connection per request: MLflow's multi-worker uvicorn does not set TCP_NODELAY, so
        kept-alive requests wait ~40 ms for a delayed ACK (FIELD-NOTES); this is its best case."""
        return http_client(self.base, keepalive=False)

    def _ensure_model(self, client: httpx.Client, model: str) -> None:
        if model not in self.models:
            r = client.post("/api/2.0/mlflow/registered-models/create", json={"name": model})
            assert r.status_code == 200 or "RESOURCE_ALREADY_EXISTS" in r.text, r.text
            self.models.add(model)

    def upload(self, client: httpx.Client, data: bytes | Iterator[bytes], path: str) -> None:
        r = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}", content=data,
                       headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 200, r.text

    def create_version(self, client: httpx.Client, model: str, content: bytes, tags: dict[str, str],
                       version: str | None = None) -> str:
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

    def search_by_tag(self, model: str, tag: tuple[str, str]) -> int:
        r = self.client.get("/api/2.0/mlflow/model-versions/search",
                            params={"filter": f"name='{model}' and tags.{tag[0]}='{tag[1]}'", "max_results": 100})
        r.raise_for_status()
        return len(r.json().get("model_versions", []))

    def all_versions(self, model: str) -> list[str]:
        versions: list[str] = []
        token: str | None = None
        for _ in range(1000):
            params: dict[str, Any] = {"filter": f"name='{model}'", "max_results": 1000}
            if token:
                params["page_token"] = token
            page = self.client.get("/api/2.0/mlflow/model-versions/search", params=params).json()
            versions += [v["version"] for v in page.get("model_versions", [])]
            token = page.get("next_page_token")
            if not token:
                break
        return versions

    def download(self, path: str, dest: Path) -> None:
        with self.client.stream("GET", f"/api/2.0/mlflow-artifacts/artifacts/{path}") as r:
            r.raise_for_status()
            with open(dest, "wb") as out:
                for chunk in r.iter_bytes(CHUNK):
                    out.write(chunk)

    def health(self) -> str:
        return f"{self.base}/health"


# -- the workload --------------------------------------------------------------------------------


def create_many(system: System, model: str, start: int, count: int, writers: int) -> float:
    """Create ``count`` versions with ``writers`` parallel clients; returns versions/s."""
    lock = threading.Lock()
    next_i = [start]

    def work() -> None:
        client = system.new_client()  # type: ignore[attr-defined]
        try:
            while True:
                with lock:
                    i = next_i[0]
                    if i >= start + count:
                        return
                    next_i[0] += 1
                content = i.to_bytes(8, "little") + os.urandom(1016)
                system.create_version(client, model, content, {"bucket": str(i % 10)})  # type: ignore[attr-defined]
        finally:
            client.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        for future in [pool.submit(work) for _ in range(writers)]:
            future.result()
    return count / (time.perf_counter() - t0)


def reads(system: Any, model: str, n: int) -> dict[str, tuple[float, float]]:
    version = "1"
    out = {}
    for label, fn in [
        ("get by version", lambda: system.get_version(model, version)),
        ("get latest", lambda: system.get_latest(model)),
        ("list by name (100)", lambda: system.list_by_name(model)),
        ("search by tag (100)", lambda: system.search_by_tag(model, ("bucket", "3"))),
    ]:
        fn()
        samples = timed(fn, n)
        out[label] = (percentile(samples, 50), percentile(samples, 99))
    return out


def keepalive(system: Any, n: int) -> tuple[float, float]:
    url = system.health()
    with http_client() as kept, http_client(keepalive=False) as fresh_client:
        kept.get(url)
        warm = statistics.median(timed(lambda: kept.get(url), n))
        fresh = statistics.median(timed(lambda: fresh_client.get(url), n))
    return warm, fresh


def artifact(system: Any, workdir: Path, src: Path, sha: str) -> tuple[float, float]:
    size_mb = src.stat().st_size / 2**20
    client = system.new_client()
    t0 = time.perf_counter()
    key = sha if system.name == "amlite" else f"big/{sha}/model.bin"
    system.upload(client, file_chunks(src), key)
    up = size_mb / (time.perf_counter() - t0)
    dest = workdir / f"{system.name}-download.bin"
    t0 = time.perf_counter()
    system.download(key, dest)
    down = size_mb / (time.perf_counter() - t0)
    client.close()
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha, "download differs from upload"
    dest.unlink()
    return up, down


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mlflow", default=str(Path(".bench-venv/bin/mlflow")))
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--artifact-mb", type=int, default=256)
    parser.add_argument("--mlflow-workers", type=int, default=4)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="amlite-bench-"))
    results: dict[str, dict[str, Any]] = {}
    systems: list[System] = []
    try:
        systems = [Amlite(workdir, args.amlite), MLflow(workdir, args.mlflow, args.mlflow_workers)]
        src = workdir / "big.bin"
        sha = big_file(src, args.artifact_mb * 2**20)
        t0 = time.perf_counter()
        shutil.copyfile(src, workdir / "plain-copy.bin")
        plain = args.artifact_mb / (time.perf_counter() - t0)
        (workdir / "plain-copy.bin").unlink()
        os.sync()  # flush the big file's dirty pages now, or they slow every fsync of the timed phases
        for system in systems:
            r: dict[str, Any] = {}
            create_many(system, "warmup", 0, 50, 8)  # both servers warm (imports, pools) before timing
            print(f"[{system.name}] creating {args.versions} versions ...", flush=True)
            r["create ops/s (1 writer)"] = create_many(system, "m", 0, args.versions, 1)
            r["reads@small"] = reads(system, "m", args.reads)
            print(f"[{system.name}] growing to {args.large} versions (8 writers) ...", flush=True)
            create_many(system, "m", args.versions, args.large - args.versions, 8)
            r["reads@large"] = reads(system, "m", args.reads)
            print(f"[{system.name}] 8 concurrent writers on a fresh model ...", flush=True)
            r["create ops/s (8 writers)"] = create_many(system, "c", 0, 800, 8)
            versions = sorted(int(v) for v in system.all_versions("c"))  # type: ignore[attr-defined]
            r["gapless"] = versions == list(range(1, 801))
            r["keep-alive ms / new-connection ms"] = keepalive(system, 100)
            print(f"[{system.name}] {args.artifact_mb} MiB artifact ...", flush=True)
            r["artifact up/down MiB/s"] = artifact(system, workdir, src, sha)
            results[system.name] = r
    finally:
        for system in systems:
            system.stop()
    report(results, plain, args)
    shutil.rmtree(workdir, ignore_errors=True)


def report(results: dict[str, dict[str, Any]], plain: float, args: argparse.Namespace) -> None:
    a, m = results["amlite"], results["mlflow"]
    print(f"\nplain copy of {args.artifact_mb} MiB on this disk: {plain:.0f} MiB/s\n")
    print(f"{'metric':44} {'amlite':>12} {'mlflow':>12} {'ratio':>8}")
    for key in ("create ops/s (1 writer)", "create ops/s (8 writers)"):
        print(f"{key:44} {a[key]:12.0f} {m[key]:12.0f} {a[key] / m[key]:7.1f}x")
    for size, key in ((args.versions, "reads@small"), (args.large, "reads@large")):
        for op, (p50, p99) in a[key].items():
            mp50, mp99 = m[key][op]
            label = f"{op} @{size} p50/p99 ms"
            print(f"{label:44} {p50:5.1f}/{p99:6.1f} {mp50:5.1f}/{mp99:6.1f}  p99 {mp99 / p99:4.1f}x faster")
    print(f"{'versions unique and gapless (8 writers)':44} {str(a['gapless']):>12} {str(m['gapless']):>12}")
    ka, km = a["keep-alive ms / new-connection ms"], m["keep-alive ms / new-connection ms"]
    print(f"{'health keep-alive / new connection ms':44} {ka[0]:5.1f}/{ka[1]:6.1f} {km[0]:5.1f}/{km[1]:6.1f}")
    (au, ad), (mu, md) = a["artifact up/down MiB/s"], m["artifact up/down MiB/s"]
    print(f"{'artifact upload MiB/s (x plain copy)':44} {au:6.0f} ({au / plain:.2f}) {mu:6.0f} ({mu / plain:.2f}) {au / mu:7.1f}x")
    print(f"{'artifact download MiB/s (x plain copy)':44} {ad:6.0f} ({ad / plain:.2f}) {md:6.0f} ({md / plain:.2f}) {ad / md:7.1f}x")


if __name__ == "__main__":
    main()
