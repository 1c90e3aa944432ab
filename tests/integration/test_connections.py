"""Workspace connections through the API, on both stores: create, show, list with Azure's
filters, update, delete; credentials sealed in the secrets table, never in a GET, a list, a PUT's
answer or the audit log, and returned by ``listsecrets`` only to those holding its action."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from amlite.store import tables
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, bearer, create_user, user_token

KEY = "sk-aoai-0123456789abcdef"
PAT = "ghp_secretPersonalAccessToken"


@pytest.fixture
def ws(api: Api, name: str) -> str:
    api.create_group(name)
    api.create_workspace(name, "ws1")
    return name


def url(api: Api, rg: str, name: str = "", ws: str = "ws1") -> str:
    return f"{api.ws_path(rg, ws)}/connections" + (f"/{name}" if name else "")


def aoai(**extra: Any) -> dict[str, Any]:
    return {"properties": {"category": "AzureOpenAI", "target": "https://contoso.openai.azure.com/",
                           "authType": "ApiKey", "credentials": {"key": KEY},
                           "metadata": {"ApiVersion": "2024-02-01", "ApiType": "Azure"}, "isSharedToAll": True,
                           **extra}}


def git(**extra: Any) -> dict[str, Any]:
    return {"properties": {"category": "Git", "target": "https://github.com/contoso/repo", "authType": "PAT",
                           "credentials": {"pat": PAT}, **extra}}


def _everything_stored(api: Api) -> str:
    """Every stored value of every table (the audit log included), as one text to search."""
    with api.container.engine.connect() as conn:
        return "\n".join(str(tuple(row)) for table in tables.metadata.sorted_tables
                         for row in conn.execute(sa.select(table)))


def _sealed(api: Api, rg: str, secret: str) -> str | None:
    """The ciphertext workspace ``rg/ws1`` keeps under ``secret`` (``None``: none)."""
    with api.container.deps.uow() as uow:
        found = uow.workspaces.get(api.sub, rg, "ws1")
        assert found is not None
        return uow.secrets.get(found.key, secret)


def test_create_show_list_keep_credentials_out(api: Api, ws: str) -> None:
    created = api.request("PUT", url(api, ws, "my-aoai"), ML, json=aoai())
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["id"] == url(api, ws, "my-aoai") and body["type"] == "Microsoft.MachineLearningServices/workspaces/connections"
    props = body["properties"]
    assert props["category"] == "AzureOpenAI" and props["authType"] == "ApiKey" and "credentials" not in props
    assert props["createdByWorkspaceArmId"] == api.ws_path(ws, "ws1") and props["isSharedToAll"] is True
    assert body["systemData"]["createdBy"]
    shown = api.request("GET", url(api, ws, "MY-AOAI"), ML)
    assert shown.status_code == 200 and shown.json()["name"] == "my-aoai"
    api.request("PUT", url(api, ws, "repo"), ML, json=git())
    listed = api.request("GET", url(api, ws), ML)
    assert [c["name"] for c in listed.json()["value"]] == ["my-aoai", "repo"]
    for text in (created.text, shown.text, listed.text):
        assert KEY not in text and PAT not in text
    # the store (audit log included) never holds a credential in plain text
    stored = _everything_stored(api)
    assert KEY not in stored and PAT not in stored
    assert _sealed(api, ws, "connections--my-aoai") and _sealed(api, ws, "connections--repo")
    secrets = api.request("POST", url(api, ws, "my-aoai") + "/listsecrets", ML)
    assert secrets.status_code == 200, secrets.text
    assert secrets.json()["properties"]["credentials"] == {"key": KEY}
    assert secrets.json()["properties"]["target"] == "https://contoso.openai.azure.com/"
    # reading the credentials is in the activity log, the credentials are not
    with api.container.engine.connect() as conn:
        audited = [(r.action, r.scope) for r in conn.execute(sa.select(tables.audit_log))]
    assert ("Microsoft.MachineLearningServices/workspaces/connections/listsecrets/action",
            url(api, ws, "my-aoai")) in audited
    assert KEY not in _everything_stored(api)


def test_category_and_target_filters(api: Api, ws: str) -> None:
    api.request("PUT", url(api, ws, "a"), ML, json=aoai())
    api.request("PUT", url(api, ws, "b"), ML, json=git())
    api.request("PUT", url(api, ws, "c"), ML, json=git(target="https://github.com/contoso/other"))
    names = lambda r: [c["name"] for c in r.json()["value"]]  # noqa: E731
    assert names(api.request("GET", url(api, ws) + "?category=Git", ML)) == ["b", "c"]
    assert names(api.request("GET", url(api, ws) + "?category=azure_open_ai", ML)) == ["a"]
    assert names(api.request("GET", url(api, ws) + "?category=Git&target=https://github.com/contoso/other", ML)) == ["c"]
    bad = api.request("GET", url(api, ws) + "?category=Telepathy", ML)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidConnectionCategory"
    nul = api.request("GET", url(api, ws) + "?target=a%00b", ML)
    assert nul.status_code == 400 and nul.json()["error"]["target"] == "target"


@pytest.mark.parametrize("props", [
    {"category": "S3", "target": "https://s3.amazonaws.com/b", "authType": "AccessKey",
     "credentials": {"accessKeyId": "AKIA", "secretAccessKey": "s3-secret-value"}},
    {"category": "PythonFeed", "target": "https://pypi.example.com/simple", "authType": "UsernamePassword",
     "credentials": {"username": "u", "password": "feed-password"}},
    {"category": "CustomKeys", "target": "https://api.example.com", "authType": "CustomKeys",
     "credentials": {"keys": {"x-api-key": "custom-secret"}}},
    {"category": "CognitiveSearch", "target": "https://s.search.windows.net", "authType": "ApiKey",
     "credentials": {"key": "search-secret"}},
    {"category": "AzureBlob", "target": "https://acct.blob.core.windows.net/raw", "authType": "SAS",
     "credentials": {"sas": "sv=2024&sig=abc"}, "metadata": {"AccountName": "acct", "ContainerName": "raw"}},
    {"category": "ContainerRegistry", "target": "contoso.azurecr.io", "authType": "ServicePrincipal",
     "credentials": {"clientId": "c", "clientSecret": "sp-secret", "tenantId": "t"}},
    {"category": "ApiKey", "target": "https://api.example.com", "authType": "ApiKey", "credentials": {"key": "k"}},
    {"category": "AIServices", "target": "https://ai.cognitiveservices.azure.com", "authType": "AAD"},
    {"category": "ContainerRegistry", "target": "www.facebook.com", "authType": "None"},
    {"category": "AzureBlob", "target": "https://a.blob.core.windows.net/c", "authType": "ManagedIdentity",
     "credentials": {"clientId": "id", "resourceId": "/subscriptions/x"}},
])
def test_every_auth_type_round_trips_through_listsecrets(api: Api, ws: str, props: dict[str, Any]) -> None:
    r = api.request("PUT", url(api, ws, "c1"), ML, json={"properties": props})
    assert r.status_code == 200, r.text
    assert "credentials" not in r.json()["properties"]
    secrets = api.request("POST", url(api, ws, "c1") + "/listsecrets", ML).json()
    assert secrets["properties"]["credentials"] == props.get("credentials", {})


def test_patch_keeps_what_it_does_not_name(api: Api, ws: str) -> None:
    api.request("PUT", url(api, ws, "c"), ML, json=aoai())
    patched = api.request("PATCH", url(api, ws, "c"), ML, json={"properties": {"target": "https://new.example.com/",
                                                                           "metadata": {"ApiVersion": "2025-01-01"}}})
    assert patched.status_code == 200, patched.text
    props = patched.json()["properties"]
    assert props["target"] == "https://new.example.com/" and props["metadata"] == {"ApiVersion": "2025-01-01"}
    assert props["authType"] == "ApiKey" and props["category"] == "AzureOpenAI"
    secrets = api.request("POST", url(api, ws, "c") + "/listsecrets", ML).json()["properties"]["credentials"]
    assert secrets == {"key": KEY}
    rotated = api.request("PATCH", url(api, ws, "c"), ML, json={"properties": {"credentials": {"key": "rotated"}}})
    assert rotated.status_code == 200 and KEY not in rotated.text and "rotated" not in rotated.text
    assert api.request("POST", url(api, ws, "c") + "/listsecrets", ML).json()["properties"]["credentials"] == {
        "key": "rotated"}
    to_none = api.request("PATCH", url(api, ws, "c"), ML, json={"properties": {"authType": "None"}})
    assert to_none.status_code == 200
    assert api.request("POST", url(api, ws, "c") + "/listsecrets", ML).json()["properties"]["credentials"] == {}
    assert _sealed(api, ws, "connections--c") is None  # no credentials kept for an auth type without any
    missing = api.request("PATCH", url(api, ws, "nope"), ML, json={"properties": {"target": "x"}})
    assert missing.status_code == 404


def test_delete_removes_connection_and_its_secret(api: Api, ws: str) -> None:
    api.request("PUT", url(api, ws, "gone"), ML, json=git())
    assert api.request("DELETE", url(api, ws, "gone"), ML).status_code == 200
    assert api.request("GET", url(api, ws, "gone"), ML).status_code == 404
    assert api.request("POST", url(api, ws, "gone") + "/listsecrets", ML).status_code == 404
    assert api.request("DELETE", url(api, ws, "gone"), ML).status_code == 204
    assert _sealed(api, ws, "connections--gone") is None


def test_a_soft_deleted_workspace_keeps_its_connections_and_a_purged_one_loses_them(api: Api, ws: str) -> None:
    """Deleting a workspace soft-deletes it: re-creating it recovers its connections. Purging it
    deletes them with it."""
    api.request("PUT", url(api, ws, "c"), ML, json=git())
    api.wait(api.request("DELETE", api.ws_path(ws, "ws1"), ML))
    api.create_workspace(ws, "ws1")
    assert [c["name"] for c in api.request("GET", url(api, ws), ML).json()["value"]] == ["c"]
    api.wait(api.request("DELETE", api.ws_path(ws, "ws1"), f"forceToPurge=true&{ML}"))
    api.create_workspace(ws, "ws1")
    assert api.request("GET", url(api, ws), ML).json()["value"] == []


@pytest.mark.parametrize("body, code, target", [
    ({"properties": {"category": "Telepathy", "target": "x", "authType": "None"}},
     "InvalidConnectionCategory", "properties.category"),
    ({"properties": {"category": "Git", "target": "x", "authType": "Password"}},
     "InvalidConnectionAuthType", "properties.authType"),
    ({"properties": {"category": "Git", "target": "x", "authType": "OAuth2"}},
     "UnsupportedConnectionAuthType", "properties.authType"),
    ({"properties": {"target": "x", "authType": "None"}}, "InvalidRequestContent", "properties.category"),
    ({"properties": {"category": "Git", "target": "x"}}, "InvalidRequestContent", "properties.authType"),
    ({"properties": {"category": "Git", "target": "x", "authType": "PAT"}},
     "InvalidRequestContent", "properties.credentials.pat"),
    ({"properties": {"category": "Git", "target": "x", "authType": "PAT", "credentials": {"pat": ""}}},
     "InvalidRequestContent", "properties.credentials.pat"),
    ({"properties": {"category": "S3", "target": "x", "authType": "AccessKey",
                     "credentials": {"accessKeyId": "a"}}}, "InvalidRequestContent",
     "properties.credentials.secretAccessKey"),
    ({"properties": {"category": "Git", "target": "x", "authType": "PAT",
                     "credentials": {"pat": "p", "password": "leak-me"}}}, "InvalidRequestContent",
     "properties.credentials.password"),
    ({"properties": {"category": "Git", "target": "x", "authType": "None", "credentials": {"pat": "leak-me"}}},
     "InvalidRequestContent", "properties.credentials.pat"),
    ({"properties": {"category": "CustomKeys", "target": "x", "authType": "CustomKeys",
                     "credentials": {"keys": {}}}}, "InvalidRequestContent", "properties.credentials.keys"),
    ({"properties": {"category": "Git", "target": "x", "authType": "None", "expiryTime": "soon"}},
     "InvalidRequestContent", "properties.expiryTime"),
    ({}, "InvalidRequestContent", "properties"),
])
def test_bad_connections_change_nothing(api: Api, ws: str, body: dict[str, Any], code: str, target: str) -> None:
    api.request("PUT", url(api, ws, "kept"), ML, json=git())
    before = api.snapshot()
    r = api.request("PUT", url(api, ws, "bad"), ML, json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == code, r.text
    assert r.json()["error"]["target"] == target
    assert "leak-me" not in r.text
    if body.get("properties", {}).get("category") and body["properties"].get("authType") not in (None, "PAT") \
            or body == {} or "credentials" in body.get("properties", {}):
        # the same body as a PATCH of a PAT connection is as wrong (a PATCH may leave out what a PUT needs)
        patched = api.request("PATCH", url(api, ws, "kept"), ML, json=body)
        assert patched.status_code == 400, patched.text
    bad_name = api.request("PUT", url(api, ws, "bad name!"), ML, json=git())
    assert bad_name.status_code == 400 and bad_name.json()["error"]["code"] == "InvalidConnectionName"
    missing_ws = api.request("PUT", url(api, ws, "c", ws="nope"), ML, json=git())
    assert missing_ws.status_code == 404
    assert api.snapshot() == before
    assert "leak-me" not in _everything_stored(api)


def test_listsecrets_needs_its_action(api: Api, ws: str, name: str) -> None:
    """A Reader reads connections but is refused their credentials; an AzureML Data Scientist
    (whose role holds ``workspaces/*/action``) gets them."""
    api.request("PUT", url(api, ws, "c"), ML, json=aoai())
    scope = api.ws_path(ws, "ws1")
    reader, scientist = create_user(api, name + "r"), create_user(api, name + "d")
    assert assign(api, reader["id"], "Reader", scope).status_code in (200, 201)
    assert assign(api, scientist["id"], "AzureML Data Scientist", scope).status_code in (200, 201)
    as_reader = bearer(user_token(api, name + "r"))
    shown = api.client.get(api.url(url(api, ws, "c"), ML), headers=as_reader)
    assert shown.status_code == 200 and KEY not in shown.text
    listed = api.client.get(api.url(url(api, ws), ML), headers=as_reader)
    assert listed.status_code == 200 and KEY not in listed.text
    denied = api.client.post(api.url(url(api, ws, "c") + "/listsecrets", ML), headers=as_reader)
    assert denied.status_code == 403, denied.text
    assert "Microsoft.MachineLearningServices/workspaces/connections/listsecrets/action" in denied.json()["error"]["message"]
    assert KEY not in denied.text
    refused = api.client.put(api.url(url(api, ws, "other"), ML), json=git(), headers=as_reader)
    assert refused.status_code == 403
    as_scientist = bearer(user_token(api, name + "d"))
    allowed = api.client.post(api.url(url(api, ws, "c") + "/listsecrets", ML), headers=as_scientist)
    assert allowed.status_code == 200 and allowed.json()["properties"]["credentials"] == {"key": KEY}
    assert KEY not in _everything_stored(api)
