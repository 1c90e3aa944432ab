"""Kept-alive request latency of ``amlite server`` with 1 and more worker processes: no Nagle stall.

A response on a kept-alive connection is written in two pieces (headers, then body). Without
TCP_NODELAY on the server's socket the second waits for the client's delayed ACK, about 40 ms on
Linux; uvicorn with several workers never set it (see ``api/http_server.py``). This prints p50 and
p99 of ``GET /health`` and of an authenticated ``GET /subscriptions`` on one kept-alive
connection and on a new connection per request, for each worker count, and says ``STALL`` when a
kept-alive p50 is over 20 ms.

Run ``.venv/bin/python bench/keepalive_bench.py [--workers 1 2 4] [--requests 300]``. Loopback
only; each server is stopped.
"""

from __future__ import annotations

import argparse
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
import time
import urllib.parse
from pathlib import Path

HOST = "127.0.0.1"
STALL_MS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> None:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status


def timed(fn: object, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"{statistics.median(ordered):6.2f} / {ordered[int(len(ordered) * 0.99) - 1]:6.2f}"


def run(amlite: str, workers: int, requests: int, workdir: Path) -> list[tuple[str, list[float]]]:
    port = free_port()
    data = workdir / f"data-{workers}"
    log = open(workdir / f"server-{workers}.log", "wb")
    proc = subprocess.Popen([amlite, "server", "--data-dir", str(data), "--port", str(port), "--workers", str(workers)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                probe = http.client.HTTPConnection(HOST, port, timeout=5)
                get(probe, "/health", {})
                probe.close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server with {workers} workers did not start; see {log.name}") from None
                time.sleep(0.2)
        time.sleep(3.0 * workers)  # let every worker finish its start before measuring
        creds = json.loads((data / "admin-credentials.json").read_text())
        login = http.client.HTTPConnection(HOST, port, timeout=30)
        login.request("POST", f"/{creds['tenantId']}/oauth2/v2.0/token", body=urllib.parse.urlencode({
            "grant_type": "password", "username": creds["username"], "password": creds["password"]}),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        auth = {"Authorization": "Bearer " + json.loads(login.getresponse().read())["access_token"]}
        login.close()
        results = []
        for name, path, headers in (("/health", "/health", {}),
                                    ("GET /subscriptions", "/subscriptions?api-version=2022-12-01", auth)):
            kept = http.client.HTTPConnection(HOST, port, timeout=30)
            get(kept, path, headers)  # warm
            results.append((f"{name} kept-alive", timed(lambda: get(kept, path, headers), requests)))
            kept.close()

            def fresh() -> None:
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                get(connection, path, headers)
                connection.close()

            results.append((f"{name} new connection", timed(fresh, requests)))
        return results
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amlite-keepalive-"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'workers':>7}  {'request':<34} {'p50 / p99 ms':>15}")
    stalled = False
    try:
        for workers in args.workers:
            for name, samples in run(args.amlite, workers, args.requests, workdir):
                stall = "kept-alive" in name and statistics.median(samples) > STALL_MS
                stalled |= stall
                print(f"{workers:>7}  {name:<34} {percentiles(samples):>15}{'  STALL' if stall else ''}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    sys.exit(1 if stalled else 0)


if __name__ == "__main__":
    main()
