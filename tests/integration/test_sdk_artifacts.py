"""The SDK's tree transfers against the real app (on SQLite and PostgreSQL): blobs the server
has are not sent again, downloads never write outside their root, and bytes that do not match
their digest are never written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from amlite.sdk._pipeline import HttpPipeline
from amlite.sdk.artifacts import ManifestEntry, download_tree, upload_tree
from amlite.sdk.errors import HttpResponseError, ValidationException
from tests.integration.clients import AdminToken, Workspace, workspace  # noqa: F401 (fixture)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pipeline(ws: Workspace) -> HttpPipeline:
    return HttpPipeline(AdminToken(ws.api), ws.api.container.endpoint, transport=ws.transport)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project" / "model"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")
    (root / "sub" / "b.bin").write_bytes(b"beta" * 1000)
    return root


def test_upload_skips_blobs_the_server_has_and_sends_duplicates_once(workspace: Workspace, tree: Path) -> None:
    (tree / "dup.txt").write_bytes(b"alpha")
    manifest = upload_tree(pipeline(workspace), workspace.path, tree)
    assert len(manifest) == 3
    puts = workspace.transport.sent("PUT", "/artifacts/blobs/")
    assert sorted(r.url.path.rsplit("/", 1)[1] for r in puts) == sorted([sha(b"alpha"), sha(b"beta" * 1000)])
    upload_tree(pipeline(workspace), workspace.path, tree)
    assert len(workspace.transport.sent("PUT", "/artifacts/blobs/")) == 2  # the server had both


def test_download_restores_the_tree_and_refuses_escaping_paths(workspace: Workspace, tree: Path, tmp_path: Path) -> None:
    client = pipeline(workspace)
    manifest = upload_tree(client, workspace.path, tree)
    dest = tmp_path / "dest"
    download_tree(client, workspace.path, manifest, dest)
    assert (dest / "sub" / "b.bin").read_bytes() == b"beta" * 1000
    assert (dest / "a.txt").read_bytes() == b"alpha"

    sent = len(workspace.transport.requests)
    for path in ("../evil.txt", "/tmp/evil.txt", "sub/../../evil.txt"):
        with pytest.raises(ValidationException):
            download_tree(client, workspace.path, [ManifestEntry(path, sha(b"alpha"), 5)], tmp_path / "d2")
    assert not (tmp_path / "evil.txt").exists()

    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationException, match="symlink"):
        download_tree(client, workspace.path, [ManifestEntry("link/evil.txt", sha(b"alpha"), 5)], dest)
    assert list(outside.iterdir()) == []
    assert len(workspace.transport.requests) == sent  # refused before anything was asked of the server


def test_a_download_that_does_not_match_its_digest_is_not_written(workspace: Workspace, tmp_path: Path) -> None:
    """Storage that rots (or lies): the blob stored under sha256(b"good") now holds other bytes."""
    source = tmp_path / "good.txt"
    source.write_bytes(b"good")
    upload_tree(pipeline(workspace), workspace.path, source)
    root: Path = workspace.api.container.deps.blobs("eastus").root  # type: ignore[attr-defined]
    (stored,) = [p for p in root.rglob(sha(b"good")) if p.is_file()]
    stored.chmod(0o600)
    stored.write_bytes(b"evil")
    with pytest.raises(HttpResponseError, match="not written"):
        download_tree(pipeline(workspace), workspace.path, [ManifestEntry("f.txt", sha(b"good"), 4)], tmp_path / "d")
    assert list((tmp_path / "d").iterdir()) == []
