"""Datastores through the API, on both stores: create, show, list, update, delete; credentials kept
encrypted, never shown by GET or list, returned by listSecrets only to those allowed."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from amlite.domain.builtin_roles import built_in_role
from amlite.domain.resources import Principal, PrincipalKind
from amlite.services.tokens import hash_secret
from amlite.store import tables
from tests.integration.conftest import ML, Api

KEY = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVl=="


@pytest.fixture
def ws(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    return name


def ds_url(api: Api, rg: str, name: str = "") -> str:
    return f"{api.ws_path(rg, 'ws1')}/datastores" + (f"/{name}" if name else "")


def blob_body(**extra: Any) -> dict[str, Any]:
    return {"properties": {
        "datastoreType": "AzureBlob", "accountName": "mydata", "containerName": "raw",
        "credentials": {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey", "key": KEY}},
        "description": "raw data", "tags": {"team": "a"}, **extra,
    }}


def test_create_show_list_keep_secrets_out(api: Api, ws: str) -> None:
    r = api.request("PUT", ds_url(api, ws, "raw_data"), ML, json=blob_body(subscriptionId=api.sub, resourceGroup="storage-rg"))
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["credentials"] == {"credentialsType": "AccountKey"}
    assert props["containerName"] == "raw" and props["resourceGroup"] == "storage-rg" and not props["isDefault"]
    shown = api.request("GET", ds_url(api, ws, "RAW_DATA"), ML)
    assert shown.status_code == 200 and shown.json()["name"] == "raw_data"
    listed = api.request("GET", ds_url(api, ws), ML)
    names = [d["name"] for d in listed.json()["value"]]
    assert names == ["raw_data", "workspaceblobstore", "workspacefilestore"]
    for text in (r.text, shown.text, listed.text):
        assert KEY not in text
    # the store holds ciphertext only
    with api.container.engine.connect() as conn:
        stored = [row.ciphertext for row in conn.execute(sa.select(tables.secrets))]
    assert stored and all(KEY not in c for c in stored)
    secrets = api.request("POST", ds_url(api, ws, "raw_data") + "/listSecrets", ML)
    assert secrets.status_code == 200 and secrets.json() == {"secretsType": "AccountKey", "key": KEY}


def test_sas_update_adls_and_file_shapes(api: Api, ws: str) -> None:
    sas = {"credentialsType": "Sas", "secrets": {"secretsType": "Sas", "sasToken": "sv=2024&sig=abc"}}
    api.request("PUT", ds_url(api, ws, "d1"), ML, json=blob_body())
    updated = api.request("PUT", ds_url(api, ws, "d1"), ML, json=blob_body(credentials=sas, description="now sas"))
    assert updated.status_code == 200 and updated.json()["properties"]["description"] == "now sas"
    assert api.request("POST", ds_url(api, ws, "d1") + "/listSecrets", ML).json() == {"secretsType": "Sas",
                                                                                   "sasToken": "sv=2024&sig=abc"}
    lake = {"properties": {"datastoreType": "AzureDataLakeGen2", "accountName": "lake", "filesystem": "fs"}}
    r = api.request("PUT", ds_url(api, ws, "lake"), ML, json=lake)
    assert r.status_code == 201 and r.json()["properties"]["filesystem"] == "fs"
    assert r.json()["properties"]["credentials"] == {"credentialsType": "None"}
    share = {"properties": {"datastoreType": "AzureFile", "accountName": "files", "fileShareName": "share"}}
    assert api.request("PUT", ds_url(api, ws, "share"), ML, json=share).json()["properties"]["fileShareName"] == "share"


def test_delete_removes_datastore_and_secret_but_not_defaults(api: Api, ws: str) -> None:
    api.request("PUT", ds_url(api, ws, "gone"), ML, json=blob_body())
    assert api.request("DELETE", ds_url(api, ws, "gone"), ML).status_code == 200
    assert api.request("GET", ds_url(api, ws, "gone"), ML).status_code == 404
    assert api.request("DELETE", ds_url(api, ws, "gone"), ML).status_code == 204
    with api.container.engine.connect() as conn:
        assert not [r for r in conn.execute(sa.select(tables.secrets.c.name)) if "gone" in r.name]
    refused = api.request("DELETE", ds_url(api, ws, "workspaceblobstore"), ML)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CannotDeleteDefaultDatastore"


def test_data_assets_on_a_new_datastore_resolve(api: Api, ws: str) -> None:
    data = {"properties": {"dataType": "uri_folder", "dataUri": "azureml://datastores/raw/paths/iris/"}}
    url = f"{api.ws_path(ws, 'ws1')}/data/iris/versions/1"
    assert api.request("PUT", url, ML, json=data).json()["error"]["code"] == "DatastoreNotFound"
    api.request("PUT", ds_url(api, ws, "raw"), ML, json=blob_body())
    assert api.request("PUT", url, ML, json=data).status_code == 201


@pytest.mark.parametrize("body, target", [
    ({"properties": {"datastoreType": "S3", "accountName": "a12", "containerName": "c"}}, "properties.datastoreType"),
    ({"properties": {"datastoreType": "AzureBlob", "accountName": "Bad_Account", "containerName": "c"}},
     "properties.accountName"),
    ({"properties": {"datastoreType": "AzureBlob", "accountName": "acct"}}, "properties.containerName"),
    ({"properties": {"datastoreType": "AzureBlob", "accountName": "acct", "containerName": "c",
                     "credentials": {"credentialsType": "AccountKey", "secrets": {}}}}, "properties.credentials.secrets.key"),
    ({"properties": {"datastoreType": "AzureBlob", "accountName": "acct", "containerName": "c",
                     "credentials": {"credentialsType": "Password"}}}, "properties.credentials.credentialsType"),
])
def test_bad_datastores_change_nothing(api: Api, ws: str, body: dict[str, Any], target: str) -> None:
    before = api.snapshot()
    r = api.request("PUT", ds_url(api, ws, "bad"), ML, json=body)
    assert r.status_code == 400 and r.json()["error"]["target"] == target, r.text
    bad_name = api.request("PUT", ds_url(api, ws, "bad-name"), ML, json=blob_body())
    assert bad_name.status_code == 400 and bad_name.json()["error"]["code"] == "InvalidDatastoreName"
    assert api.snapshot() == before


def test_reader_cannot_list_secrets(api: Api, ws: str, name: str) -> None:
    """A Reader on the workspace reads datastores but is refused their credentials."""
    api.request("PUT", ds_url(api, ws, "raw"), ML, json=blob_body())
    token = _reader_token(api, ws, name)
    auth = {"Authorization": f"Bearer {token}"}
    assert api.client.get(api.url(ds_url(api, ws, "raw"), ML), headers=auth).status_code == 200
    denied = api.client.post(api.url(ds_url(api, ws, "raw") + "/listSecrets", ML), headers=auth)
    assert denied.status_code == 403, denied.text
    assert "Microsoft.MachineLearningServices/workspaces/datastores/listsecrets/action" in denied.json()["error"]["message"]
    refused = api.client.put(api.url(ds_url(api, ws, "other"), ML), json=blob_body(), headers=auth)
    assert refused.status_code == 403


def _reader_token(api: Api, rg: str, name: str) -> str:
    """A token of a new service principal that holds Reader at the workspace."""
    d = api.container.deps
    app_id, principal_id = d.ids.new_id(), d.ids.new_id()
    with d.uow(write=True) as uow:
        uow.principals.add(Principal(id=principal_id, tenant_id=api.tenant, kind=PrincipalKind.SERVICE_PRINCIPAL,
                                     display_name=name, app_id=app_id, secret_hash=hash_secret("s3cret"),
                                     created_at=d.clock.now()))
        uow.commit()
    reader = built_in_role("Reader").id
    scope = api.ws_path(rg, "ws1")
    r = api.client.put(
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/{d.ids.new_id()}?api-version=2022-04-01",
        json={"properties": {"principalId": principal_id, "roleDefinitionId":
                             f"/subscriptions/{api.sub}/providers/Microsoft.Authorization/roleDefinitions/{reader}"}})
    assert r.status_code in (200, 201), r.text
    token = api.client.post(f"/{api.tenant}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": app_id, "client_secret": "s3cret"}).json()["access_token"]
    return str(token)
