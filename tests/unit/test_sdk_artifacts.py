"""The SDK's manifests: paths never leave their root, special files and escaping symlinks are
refused. Transfers to and from the real app are tests/integration/test_sdk_artifacts.py."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from amlite.sdk.artifacts import ManifestEntry, checked_relative_path, manifest_of
from amlite.sdk.errors import ValidationException


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
