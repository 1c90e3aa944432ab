"""Workspace bundles through the real ``amlite`` CLI against a real server: a workspace in eastus
is exported (``.tar.gz``) and imported into one in westus, its model's bytes download the same
there; a second import adds nothing; a bundle with one flipped byte is refused naming the member,
with nothing imported; a backup restores into it; ``.tar.zst`` is refused saying what is missing."""

from __future__ import annotations

import gzip
import io
import tarfile
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def _flip_blob(src: Path, dst: Path) -> str:
    """Copy the bundle with the first byte of its first blob flipped; the blob's member name."""
    flipped = ""
    out = io.BytesIO()
    with tarfile.open(src) as tar, tarfile.open(fileobj=out, mode="w") as copy:
        for member in tar:
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if not flipped and member.name.startswith("blobs/"):
                flipped, data = member.name, bytes([data[0] ^ 1]) + data[1:]
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    dst.write_bytes(out.getvalue())
    return flipped


def test_export_import_into_another_region(logged_in: Cli, tmp_path: Path) -> None:
    cli = logged_in
    east, west = f"rg-{uuid.uuid4().hex[:8]}", f"rg-{uuid.uuid4().hex[:8]}"
    cli.json("group", "create", "-g", east, "-l", "eastus")
    cli.json("group", "create", "-g", west, "-l", "westus")
    cli.json("ml", "workspace", "create", "-n", "prim", "-g", east)
    cli.json("ml", "workspace", "create", "-n", "sec", "-g", west)
    cli.json("ml", "workspace", "create", "-n", "spare", "-g", west)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "w.bin").write_bytes(b"weights carried in a bundle")
    (tmp_path / "model.yml").write_text("name: carried\nversion: 1\npath: ./model\ntype: custom_model\n"
                                        "tags:\n  stage: prod\n")
    cli.json("ml", "model", "create", "--file", str(tmp_path / "model.yml"), "-w", "prim", "-g", east)

    bundle = tmp_path / "prim.tar.gz"
    exported = cli.json("ml", "workspace", "export", "-n", "prim", "-g", east, "--to", str(bundle))
    assert exported["blobs"] == 1 and bundle.is_file()
    with gzip.open(bundle) as raw:
        assert raw.read(512)  # gzipped as the name asked

    imported = cli.json("ml", "workspace", "import", "-n", "sec", "-g", west, "--from", str(bundle))
    assert imported["region"] == "westus" and imported["new"]["versions"] == 1, imported
    shown = cli.json("ml", "model", "show", "-n", "carried", "-v", "1", "-w", "sec", "-g", west)
    assert shown["tags"] == {"stage": "prod"}
    got = cli("ml", "model", "download", "-n", "carried", "-v", "1", "-w", "sec", "-g", west,
              "--download-path", str(tmp_path / "down"))
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "down" / "carried" / "model" / "w.bin").read_bytes() == b"weights carried in a bundle"
    again = cli.json("ml", "workspace", "import", "-n", "sec", "-g", west, "--from", str(bundle))
    assert again["totalNew"] == 0

    plain = tmp_path / "prim.tar"
    with gzip.open(bundle) as raw:
        plain.write_bytes(raw.read())
    bad = tmp_path / "bad.tar"
    member = _flip_blob(plain, bad)
    refused = cli("ml", "workspace", "import", "-n", "spare", "-g", west, "--from", str(bad))
    assert refused.returncode != 0 and "BundleCorrupt" in refused.stderr and member in refused.stderr, refused.stderr
    assert cli.json("ml", "model", "list", "-w", "spare", "-g", west) == []

    backup = tmp_path / "prim-backup.tar"
    taken = cli.json("ml", "workspace", "backup", "-n", "prim", "-g", east, "--to", str(backup))
    assert taken["blobs"] == 1
    restored = cli.json("ml", "workspace", "restore", "-n", "spare", "-g", west, "--from", str(backup))
    assert restored["new"]["versions"] == 1 and restored["region"] == "westus", restored
    assert [m["name"] for m in cli.json("ml", "model", "list", "-w", "spare", "-g", west)] == ["carried"]

    zst = cli("ml", "workspace", "export", "-n", "prim", "-g", east, "--to", str(tmp_path / "prim.tar.zst"))
    assert zst.returncode != 0 and "zstandard" in zst.stderr, zst.stderr
    assert not (tmp_path / "prim.tar.zst").exists()
