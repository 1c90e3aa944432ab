"""A command job's runner on a Ray cluster: the entrypoint amlite submits through Ray's job API,
``python ray_entry.py job.json``, shipped to the cluster as the Ray job's ``working_dir`` (run as a
script: it imports the standard library only, so it needs nothing installed on the cluster).

It shares no disk with amlite. It fetches the job's code snapshot and its inputs' files from the
workspace's artifact blobs over HTTP (``GET {ws}/artifacts/blobs/{sha256}``, with the token of the
job's submitter that the job's own MLflow calls use), runs the command with ``/bin/sh -c`` in a
working folder of its own with the job's environment variables, and when the command succeeded
uploads each output folder's files (``PUT`` of the same route). Its last line of output names the
outputs it stored (``<result marker> {"exit_code": N, "outputs": {...}}``); amlite reads it from
the Ray job's logs, checks every named blob is in the workspace's storage, and keeps the rest of
the output as the job's log. Its exit status is the command's.

The command runs in the runner's own process group, which Ray's ``stop_job`` ends (a cancel).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def _request(spec: dict[str, Any], method: str, sha256: str, body: Any = None, size: int | None = None) -> Any:
    url = f"{spec['blobs']}/{sha256}?api-version={spec['api_version']}"
    request = urllib.request.Request(url, method=method, data=body)
    request.add_header("Authorization", f"Bearer {spec['token']}")
    if body is not None:
        request.add_header("Content-Type", "application/octet-stream")
        request.add_header("Content-Length", str(size))
    return urllib.request.urlopen(request, timeout=300)


def fetch(spec: dict[str, Any], manifest: list[dict[str, Any]], dest: Path) -> None:
    """The manifest's files from the workspace's storage into ``dest`` (paths were judged safe by amlite)."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in manifest:
        target = dest / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        with _request(spec, "GET", entry["sha256"]) as response, open(target, "wb") as handle:
            shutil.copyfileobj(response, handle, CHUNK)


def upload(spec: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """Every file under ``folder`` into the workspace's storage; their manifest, sorted by path."""
    entries: list[dict[str, Any]] = []
    if not folder.is_dir():
        return entries
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        size = path.stat().st_size
        with open(path, "rb") as handle, _request(spec, "PUT", digest.hexdigest(), handle, size):
            pass
        entries.append({"path": path.relative_to(folder).as_posix(), "sha256": digest.hexdigest(), "size": size})
    return entries


def run(spec: dict[str, Any]) -> int:
    root = Path(tempfile.mkdtemp(prefix="amlite-job-"))
    result: dict[str, Any] = {"exit_code": None, "outputs": {}}
    child: subprocess.Popen[bytes] | None = None

    def on_term(signum: int, frame: object) -> None:  # Ray's stop_job: the command goes first
        if child is not None and child.poll() is None:
            child.terminate()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        wd = root / "wd"
        print(f"amlite: fetching the job's code and inputs into {root}", flush=True)
        fetch(spec, spec["code"], wd)
        for name, manifest in spec["inputs"].items():
            fetch(spec, manifest, root / "inputs" / name)
        for name in spec["outputs"]:
            (root / "outputs" / name).mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(spec["env"])
        env["AZUREML_CR_WORKING_DIR"] = str(wd)
        command = spec["command"].replace(spec["root_marker"], str(root))
        sys.stdout.flush()
        child = subprocess.Popen(["/bin/sh", "-c", command], cwd=wd, env=env, stdin=subprocess.DEVNULL,
                                 stdout=sys.stdout.fileno(), stderr=subprocess.STDOUT)
        code = child.wait()
        result["exit_code"] = 128 - code if code < 0 else code
        if result["exit_code"] == 0:
            for name in spec["outputs"]:
                result["outputs"][name] = upload(spec, root / "outputs" / name)
    except (OSError, urllib.error.URLError, KeyError) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{spec['result_marker']} {json.dumps(result)}", flush=True)
    if "error" in result:
        return 1
    return int(result["exit_code"])


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        loaded = json.load(handle)
    sys.exit(run(loaded))
