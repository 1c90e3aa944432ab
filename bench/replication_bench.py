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

With ``--azure``, every region's storage is Azure Blob Storage on Azurite (the emulator the tests
use, ``.tools/``), one storage account per region, and the baseline is the same three copies by a
bare script with the same adapter (``AzureBlobStore.copy_blob``: download, sha256, staged blocks,
commit). The server logs each region copy's own duration and how long after it was queued it
started; the benchmark prints them, so the server's own share of the time shows apart from the
copies'.

Baselines are the median of three runs. Bounded loops, loopback only, each server is stopped.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import subprocess
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from registry_bench import HOST, ML, Amlite, big_file, file_chunks, free_port

from amlite.blobs.local import LocalBlobStore
from amlite.ports import BlobStore

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


def adapter_copies(src: Path, sha: str, stores: dict[str, BlobStore]) -> float:
    """The three replicas made by a bare script with the server's own blob adapter: the source in
    the primary region's store, copied into the three others by three threads at once (what the
    server's three worker threads do), each ``copy_blob`` reading, hashing and writing."""
    source = stores["eastus"]
    source.ensure_container("acct", "blobs")
    source.put_file("acct", "blobs", src, sha)
    targets = [stores[region] for region in REPLICAS]
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
    for store in stores.values():
        store.delete_account("acct")
    os.sync()
    return elapsed


def local_stores(root: Path) -> dict[str, BlobStore]:
    return {region: LocalBlobStore(region, root / region, hard_links=False) for region in ["eastus", *REPLICAS]}


class Azurite:
    """azurite-blob with one storage account per region (``AZURITE_ACCOUNTS``), on loopback."""

    def __init__(self, workdir: Path, binary: Path) -> None:
        self.keys = {region: base64.b64encode(hashlib.sha256(region.encode()).digest()).decode()
                     for region in ["eastus", *REPLICAS]}
        self.port = free_port()
        env = {**os.environ, "AZURITE_ACCOUNTS": ";".join(f"{self.account(r)}:{k}" for r, k in self.keys.items())}
        self.proc = subprocess.Popen(
            [str(binary), "--blobHost", HOST, "--blobPort", str(self.port), "--skipApiVersionCheck", "--loose",
             "--disableTelemetry", "--location", str(workdir / "azurite"), "--silent"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://{HOST}:{self.port}/{self.account('eastus')}?comp=list", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and self.proc.poll() is None, "Azurite did not start"
                time.sleep(0.1)

    @staticmethod
    def account(region: str) -> str:
        return f"bench{region}"

    def connection_string(self, region: str) -> str:
        account = self.account(region)
        return (f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={self.keys[region]};"
                f"BlobEndpoint=http://{HOST}:{self.port}/{account};")

    def stores_as_server(self) -> dict[str, BlobStore]:
        """Each region's store as the server opens it (its default container prefix)."""
        return self.stores_with(lambda region: f"amlite-{region}-")

    def stores(self, prefix: str) -> dict[str, BlobStore]:
        return self.stores_with(lambda _: prefix)

    def stores_with(self, prefix: Callable[[str], str]) -> dict[str, BlobStore]:
        from amlite.blobs.azure import AzureBlobStore

        return {region: AzureBlobStore(region, connection_string=self.connection_string(region),
                                       container_prefix=prefix(region)) for region in self.keys}

    def config(self) -> str:
        lines = ["regions:"]
        for region in self.keys:
            lines += [f"  - name: {region}",
                      f"    storage: {{kind: azure, connection_string: \"{self.connection_string(region)}\"}}"]
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@dataclass
class Replication:
    share_s: float
    replicate_s: list[float]  # one per round
    baseline_s: list[float]  # the bare script's time in the same round, just before
    copied_again: str | None
    copies: list[tuple[str, float, float]]  # (region, seconds copying, seconds queued before it started)


#: The line ``services/replication.py`` logs when a region's copy is done.
COPY_LOG = re.compile(r"replication of \S+ into (\S+): (\d+) blobs copied in ([\d.]+) s, started ([\d.]+) s after")


def drop_replicas(stores: dict[str, BlobStore], sha: str) -> None:
    """Delete the blob from every replica region's store (whatever account and container the
    server gave the registry), so that the next version's replication copies it again."""
    for region in REPLICAS:
        store = stores[region]
        for account in list(store.list_accounts()):
            for container in list(store.list_containers(account)):
                store.delete_blob(account, container, sha)


def replicate(workdir: Path, amlite: str, src: Path, sha: str, config_text: str,
              server_stores: Callable[[Path], dict[str, BlobStore]] | None = None,
              baseline: Callable[[], float] | None = None, rounds: int = 1) -> Replication:
    """Share the model into the registry and time its replication; with ``baseline``, ``rounds``
    times, each right after one run of the bare script, the replicas being deleted in between (via
    ``server_stores``, the server's regions opened by the benchmark) and a new registry version
    shared, so each ratio compares two runs a few seconds apart on this busy machine."""
    config = workdir / "amlite.yaml"
    config.write_text(config_text)
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

        share_s, times, baselines = 0.0, [], []
        for n in range(rounds):
            if baseline is not None:
                baselines.append(baseline())
            if n:
                assert server_stores is not None
                drop_replicas(server_stores(workdir), sha)
            os.sync()
            name = "big" if n == 0 else f"big-{n}"
            t0 = time.perf_counter()
            shared = c.post(f"{system.ws}/models/big/versions/1/share?{ML}", json={
                "registryName": "benchreg", "shareWithName": name, "shareWithVersion": "1"})
            assert shared.status_code == 201, shared.text
            if n == 0:
                share_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            deadline = t1 + 900
            while True:
                states = c.get(f"{reg}/models/{name}/versions/1?{ML}").json()["properties"]["replication"]
                replicas = [s for s in states if s["location"] in REPLICAS]
                if all(s["state"] == "Succeeded" for s in replicas):
                    break
                assert not any(s["state"] == "Failed" for s in replicas), states
                assert time.perf_counter() < deadline, states
                time.sleep(0.05)
            times.append(time.perf_counter() - t1)
            if baselines:
                print(f"  (round {n + 1}: bare script {baselines[-1]:.2f} s, server {times[-1]:.2f} s,"
                      f" load {os.getloadavg()[0]:.1f})", flush=True)

        again = c.post(f"{system.ws}/models/big/versions/1/share?{ML}", json={
            "registryName": "benchreg", "shareWithName": "big-again", "shareWithVersion": "1"})
        assert again.status_code == 201, again.text

        for region in ["eastus", *REPLICAS]:
            with c.stream("GET", f"{reg}/artifacts/blobs/{sha}?{ML}&callerRegion={region}") as resp:
                digest = hashlib.sha256()
                for chunk in resp.iter_bytes(1 << 20):
                    digest.update(chunk)
                assert digest.hexdigest() == sha and resp.headers["x-ms-served-region"] == region
        log = (workdir / "amlite.log").read_text(errors="replace")
        copies = [(m[1], float(m[3]), float(m[4])) for m in COPY_LOG.finditer(log) if int(m[2]) > 0]
        return Replication(share_s, times, baselines, again.headers.get("x-ms-copied-blobs"), copies)
    finally:
        system.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--mb", type=int, default=512)
    parser.add_argument("--azure", action="store_true", help="every region on Azurite, one account each")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of (bare script, server) runs")
    parser.add_argument("--azurite", type=Path,
                        default=Path(__file__).resolve().parents[1] / ".tools" / "node_modules" / ".bin" / "azurite-blob")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amlite-repl-bench-"))
    azurite = None
    load = [os.getloadavg()[0]]
    try:
        src = workdir / "model.bin"
        sha = big_file(src, args.mb * 2**20)
        os.sync()
        one = statistics.median(plain_copies(src, workdir, 1) for _ in range(RUNS))
        three = statistics.median(plain_copies(src, workdir, len(REPLICAS)) for _ in range(RUNS))
        runs: dict[object, Replication] = {}
        load.append(os.getloadavg()[0])
        if args.azure:
            azurite = Azurite(workdir, args.azurite)
            az = azurite
            (workdir / "azure").mkdir()
            scripts = iter(range(100))
            runs["azure"] = replicate(
                workdir / "azure", args.amlite, src, sha, az.config(),
                server_stores=lambda _: az.stores_as_server(),
                baseline=lambda: adapter_copies(src, sha, az.stores(f"script{next(scripts)}-")), rounds=args.rounds)
        else:
            for hard_links in (True, False):
                run_dir = workdir / f"links-{hard_links}"
                run_dir.mkdir()
                config = f"storage: {{kind: local, hard_links: {str(hard_links).lower()}}}\n"
                if hard_links:
                    runs[hard_links] = replicate(run_dir, args.amlite, src, sha, config)
                else:
                    runs[hard_links] = replicate(
                        run_dir, args.amlite, src, sha, config,
                        server_stores=lambda d: local_stores(d / "amlite-data" / "regions"),
                        baseline=lambda: adapter_copies(src, sha, local_stores(workdir / "adapter")), rounds=args.rounds)
                shutil.rmtree(run_dir, ignore_errors=True)
        load.append(os.getloadavg()[0])
    finally:
        if azurite is not None:
            azurite.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    n = len(REPLICAS)
    print(f"load average (1 min): {', '.join(f'{x:.1f}' for x in load)} (start, before the servers, at the end)")
    print(f"one plain copy of {args.mb} MiB (with fsync), median of {RUNS}:        {one:6.2f} s")
    print(f"{n} plain copies at once on this disk, median of {RUNS}:             {three:6.2f} s"
          f"  = {three / one:.2f}x one copy (the disk's floor)")
    adapter_name = "AzureBlobStore on Azurite, one account per region" if args.azure else "LocalBlobStore"

    def server(label: str, run: Replication, target: str) -> None:
        print(label)
        print(f"  share into the registry's primary region:                    {run.share_s:6.2f} s")
        if not run.baseline_s:
            print(f"  replication to {n} regions after the commit:                   {run.replicate_s[0]:6.2f} s"
                  f"  = {run.replicate_s[0] / one:.2f}x one copy ({target})")
        for k, (base, took) in enumerate(zip(run.baseline_s, run.replicate_s)):
            print(f"  round {k + 1}: bare script with the same adapter ({adapter_name}) {base:6.2f} s,"
                  f" the server's replication to {n} regions after the commit {took:6.2f} s = {took / base:.2f}x")
        if run.baseline_s:
            ratios = [took / base for base, took in zip(run.baseline_s, run.replicate_s)]
            print(f"  median of the rounds' ratios: {statistics.median(ratios):.2f}x the bare script ({target})")
        for region, copying, queued in run.copies:
            print(f"    {region:10} started {queued:5.2f} s after it was queued, copied in {copying:5.2f} s")

    if args.azure:
        server("Azure Blob Storage on Azurite, one account per region:", runs["azure"], "target at most 1.2x")
        print(f"sharing the same bytes again copied {runs['azure'].copied_again} blobs (target 0);"
              " every replica's sha256 matched")
        return
    linked, copied = runs[True], runs[False]
    server("default (regions on one file system, verified hard links):", linked, "target at most 1.3x one copy")
    server("hard_links: false (every region writes its own bytes):", copied, "target at most 1.2x")
    print(f"sharing the same bytes again copied {linked.copied_again} / {copied.copied_again} blobs (target 0);"
          " every replica's sha256 matched")


if __name__ == "__main__":
    main()
