"""How many store transactions each asset request opens, pinned so the number only goes down.

A request authenticates its caller, checks the route's action, resolves the asset's owner and
does its work; each transaction is a round trip (and on PostgreSQL a commit) on the hot path.
A read is one transaction; a version create is two: the authorization, owner and storage lookup
in one read, the blob check outside any transaction, and the write with its audit entry in one
write. A registry share reads the source and the target registry once and writes once.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.integration.conftest import ML, Api
from tests.integration.test_registry_assets import make_registry
from tests.integration.transactions import counting_transactions

ONE_KIB = bytes(range(256)) * 4


@pytest.fixture
def ws(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    return api.ws_path(name, "ws1")


def upload(api: Api, owner_path: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    r = api.client.put(api.url(f"{owner_path}/artifacts/blobs/{digest}", ML), content=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code in (200, 201), r.text
    return digest


def model_body(digest: str) -> dict[str, Any]:
    return {"properties": {"modelType": "custom_model", "tags": {"stage": "dev"},
                           "artifacts": [{"path": "model/w.bin", "sha256": digest, "size": len(ONE_KIB)}]}}


def test_a_version_create_with_an_uploaded_artifact_is_two_transactions(api: Api, ws: str) -> None:
    digest = upload(api, ws, ONE_KIB)  # its own request, not counted
    with counting_transactions(api.container.engine) as counted:
        r = api.request("PUT", f"{ws}/models/m/versions/1", ML, json=model_body(digest))
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads
    with counting_transactions(api.container.engine) as counted:
        r = api.request("POST", f"{ws}/models/m/versions", ML, json=model_body(digest))
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads


def test_a_version_create_without_files_is_two_transactions(api: Api, ws: str) -> None:
    body = {"properties": {"modelType": "custom_model", "modelUri": "https://example.org/m.pkl"}}
    with counting_transactions(api.container.engine) as counted:
        r = api.request("PUT", f"{ws}/models/m/versions/1", ML, json=body)
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads


def test_reads_are_one_transaction(api: Api, ws: str) -> None:
    digest = upload(api, ws, ONE_KIB)
    assert api.request("PUT", f"{ws}/models/m/versions/1", ML, json=model_body(digest)).status_code == 201
    for path in (f"{ws}/models/m/versions/1", f"{ws}/models/m/versions/@latest", f"{ws}/models/m/versions",
                 f"{ws}/models/m", f"{ws}/models"):
        with counting_transactions(api.container.engine) as counted:
            r = api.request("GET", path, ML)
        assert r.status_code == 200, (path, r.text)
        assert counted.count == 1, (path, counted.threads)


def test_a_registry_share_is_two_transactions(api: Api, ws: str, name: str) -> None:
    make_registry(api, name, f"reg-{name}")
    digest = upload(api, ws, ONE_KIB)
    assert api.request("PUT", f"{ws}/models/m/versions/1", ML, json=model_body(digest)).status_code == 201
    share = {"registryName": f"reg-{name}", "shareWithName": "prod", "shareWithVersion": "1"}
    with counting_transactions(api.container.engine) as counted:
        r = api.request("POST", f"{ws}/models/m/versions/1/share", ML, json=share)
    assert r.status_code == 201, r.text
    assert counted.count == 2, counted.threads
