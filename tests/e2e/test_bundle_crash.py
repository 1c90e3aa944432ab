"""kill -9 of a real server just before an import's metadata commit: after the restart nothing of
the bundle is in the target workspace (no half import), and importing the same bundle again
brings all of it, reusing the blobs the killed attempt had already stored."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import start_server
from tests.e2e.test_crash_recovery import ML, RES, Session, crash_and_restart, db_url

__all__ = ["db_url"]


@pytest.mark.e2e
def test_kill_before_the_import_commit_leaves_no_half_import(tmp_path: Path, db_url: str | None) -> None:
    server = start_server(tmp_path / "data", env={"AMLITE_CRASH_AT": "bundle.import.before_commit"}, db_url=db_url)
    try:
        s = Session(server)
        for rg, location in (("east", "eastus"), ("west", "westus")):
            assert s.http.put(f"{s.rg(rg)}?{RES}", json={"location": location}).status_code == 201
        src, dst = s.ws("east", "src"), s.ws("west", "dst")
        for ws, location in ((src, "eastus"), (dst, "westus")):
            assert s.http.put(f"{ws}?{ML}", json={"location": location}).status_code == 200
        data = b"rows that must arrive whole or not at all\n"
        digest = hashlib.sha256(data).hexdigest()
        up = s.http.put(f"{src}/artifacts/blobs/{digest}?{ML}", content=data,
                        headers={"Content-Type": "application/octet-stream"})
        assert up.status_code == 201, up.text
        body = {"properties": {"dataType": "uri_file", "artifacts": [
            {"path": "rows.csv", "sha256": digest, "size": len(data)}]}}
        assert s.http.put(f"{src}/data/rows/versions/1?{ML}", json=body).status_code == 201
        bundle = s.http.post(f"{src}/export?{ML}")
        assert bundle.status_code == 200, bundle.text

        with pytest.raises(httpx.TransportError):
            s.http.post(f"{dst}/import?{ML}", content=bundle.content, headers={"Content-Type": "application/x-tar"})
        crash_and_restart(server)

        s = Session(server)
        assert s.http.get(f"{dst}/data/rows/versions/1?{ML}").status_code == 404  # nothing of the bundle
        assert s.http.get(f"{dst}/data?{ML}").json()["value"] == []
        again = s.http.post(f"{dst}/import?{ML}", content=bundle.content, headers={"Content-Type": "application/x-tar"})
        assert again.status_code == 200, again.text
        assert again.json()["new"]["versions"] == 1 and again.json()["blobsAlreadyPresent"] == 1
        got = s.http.get(f"{dst}/artifacts/blobs/{digest}?{ML}")
        assert got.status_code == 200 and got.content == data and got.headers["x-ms-served-region"] == "westus"
    finally:
        server.stop()
