"""What a request costs the app itself, without HTTP: the real ``create_app`` over a wired
container (SQLite in a temporary directory, or ``--db`` a PostgreSQL URL of an empty database),
driven over ASGI in this process, the background workers stopped so that only the requests count.

- ``--statements``: SQL statements per request kind (what the store is asked);
- by default: CPU time per request (``time.process_time``, best and median of ``--rounds``);
- under callgrind, instructions per request, deterministic on a busy machine too: the loop
  switches callgrind's instrumentation on and off around itself, so start-up is not counted::

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/app_cost.py --callgrind --kinds create --n 60
    # "Collected : N" on valgrind's last lines: N / 60 instructions per version

Kinds: ``create`` (a 1 KiB blob upload and ``POST .../models/{m}/versions``, spread over 20
models: one version, two requests), ``get``, ``latest``, ``list`` (100), ``search`` (by tag,
100), ``health``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from amlite.api.app import create_app
from amlite.bootstrap import build
from amlite.config import Settings

ML = "api-version=2024-10-01"
RES = "api-version=2024-03-01"


class AsgiClient:
    """One request at a time into the app, as uvicorn would hand it over."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def call(self, method: str, path: str, body: bytes = b"",
                   headers: list[tuple[str, str]] | None = None) -> tuple[int, bytes]:
        route, _, query = path.partition("?")
        raw = [(k.lower().encode(), v.encode()) for k, v in headers or []]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": route, "raw_path": route.encode(), "query_string": query.encode(),
                 "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8600), "state": {},
                 "headers": [*raw, (b"host", b"127.0.0.1:8600"), (b"content-length", str(len(body)).encode())]}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # the client never goes away mid-request
            return {"type": "http.disconnect"}

        status, out = 0, bytearray()

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                out.extend(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, bytes(out)


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="amlite-app-cost-"))
    container = build(Settings.load(data_dir=tmp / "data", port=8600, db_url=args.db, env={}))
    app = create_app(container)
    statements: collections.Counter[str] = collections.Counter()

    @sa.event.listens_for(container.engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements[" ".join(statement.split())[:100]] += 1

    startup: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                       startup.get, replies.put))
    await replies.get()
    container.worker.stop()  # no background polling in the figures: only the requests
    container.reconciler.stop()
    client = AsgiClient(app)
    creds = json.loads((tmp / "data" / "admin-credentials.json").read_text())
    form = f"grant_type=password&username={creds['username']}&password={creds['password']}".encode()
    _, body = await client.call("POST", f"/{creds['tenantId']}/oauth2/v2.0/token", form,
                                [("content-type", "application/x-www-form-urlencoded")])
    auth = [("authorization", f"Bearer {json.loads(body)['access_token']}")]
    as_json = [*auth, ("content-type", "application/json")]
    rg = f"/subscriptions/{creds['subscriptionId']}/resourceGroups/bench"
    ws = f"{rg}/providers/Microsoft.MachineLearningServices/workspaces/bench"
    for url, version in ((rg, RES), (ws, ML)):
        status, body = await client.call("PUT", f"{url}?{version}", b'{"location": "eastus"}', as_json)
        assert status in (200, 201), body
    made = [0]

    async def create() -> None:
        i = made[0]
        made[0] += 1
        content = i.to_bytes(8, "little") + os.urandom(1016)
        sha = hashlib.sha256(content).hexdigest()
        status, body = await client.call("PUT", f"{ws}/artifacts/blobs/{sha}?{ML}", content,
                                         [*auth, ("content-type", "application/octet-stream")])
        assert status in (200, 201), body
        version = {"properties": {"modelType": "custom_model", "tags": {"bucket": str(i % 10)},
                                  "artifacts": [{"path": "model.bin", "sha256": sha, "size": len(content)}]}}
        status, body = await client.call("POST", f"{ws}/models/s{i % 20}/versions?{ML}", json.dumps(version).encode(),
                                         as_json)
        assert status == 201, body

    def read(url: str) -> Callable[[], Awaitable[None]]:
        async def get() -> None:
            status, body = await client.call("GET", url, headers=auth)
            assert status == 200, body
        return get

    kinds: dict[str, Callable[[], Awaitable[None]]] = {
        "create": create, "get": read(f"{ws}/models/s0/versions/1?{ML}"),
        "latest": read(f"{ws}/models/s0/versions/@latest?{ML}"), "list": read(f"{ws}/models/s0/versions?{ML}&$top=100"),
        "search": read(f"{ws}/modelVersions?{ML}&$top=100&tags=bucket=3"), "health": read("/health"),
    }
    for _ in range(100):  # data to read, and every path warm
        await create()
    for name in args.kinds.split(","):
        once = kinds[name]
        for _ in range(10):
            await once()
        if args.statements:
            statements.clear()
            for _ in range(args.n):
                await once()
            print(f"{name}: {sum(statements.values()) / args.n:.1f} statements per request")
            for text, n in statements.most_common():
                print(f"  {n / args.n:4.1f}  {text}")
        elif args.callgrind:
            subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=False)
            for _ in range(args.n):
                await once()
            subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=False)
            print(f"{name}: {args.n} requests counted", flush=True)
        else:
            cpu = []
            for _ in range(args.rounds):
                start = time.process_time()
                for _ in range(args.n):
                    await once()
                cpu.append((time.process_time() - start) / args.n * 1000)
            cpu.sort()
            print(f"{name:8} CPU per {'version' if name == 'create' else 'request'}: best {cpu[0]:.2f} ms, "
                  f"median {cpu[len(cpu) // 2]:.2f} ms", flush=True)
    await startup.put({"type": "lifespan.shutdown"})
    await replies.get()
    await lifespan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default="create,get,latest,list,search,health")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--statements", action="store_true", help="count SQL statements per request instead")
    parser.add_argument("--callgrind", action="store_true", help="under valgrind: count only the requests")
    parser.add_argument("--db", help="a PostgreSQL URL of an empty database (default: SQLite in a temporary directory)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
