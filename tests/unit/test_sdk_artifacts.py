"""The SDK's manifests and tree transfers: paths never leave their root, downloads are checked and
atomic. The server is an ``httpx.MockTransport`` holding blobs in a dict."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from amlite.sdk._pipeline import HttpPipeline
from amlite.sdk.artifacts import ManifestEntry, checked_relative_path, download_tree, manifest_of, upload_tree
from amlite.sdk.errors import HttpResponseError, ValidationException

SCOPE = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FakeCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> str:
        return "token"


class BlobServer:
    """Just enough of the artifact routes: HEAD, GET and PUT by digest, verified."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.puts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        digest = request.url.path.rsplit("/", 1)[1]
        if request.method == "PUT":
            self.puts += 1
            body = request.read()
            if sha(body) != digest:
                return httpx.Response(400, json={"error": {"code": "BlobHashMismatch", "message": "no"}})
            existed = digest in self.blobs
            self.blobs[digest] = body
            return httpx.Response(200 if existed else 201, json={"sha256": digest, "size": len(body), "existed": existed})
        if digest not in self.blobs:
            return httpx.Response(404, json={"error": {"code": "BlobNotFound", "message": "missing"}})
        content = b"" if request.method == "HEAD" else self.blobs[digest]
        return httpx.Response(200, content=content, headers={"Content-Length": str(len(self.blobs[digest]))})

    def pipeline(self) -> HttpPipeline:
        return HttpPipeline(FakeCredential(), "http://amlite.test", transport=httpx.MockTransport(self))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project" / "model"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")
    (root / "sub" / "b.bin").write_bytes(b"beta" * 1000)
    return root


# -- manifests ---------------------------------------------------------------------------------


def test_manifest_of_a_folder_is_sorted_posix_relative(tree: Path) -> None:
    assert manifest_of(tree) == [
        ManifestEntry("a.txt", sha(b"alpha"), 5),
        ManifestEntry("sub/b.bin", sha(b"beta" * 1000), 4000),
    ]
    assert manifest_of(tree / "sub" / "b.bin") == [ManifestEntry("b.bin", sha(b"beta" * 1000), 4000)]


def test_manifest_refuses_dot_dot_and_absolute_paths_outside_the_root(tree: Path) -> None:
    project = tree.parent
    assert [e.path for e in manifest_of("model", root=project)] == ["a.txt", "sub/b.bin"]
    assert manifest_of("model/../model/a.txt", root=project)[0].path == "a.txt"
    with pytest.raises(ValidationException) as caught:
        manifest_of("../outside", root=project)
    assert caught.value.error.code == "PathEscapesRoot" and "'..'" in str(caught.value)
    with pytest.raises(ValidationException, match="absolute path outside"):
        manifest_of("/etc", root=project)
    assert manifest_of(str(tree / "a.txt"), root=project)[0].path == "a.txt"  # absolute but inside


def test_manifest_refuses_symlinks_that_point_outside(tree: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("keys")
    (tree / "sub" / "leak").symlink_to(secret)
    with pytest.raises(ValidationException) as caught:
        manifest_of(tree)
    assert caught.value.error.code == "PathEscapesRoot" and "symlink" in str(caught.value)
    (tree / "sub" / "leak").unlink()
    (tree / "outdir").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ValidationException, match="symlink"):
        manifest_of(tree)
    (tree / "outdir").unlink()
    (tree.parent / "link").symlink_to(secret)
    with pytest.raises(ValidationException, match="symlink"):
        manifest_of("link", root=tree.parent)


def test_symlinks_inside_the_tree_are_followed_and_loops_end(tree: Path) -> None:
    (tree / "alias.txt").symlink_to(tree / "a.txt")
    (tree / "sub" / "loop").symlink_to(tree, target_is_directory=True)
    assert [e.path for e in manifest_of(tree)] == ["a.txt", "alias.txt", "sub/b.bin"]


def test_special_files_and_missing_paths_are_refused(tree: Path) -> None:
    os.mkfifo(tree / "pipe")
    with pytest.raises(ValidationException) as caught:
        manifest_of(tree)
    assert caught.value.error.code == "UnsupportedFileType"
    with pytest.raises(ValidationException) as missing:
        manifest_of(tree / "nothing")
    assert missing.value.error.code == "PathNotFound"


@pytest.mark.parametrize("bad", ["", "../x", "a/../../x", "/etc/passwd", "C:/x", "..\\x", "a\\..\\..\\x", "\\\\srv\\x", ".", "a\x00b"])
def test_checked_relative_path_refuses_escapes(bad: str) -> None:
    with pytest.raises(ValidationException):
        checked_relative_path(bad)


def test_checked_relative_path_normalizes_harmless_paths() -> None:
    assert str(checked_relative_path("./a/./b.txt")) == "a/b.txt"
    assert str(checked_relative_path("a..b/c")) == "a..b/c"


# -- transfers ---------------------------------------------------------------------------------


def test_upload_skips_blobs_the_server_has_and_sends_duplicates_once(tree: Path) -> None:
    (tree / "dup.txt").write_bytes(b"alpha")
    server = BlobServer()
    manifest = upload_tree(server.pipeline(), SCOPE, tree)
    assert server.puts == 2 and len(manifest) == 3
    upload_tree(server.pipeline(), SCOPE, tree)
    assert server.puts == 2


def test_download_restores_the_tree_and_refuses_escaping_paths(tree: Path, tmp_path: Path) -> None:
    server = BlobServer()
    pipeline = server.pipeline()
    manifest = upload_tree(pipeline, SCOPE, tree)
    dest = tmp_path / "dest"
    download_tree(pipeline, SCOPE, manifest, dest)
    assert (dest / "sub" / "b.bin").read_bytes() == b"beta" * 1000

    for path in ("../evil.txt", "/tmp/evil.txt", "sub/../../evil.txt"):
        with pytest.raises(ValidationException):
            download_tree(pipeline, SCOPE, [ManifestEntry(path, sha(b"alpha"), 5)], tmp_path / "d2")
    assert not (tmp_path / "evil.txt").exists()

    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationException, match="symlink"):
        download_tree(pipeline, SCOPE, [ManifestEntry("link/evil.txt", sha(b"alpha"), 5)], dest)
    assert list(outside.iterdir()) == []


def test_a_download_that_does_not_match_its_digest_is_not_written(tmp_path: Path) -> None:
    server = BlobServer()
    server.blobs[sha(b"good")] = b"evil"  # a server (or disk) that lies
    with pytest.raises(HttpResponseError, match="not written"):
        download_tree(server.pipeline(), SCOPE, [ManifestEntry("f.txt", sha(b"good"), 4)], tmp_path / "d")
    assert list((tmp_path / "d").iterdir()) == []
