"""Where a recorded server's busy time goes: the folded stacks py-spy writes (``server_cpu.py
--profile FILE`` or ``registry_bench.py --profile FILE``) summed into the parts of a request.

Each sample goes to the part of its innermost frame that names one (a statement's execution is
"SQL" even when a service ran it; the service's own Python is "services and domain"). Samples whose
innermost frames are the event loop waiting (``select``/``epoll``) or a pool thread waiting for
work are idle, and left out of the shares.

``.venv/bin/python bench/profile_shares.py FILE [FILE ...]``
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

#: (part, pattern of a frame), tried on each frame from the innermost out; the first match wins.
PARTS: list[tuple[str, re.Pattern[str]]] = [
    ("idle", re.compile(r"\((selectors|threading)\.py:\d+\)$|^_worker \(concurrent/futures|"
                        r"^(select|poll|wait) \(|^run_forever \(|^_run_once \(asyncio")),
    ("SQL (SQLAlchemy Core, the driver, the database)", re.compile(r"sqlalchemy/|sqlite3|psycopg")),
    ("blob write, fsync and publish", re.compile(r"amlite/blobs/")),
    ("token check", re.compile(r"/jwt/|cryptography/")),
    ("JSON into pydantic, views into JSON", re.compile(r"pydantic|/json/|fastapi/encoders|orjson")),
    ("FastAPI's dependency solving", re.compile(r"fastapi/dependencies/")),
    ("route matching", re.compile(r"starlette/routing\.py|fastapi/routing\.py.*(matches|__call__)")),
    ("amlite's middlewares", re.compile(r"amlite/api/(middleware|limits|canonical|request_ids|http_server)")),
    ("amlite's services and domain", re.compile(r"amlite/(services|domain|store)/")),
    ("amlite's API layer (routers, errors)", re.compile(r"amlite/api/")),
    ("thread pool hand-over (anyio)", re.compile(r"anyio/|concurrent/futures")),
    ("HTTP (uvicorn, httptools, asyncio transports)", re.compile(r"uvicorn/|httptools|asyncio/")),
    ("Starlette and FastAPI, other", re.compile(r"starlette/|fastapi/")),
]


def part_of(stack: list[str]) -> str:
    for frame in reversed(stack):
        for part, pattern in PARTS:
            if pattern.search(frame):
                return part
    return "other"


def shares(paths: list[Path]) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                counts[part_of(stack.split(";"))] += int(count)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    counts = shares(parser.parse_args().files)
    busy = sum(n for part, n in counts.items() if part != "idle")
    print(f"{busy} busy samples ({counts['idle']} idle left out)")
    for part, n in counts.most_common():
        if part != "idle":
            print(f"{100 * n / busy:5.1f}%  {part}")


if __name__ == "__main__":
    main()
