"""Generate ``src/amlite/data/azureml_environments.json``: the curated environments of Azure ML's
``azureml`` system registry, as facts taken from Microsoft's public Azure/azureml-assets
repository.

Usage::

    git clone https://github.com/Azure/azureml-assets /path/to/azureml-assets   # with its tags
    python tools/gen_azureml_registry.py /path/to/azureml-assets [--output FILE]

Where the facts come from: every curated environment version Azure ML has published is tagged in
that repository as ``environment/<name>/<version>``. The tag points at the release branch's
commit for that version, where ``latest/environment/<name>/`` holds the files as published:
``spec.yaml`` rendered (its real name, version, description, tags, OS), ``environment.yaml``
(the image's repository name and where it is published: ``mcr`` is ``mcr.microsoft.com``, tagged
with the version) and, when the environment has one, ``context/conda_dependencies.yaml`` (the
conda specification, with its package versions filled in). The tag's commit date is the
version's creation time.

Only these facts are written: names, versions, descriptions, tags, OS, image, conda text, the
creation time and the source commit. No code of that repository is copied. Conda texts and
descriptions repeat across versions, so each is stored once in a table and referred to by index.
The output is deterministic for a given repository state, so regenerating shows real changes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "src" / "amlite" / "data" / "azureml_environments.json"
TAG_PREFIX = "refs/tags/environment/"
HOSTNAMES = {"mcr": "mcr.microsoft.com"}  # publish locations, as azureml-assets names them
SOURCE = "https://github.com/Azure/azureml-assets"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def release_tags(repo: Path) -> list[tuple[str, str, str, str]]:
    """``(name, version, commit, iso date)`` of every ``environment/<name>/<version>`` tag whose
    version is a number (Azure ML numbers curated versions 1, 2, 3...)."""
    lines = git(repo, "for-each-ref", "--format=%(refname)\t%(objectname)\t%(*objectname)\t%(creatordate:unix)",
                TAG_PREFIX).splitlines()
    found = []
    for line in lines:
        ref, obj, peeled, stamp = line.split("\t")
        parts = ref[len(TAG_PREFIX):].split("/")
        if len(parts) != 2 or not parts[1].isdigit():
            continue
        commit = peeled or obj
        date = datetime.fromtimestamp(int(stamp), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        found.append((parts[0], parts[1], commit, date))
    return found


class Blobs:
    """``git cat-file --batch``: many ``<commit>:<path>`` reads through one process."""

    def __init__(self, repo: Path) -> None:
        self._proc = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)

    def read(self, commit: str, path: str) -> str | None:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(f"{commit}:{path}\n".encode())
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().decode().split()
        if len(header) < 3 or header[1] != "blob":
            if len(header) >= 3:  # a tree or another object: skip its body
                self._proc.stdout.read(int(header[2]) + 1)
            return None
        body = self._proc.stdout.read(int(header[2]))
        self._proc.stdout.read(1)  # the newline after each object
        return body.decode("utf-8")

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait()


class Table:
    """Texts stored once, referred to by index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.items)
            self.items.append(text)
        return self._index[text]


def image_of(env_config: dict[str, Any], version: str) -> str | None:
    image = env_config.get("image") or {}
    name = image.get("name")
    if not isinstance(name, str) or not name:
        return None
    location = str((image.get("publish") or {}).get("location") or "").strip()
    hostname = HOSTNAMES.get(location)
    if ":" not in name.rsplit("/", 1)[-1]:
        name = f"{name}:{version}"
    return f"{hostname}/{name}" if hostname else name


def one_version(blobs: Blobs, texts: Table, name: str, version: str, commit: str, date: str) -> dict[str, Any] | None:
    base = f"latest/environment/{name}"
    spec_text = blobs.read(commit, f"{base}/spec.yaml")
    env_text = blobs.read(commit, f"{base}/environment.yaml")
    if spec_text is None or env_text is None:
        return None
    spec = yaml.safe_load(spec_text) or {}
    if str(spec.get("name")) != name or str(spec.get("version")) != version:
        return None  # a tag whose release files describe another asset: not a fact about this version
    image = spec.get("image") if isinstance(spec.get("image"), str) else image_of(yaml.safe_load(env_text) or {}, version)
    if image is None:
        return None
    entry: dict[str, Any] = {
        "version": version, "created": date, "commit": commit, "image": image,
        "osType": "Windows" if str(spec.get("os_type", "linux")).lower() == "windows" else "Linux",
        "description": texts.add(" ".join(str(spec.get("description") or "").split())),
        "tags": {str(k): "" if v is None else str(v) for k, v in (spec.get("tags") or {}).items()},
    }
    build = spec.get("build") or {}
    conda_name = "conda_dependencies.yaml"
    if isinstance(spec.get("conda_file"), str):
        conda_name = spec["conda_file"]
    conda = blobs.read(commit, f"{base}/{build.get('path', 'context')}/{conda_name}")
    if conda is not None:
        entry["condaFile"] = texts.add(conda)
    inference = spec.get("inference_config")
    if isinstance(inference, dict):
        entry["inferenceConfig"] = {_camel(k): v for k, v in inference.items()}
    return entry


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.title() for p in rest)


def generate(repo: Path) -> dict[str, Any]:
    blobs = Blobs(repo)
    texts = Table()
    environments: dict[str, list[dict[str, Any]]] = {}
    skipped = 0
    try:
        for name, version, commit, date in release_tags(repo):
            entry = one_version(blobs, texts, name, version, commit, date)
            if entry is None:
                skipped += 1
                continue
            environments.setdefault(name, []).append(entry)
    finally:
        blobs.close()
    if skipped:
        print(f"skipped {skipped} tags whose release files do not describe their version", file=sys.stderr)
    head = git(repo, "rev-parse", "HEAD").strip()
    return {
        "source": SOURCE,
        "sourceCommit": head,
        "texts": texts.items,
        "environments": [
            {"name": name, "versions": sorted(versions, key=lambda v: int(v["version"]))}
            for name, versions in sorted(environments.items())
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repository", type=Path, help="a clone of Azure/azureml-assets with its tags")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    data = generate(args.repository)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=None, separators=(",", ":"), sort_keys=True) + "\n")
    count = sum(len(e["versions"]) for e in data["environments"])
    print(f"{len(data['environments'])} environments, {count} versions -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
