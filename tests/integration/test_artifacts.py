"""Artifact blobs through the API in process (on SQLite and PostgreSQL): upload, dedup, refusal
of bytes that do not match their digest, streaming download, the 404s, and the SDK's tree upload
and download over the same app."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest

from amlite.sdk._pipeline import HttpPipeline
from amlite.sdk.artifacts import ManifestEntry, download_tree, upload_tree
from amlite.sdk.errors import ResourceNotFoundError
from tests.integration.conftest import ML, Api

OCTET = {"Content-Type": "application/octet-stream"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(api: Api, rg: str, ws: str, digest: str) -> str:
    return f"{api.ws_path(rg, ws)}/artifacts/blobs/{digest}"


@pytest.fixture
def workspace(api: Api, name: str) -> tuple[str, str]:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    return name, "ws1"


def blob_files(api: Api, region: str = "eastus") -> list[Path]:
    root: Path = api.container.deps.blobs(region).root  # type: ignore[attr-defined]
    return [p for p in root.rglob("*") if p.is_file() and "/sha256/" in str(p)]


def partial_files(api: Api, region: str = "eastus") -> list[Path]:
    root: Path = api.container.deps.blobs(region).root  # type: ignore[attr-defined]
    return list(root.rglob("*.part"))


def test_upload_then_head_then_download(api: Api, workspace: tuple[str, str]) -> None:
    data = random.Random(1).randbytes(3 * 1024 * 1024 + 17)
    path = blob_path(api, *workspace, sha(data))
    assert api.request("HEAD", path, ML).status_code == 404

    put = api.request("PUT", path, ML, content=data, headers=OCTET)
    assert put.status_code == 201, put.text
    assert put.json() == {"sha256": sha(data), "size": len(data), "existed": False}

    head = api.request("HEAD", path, ML)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))

    got = api.request("GET", path, ML)
    assert got.status_code == 200 and got.content == data
    assert got.headers["x-ms-served-region"] == "eastus"
    assert got.headers["content-type"] == "application/octet-stream"
    assert partial_files(api) == []


def test_the_same_bytes_uploaded_twice_are_stored_once(api: Api, workspace: tuple[str, str]) -> None:
    data = b"the same bytes " * 1000
    before = len(blob_files(api))
    first = api.request("PUT", blob_path(api, *workspace, sha(data)), ML, content=data, headers=OCTET)
    second = api.request("PUT", blob_path(api, *workspace, sha(data).upper()), ML, content=data, headers=OCTET)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {"sha256": sha(data), "size": len(data), "existed": True}
    assert len(blob_files(api)) == before + 1


def test_bytes_that_do_not_match_the_digest_are_refused_and_store_nothing(api: Api, workspace: tuple[str, str]) -> None:
    claimed = sha(b"what the client meant to send")
    before = blob_files(api)
    r = api.request("PUT", blob_path(api, *workspace, claimed), ML, content=b"what it sent", headers=OCTET)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BlobHashMismatch"
    assert api.request("HEAD", blob_path(api, *workspace, claimed), ML).status_code == 404
    assert api.request("HEAD", blob_path(api, *workspace, sha(b"what it sent")), ML).status_code == 404
    assert blob_files(api) == before and partial_files(api) == []


def test_json_bodies_and_bad_digests_are_refused(api: Api, workspace: tuple[str, str]) -> None:
    r = api.request("PUT", blob_path(api, *workspace, sha(b"{}")), ML, json={})
    assert r.status_code == 415 and r.json()["error"]["code"] == "UnsupportedMediaType"
    for method in ("PUT", "GET"):
        bad = api.request(method, blob_path(api, *workspace, "not-a-digest"), ML, content=b"x", headers=OCTET)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidBlobDigest", method


def test_missing_blobs_and_workspaces_are_404(api: Api, workspace: tuple[str, str]) -> None:
    rg, _ = workspace
    missing = sha(b"never uploaded")
    r = api.request("GET", blob_path(api, *workspace, missing), ML)
    assert r.status_code == 404 and r.json()["error"]["code"] == "BlobNotFound"
    assert api.request("HEAD", blob_path(api, *workspace, missing), ML).status_code == 404
    for method, body in (("GET", None), ("PUT", b"data")):
        r = api.request(method, blob_path(api, rg, "nows", sha(b"data")), ML, content=body, headers=OCTET)
        assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound", method


def test_blobs_live_in_the_workspace_region_and_its_storage_account(api: Api, name: str) -> None:
    api.create_group(name, "westus")
    ws = api.create_workspace(name, "wswest", "westus")
    account = ws["properties"]["storageAccount"].rsplit("/", 1)[1]
    data = b"stored in the west"
    r = api.request("PUT", blob_path(api, name, "wswest", sha(data)), ML, content=data, headers=OCTET)
    assert r.status_code == 201
    got = api.request("GET", blob_path(api, name, "wswest", sha(data)), ML)
    assert got.headers["x-ms-served-region"] == "westus"
    files = blob_files(api, "westus")
    assert [f for f in files if f.name == sha(data)][0].relative_to(api.container.deps.blobs("westus").root).parts[:2] == (  # type: ignore[attr-defined]
        account, f"azureml-blobstore-{ws['properties']['workspaceId']}",
    )


class _Token:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self


def test_sdk_uploads_and_restores_a_tree(api: Api, workspace: tuple[str, str], tmp_path: Path) -> None:
    tree = tmp_path / "model"
    (tree / "weights").mkdir(parents=True)
    (tree / "weights" / "part1.bin").write_bytes(random.Random(2).randbytes(2 * 1024 * 1024 + 5))
    (tree / "weights" / "copy.bin").write_bytes((tree / "weights" / "part1.bin").read_bytes())
    (tree / "MLmodel").write_text("flavors: {}\n")
    (tree / "empty.txt").write_bytes(b"")
    pipeline = HttpPipeline(_Token(api.token), "http://127.0.0.1:8600", transport=api.client._transport)
    scope = api.ws_path(*workspace)
    progress: list[tuple[int, int]] = []

    manifest = upload_tree(pipeline, scope, tree, on_progress=lambda done, total: progress.append((done, total)))
    assert [e.path for e in manifest] == ["MLmodel", "empty.txt", "weights/copy.bin", "weights/part1.bin"]
    total = sum(e.size for e in manifest)
    assert progress[0] == (0, total) and progress[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in zip(progress, progress[1:]))

    again: list[tuple[int, int]] = []
    assert upload_tree(pipeline, scope, tree, on_progress=lambda d, t: again.append((d, t))) == manifest
    assert len(again) == len(manifest) + 1  # everything was there: HEADs only, no bytes sent

    dest = tmp_path / "restored"
    written = download_tree(pipeline, scope, manifest, dest)
    assert len(written) == 4
    for entry in manifest:
        assert (dest / entry.path).read_bytes() == (tree / entry.path).read_bytes()
    assert not list(dest.rglob("*.part"))

    with pytest.raises(ResourceNotFoundError):
        download_tree(pipeline, scope, [ManifestEntry("lost.bin", sha(b"lost"), 4)], tmp_path / "other")
    assert not (tmp_path / "other" / "lost.bin").exists()
    pipeline.close()


def test_sdk_upload_to_a_missing_workspace_says_so(api: Api, workspace: tuple[str, str], tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    pipeline = HttpPipeline(_Token(api.token), "http://127.0.0.1:8600", transport=api.client._transport)
    with pytest.raises(ResourceNotFoundError) as caught:
        upload_tree(pipeline, api.ws_path(workspace[0], "nows"), tmp_path / "f.txt")
    assert caught.value.code == "ResourceNotFound"
