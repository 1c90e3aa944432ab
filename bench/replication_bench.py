"""Registry replication: one 512 MiB model shared into a registry with three replica regions,
timed from the commit of the registry version until every region is Succeeded, beside one plain
copy of the same file on the same disk; then the same bytes shared again, which must copy nothing.

Run ``.venv/bin/python bench/replication_bench.py [--mb 512]`` (``make bench`` runs it too). It
runs the server twice:

- as embedded by default: every region is a directory of one file system, so a replica is a
  hard link whose bytes are hashed and checked before it is published (no second write);
- with ``storage: {kind: local, hard_links: false}``: every replica writes its own bytes. All
  regions then share this machine's one disk, so the fair floor is three plain copies run at once,
  which is printed too, and so is the issue's baseline: the same three copies made by a bare
  script with the same blob adapter (``LocalBlobStore.copy_blob``, which reads, hashes, writes,
  fsyncs and publishes), three threads at once: the storage's own floor, the server's target
  being at most 1.2x of it.

Baselines are the median of three runs. Bounded loops, loopback only, each server is stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from registry_bench import ML, Amlite, big_file, file_chunks

from amlite.blobs.local import LocalBlobStore

REPLICAS = ["eastus2", "westus", "centralus"]
RUNS = 3


def plain_copies(src: Path, workdir: Path, count: int) -> float:
    """``count`` copies of ``src`` at once, each fsynced, as a plain program would make them."""

    def copy(dest: Path) -> None:
        with open(src, "rb") as fin, open(dest, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
            fout.flush()
            os.fsync(fout.fileno())

    targets = [workdir / f"copy-{i}.bin" for i in range(count)]
    threads = [threading.Thread(target=copy, args=(t,)) for t in targets]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    for target in targets:
        target.unlink()
    return elapsed


def adapter_copies(src: Path, sha: str, workdir: Path) -> float:
    """The three replicas made by a bare script with the server's own blob adapter: the source in
    one region's store, copied into three others (no hard links) by three threads at once."""
    root = workdir / "adapter"
    source = LocalBlobStore("eastus", root / "eastus", hard_links=False)
    source.ensure_container("acct", "blobs")
    source.put_file("acct", "blobs", src, sha)
    targets = [LocalBlobStore(region, root / region, hard_links=False) for region in REPLICAS]
    for target in targets:
        target.ensure_container("acct", "blobs")
    threads = [threading.Thread(target=t.copy_blob, args=(source, "acct", "blobs", "acct", "blobs", sha))
               for t in targets]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    assert all(t.exists("acct", "blobs", sha) for t in targets)
    shutil.rmtree(root)
    os.sync()
    return elapsed


@dataclass
class Replication:
    share_s: float
    replicate_s: float
    copied_again: str | None


def replicate(workdir: Path, amlite: str, src: Path, sha: str, hard_links: bool) -> Replication:
    config = workdir / "amlite.yaml"
    config.write_text(f"storage: {{kind: local, hard_links: {str(hard_links).lower()}}}\n")
    system = Amlite(workdir, amlite, None, 1, False, config=config)
    try:
        c = system.client
        sub_rg = system.ws.split("/providers/")[0]
        reg = f"{sub_rg}/providers/Microsoft.MachineLearningServices/registries/benchreg"
        r = c.put(f"{reg}?{ML}", json={"location": "eastus", "properties": {
            "regionDetails": [{"location": region} for region in ["eastus", *REPLICAS]]}})
        assert r.status_code == 201, r.text

        system.upload(c, file_chunks(src), sha)
        body = {"properties": {"artifacts": [{"path": "model.bin", "sha256": sha, "size": src.stat().st_size}]}}
        assert c.put(f"{system.ws}/models/big/versions/1?{ML}", json=body).status_code == 201
        os.sync()

        t0 = time.perf_counter()
        shared = c.post(f"{system.ws}/models/big/versions/1/share?{ML}", json={
            "registryName": "benchreg", "shareWithName": "big", "shareWithVersion": "1"})
        assert shared.status_code == 201, shared.text
        share_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        deadline = t1 + 600
        while True:
            states = c.get(f"{reg}/models/big/versions/1?{ML}").json()["properties"]["replication"]
            replicas = [s for s in states if s["location"] in REPLICAS]
            if all(s["state"] == "Succeeded" for s in replicas):
                break
            assert not any(s["state"] == "Failed" for s in replicas), states
            assert time.perf_counter() < deadline, states
            time.sleep(0.05)
        replicate_s = time.perf_counter() - t1

        again = c.post(f"{system.ws}/models/big/versions/1/share?{ML}", json={
            "registryName": "benchreg", "shareWithName": "big-again", "shareWithVersion": "1"})
        assert again.status_code == 201, again.text

        for region in ["eastus", *REPLICAS]:
            with c.stream("GET", f"{reg}/artifacts/blobs/{sha}?{ML}&callerRegion={region}") as resp:
                digest = hashlib.sha256()
                for chunk in resp.iter_bytes(1 << 20):
                    digest.update(chunk)
                assert digest.hexdigest() == sha and resp.headers["x-ms-served-region"] == region
        return Replication(share_s, replicate_s, again.headers.get("x-ms-copied-blobs"))
    finally:
        system.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--mb", type=int, default=512)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amlite-repl-bench-"))
    try:
        src = workdir / "model.bin"
        sha = big_file(src, args.mb * 2**20)
        os.sync()
        one = statistics.median(plain_copies(src, workdir, 1) for _ in range(RUNS))
        three = statistics.median(plain_copies(src, workdir, len(REPLICAS)) for _ in range(RUNS))
        adapter = statistics.median(adapter_copies(src, sha, workdir) for _ in range(RUNS))
        runs = {}
        for hard_links in (True, False):
            run_dir = workdir / f"links-{hard_links}"
            run_dir.mkdir()
            runs[hard_links] = replicate(run_dir, args.amlite, src, sha, hard_links)
            shutil.rmtree(run_dir, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    n = len(REPLICAS)
    linked, copied = runs[True], runs[False]
    print(f"one plain copy of {args.mb} MiB (with fsync), median of {RUNS}:        {one:6.2f} s")
    print(f"{n} plain copies at once on this disk, median of {RUNS}:             {three:6.2f} s"
          f"  = {three / one:.2f}x one copy (the disk's floor)")
    print(f"{n} copies by a bare script with the same blob adapter, median of {RUNS}: {adapter:6.2f} s"
          f"  = {adapter / one:.2f}x one copy (the storage's own floor)")
    print(f"default (regions on one file system, verified hard links):")
    print(f"  share into the registry's primary region:                    {linked.share_s:6.2f} s")
    print(f"  replication to {n} regions after the commit:                   {linked.replicate_s:6.2f} s"
          f"  = {linked.replicate_s / one:.2f}x one copy (target at most 1.3x)")
    print(f"hard_links: false (every region writes its own bytes):")
    print(f"  share into the registry's primary region:                    {copied.share_s:6.2f} s")
    print(f"  replication to {n} regions after the commit:                   {copied.replicate_s:6.2f} s"
          f"  = {copied.replicate_s / one:.2f}x one copy, {copied.replicate_s / three:.2f}x {n} plain copies at once,"
          f" {copied.replicate_s / adapter:.2f}x the bare script (target at most 1.2x)")
    print(f"sharing the same bytes again copied {linked.copied_again} / {copied.copied_again} blobs (target 0);"
          " every replica's sha256 matched")


if __name__ == "__main__":
    main()
