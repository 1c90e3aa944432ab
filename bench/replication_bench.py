"""Registry replication: one 512 MiB model shared into a registry with three replica regions,
timed from the commit of the registry version until every region is Succeeded, beside one plain
copy of the same file on the same disk; then the same bytes shared again, which must copy nothing.

Run ``.venv/bin/python bench/replication_bench.py [--mb 512]`` (``make bench`` runs it too). All
regions of the embedded default are directories on this machine's one disk, so parallel copies
share its bandwidth and the two cores that hash them; the ratio says how much of the regions'
work overlaps. Bounded loops, loopback only, the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from registry_bench import ML, Amlite, big_file, file_chunks

REPLICAS = ["eastus2", "westus", "centralus"]


def plain_copy(src: Path, dest: Path) -> float:
    t0 = time.perf_counter()
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())
    elapsed = time.perf_counter() - t0
    dest.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--mb", type=int, default=512)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amlite-repl-bench-"))
    system = Amlite(workdir, args.amlite)
    try:
        c = system.client
        sub_rg = system.ws.split("/providers/")[0]
        reg = f"{sub_rg}/providers/Microsoft.MachineLearningServices/registries/benchreg"
        r = c.put(f"{reg}?{ML}", json={"location": "eastus", "properties": {
            "regionDetails": [{"location": region} for region in ["eastus", *REPLICAS]]}})
        assert r.status_code == 201, r.text

        src = workdir / "model.bin"
        sha = big_file(src, args.mb * 2**20)
        os.sync()
        copy_s = plain_copy(src, workdir / "copy.bin")

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
        copied = again.headers.get("x-ms-copied-blobs")

        for region in ["eastus", *REPLICAS]:
            with c.stream("GET", f"{reg}/artifacts/blobs/{sha}?{ML}&callerRegion={region}") as resp:
                digest = hashlib.sha256()
                for chunk in resp.iter_bytes(1 << 20):
                    digest.update(chunk)
                assert digest.hexdigest() == sha and resp.headers["x-ms-served-region"] == region
    finally:
        system.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"one plain copy of {args.mb} MiB (with fsync):      {copy_s:6.2f} s")
    print(f"share into the registry's primary region:          {share_s:6.2f} s")
    print(f"replication to {len(REPLICAS)} regions after the commit:      {replicate_s:6.2f} s"
          f"  = {replicate_s / copy_s:.2f}x one copy (target at most 1.3x)")
    print(f"sharing the same bytes again copied {copied} blobs (target 0); every replica's sha256 matched")


if __name__ == "__main__":
    main()
