"""Server CPU per request: what one amlite process spends on each request kind of the registry
benchmark, measured from the server's own ``/proc/<pid>/stat`` (user + system time of the whole
process tree) around a loop of requests.

On a shared machine wall-clock rates move with the neighbours; the CPU a request costs the server
does not (much), so this is the figure to compare before and after a change. It starts
``amlite server`` (``--workers`` processes, SQLite or ``--db`` PostgreSQL URL), warms it, then
times ``--n`` of each kind with a new connection per request, as ``registry_bench.py`` does:

- version create: the upload of a 1 KiB blob and the ``POST .../models/{m}/versions`` (spread over
  20 models), CPU per version (two requests);
- get by version, get latest, list by name (100), search by tag across models (100);
- ``/health``, the floor of HTTP and the framework.

``.venv/bin/python bench/server_cpu.py [--n 300] [--workers 1] [--db postgresql+psycopg://...]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from registry_bench import HOST, ML, RES, free_port, http_client, process_tree, wait_http  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its descendants (children still running)."""
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in the data directory)")
    parser.add_argument("--keepalive", action="store_true", help="one kept-alive connection instead of one per request")
    parser.add_argument("--kinds", default="create,get,latest,list,search,health")
    parser.add_argument("--profile", type=Path, help="record the server with py-spy into this file (folded stacks)")
    parser.add_argument("--py-spy", default=str(Path(sys.executable).parent / "py-spy"))
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="amlite-cpu-"))
    port = free_port()
    cmd = [args.amlite, "server", "--data-dir", str(work / "data"), "--port", str(port), "--workers", str(args.workers)]
    cmd += ["--db", args.db] if args.db else []
    if args.profile:  # SIGINT makes py-spy stop the server and write the profile
        cmd = [args.py_spy, "record", "--format", "raw", "--rate", "250", "--subprocesses", "--output",
               str(args.profile.resolve()), "--", *cmd]
    proc = subprocess.Popen(cmd, stdout=open(work / "server.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://{HOST}:{port}"
        wait_http(f"{base}/health", proc)
        creds = json.loads((work / "data" / "admin-credentials.json").read_text())
        token = httpx.post(f"{base}/{creds['tenantId']}/oauth2/v2.0/token", data={
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        rg = f"/subscriptions/{creds['subscriptionId']}/resourceGroups/bench"
        ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/bench"
        with http_client(base, headers=headers) as c:
            c.put(f"{rg}?{RES}", json={"location": "eastus"}).raise_for_status()
            c.put(f"{ws}?{ML}", json={"location": "eastus"}).raise_for_status()
        client = http_client(base, keepalive=args.keepalive, headers=headers)
        counter = [0]

        def create() -> None:
            i = counter[0]
            counter[0] += 1
            content = i.to_bytes(8, "little") + os.urandom(1016)
            sha = hashlib.sha256(content).hexdigest()
            r = client.put(f"{ws}/artifacts/blobs/{sha}?{ML}", content=content,
                           headers={"Content-Type": "application/octet-stream"})
            assert r.status_code in (200, 201), r.text
            body = {"properties": {"modelType": "custom_model", "tags": {"bucket": str(i % 10)},
                                   "artifacts": [{"path": "model.bin", "sha256": sha, "size": len(content)}]}}
            r = client.post(f"{ws}/models/s{i % 20}/versions?{ML}", json=body)
            assert r.status_code == 201, r.text

        def get(url: str) -> Callable[[], None]:
            return lambda: client.get(url).raise_for_status()

        kinds: dict[str, Callable[[], Any]] = {
            "create": create,
            "get": get(f"{ws}/models/s0/versions/1?{ML}"),
            "latest": get(f"{ws}/models/s0/versions/@latest?{ML}"),
            "list": get(f"{ws}/models/s0/versions?{ML}&$top=100"),
            "search": get(f"{ws}/modelVersions?{ML}&$top=100&tags=bucket=3"),
            "health": get(f"{base}/health"),
        }
        for _ in range(max(40, args.n // 5)):  # warm: imports, pools, caches, and data to read
            create()
        print(f"load average {os.getloadavg()[0]:.1f}; {args.workers} worker(s); "
              f"{'PostgreSQL' if args.db else 'SQLite'}; {'kept-alive' if args.keepalive else 'new'} connections")
        for name in args.kinds.split(","):
            fn = kinds[name]
            for _ in range(10):
                fn()
            c0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            for _ in range(args.n):
                fn()
            c1, t1 = cpu_seconds(proc.pid), time.perf_counter()
            per = (c1 - c0) / args.n * 1000
            print(f"{name:8} server CPU {per:6.2f} ms/{'version' if name == 'create' else 'request'}, "
                  f"{args.n / (t1 - t0):7.1f}/s wall", flush=True)
        client.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT if args.profile else signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
