"""Bad input is a 400 with the ARM error body and changes nothing; no input makes the API answer 500
or leaves data behind that later breaks a read (issue 9, items 3, 5 and 6)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ML, Api

JSON = {"content-type": "application/json"}


def assert_refused(api: Api, r: httpx.Response, before: dict[str, Any], status: int = 400,
                   code: str = "InvalidRequestContent") -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    assert api.snapshot() == before
    return error  # type: ignore[no-any-return]


def put_raw(api: Api, path: str, body: bytes | str, version: str = "api-version=2024-03-01") -> httpx.Response:
    return api.client.put(api.url(path, version), content=body, headers=JSON)


# -- item 3: text that is not well-formed Unicode ---------------------------------------------------


def test_a_lone_surrogate_in_tags_is_refused_and_lists_keep_working(api: Api, name: str) -> None:
    api.create_group(name)
    before = api.snapshot()
    r = put_raw(api, api.rg_path(name + "x"), '{"location": "eastus", "tags": {"k": "\\ud800"}}')
    error = assert_refused(api, r, before)
    assert error["target"] == "tags.k" and "Unicode" in error["message"]
    r = put_raw(api, api.rg_path(name), '{"location": "eastus", "tags": {"\\udfff": "v"}}')
    assert_refused(api, r, before)
    r = put_raw(api, api.ws_path(name, "ws" + name), '{"location": "eastus", "tags": {"k": "\\ud800"}}', ML)
    assert_refused(api, r, before)
    # Surrogates encoded as UTF-8 bytes (CESU-style) are refused the same way.
    r = put_raw(api, api.rg_path(name), b'{"location": "eastus", "tags": {"k": "\xed\xa0\x80"}}')
    assert_refused(api, r, before)
    assert api.request("GET", f"/subscriptions/{api.sub}/resourcegroups").status_code == 200
    listed = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.MachineLearningServices/workspaces", ML)
    assert listed.status_code == 200


def test_a_lone_surrogate_in_a_model_version_is_refused(api: Api, name: str) -> None:
    api.create_group(name)
    ws = api.ws_path(name, "ws" + name)
    api.create_workspace(name, "ws" + name)
    before = api.snapshot()
    body = '{"properties": {"modelUri": "https://a.blob.core.windows.net/c/m", "tags": {"k": "a\\ud800b"}}}'
    r = put_raw(api, f"{ws}/models/m/versions/1", body, ML)
    assert_refused(api, r, before)
    r = put_raw(api, f"{ws}/models/m/versions/1", '{"properties": {"description": "\\udc00"}}', ML)
    assert_refused(api, r, before)
    assert api.request("GET", f"{ws}/models/m/versions", ML).status_code in (200, 404)


@pytest.mark.parametrize("tags", [{"k": "a\x00b"}, {"k\x07": "v"}, {"k": "line\nbreak"}, {"k": "\x9b"}])
def test_control_characters_in_tags_are_refused(api: Api, name: str, tags: dict[str, str]) -> None:
    before = api.snapshot()
    r = api.request("PUT", api.rg_path(name), json={"location": "eastus", "tags": tags})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] in ("InvalidTag", "InvalidTagNameCharacters", "InvalidRequestContent")
    assert api.snapshot() == before


def test_control_characters_in_a_description_are_refused_but_line_breaks_are_kept(api: Api, name: str) -> None:
    api.create_group(name)
    before = api.snapshot()
    r = api.request("PUT", api.ws_path(name, "ws" + name), ML,
                    json={"location": "eastus", "properties": {"description": "bell\x07"}})
    assert_refused(api, r, before)
    made = api.create_workspace(name, "ws" + name, properties={"description": "two\nlines\tand a tab"})
    assert made["properties"]["description"] == "two\nlines\tand a tab"


def test_a_500_on_a_write_does_not_claim_it_changed_nothing() -> None:
    from amlite.api.errors import bug_response

    assert "changed nothing" in bug_response("GET").body.decode()
    assert "changed nothing" not in bug_response("PUT").body.decode()


# -- item 5: input that made the API answer 500 ----------------------------------------------------


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deeply_nested_json_is_refused(api: Api, name: str, depth: int) -> None:
    before = api.snapshot()
    nested = "[" * depth + "]" * depth
    r = put_raw(api, api.rg_path(name), '{"location": "eastus", "tags": {}, "x": ' + nested + "}")
    error = assert_refused(api, r, before)
    assert "nested" in error["message"]


def test_json_nested_64_levels_is_read(api: Api, name: str) -> None:
    nested = "[" * 62 + "]" * 62
    r = put_raw(api, api.rg_path(name), '{"location": "eastus", "x": ' + nested + "}")
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("token", [
    base64.urlsafe_b64encode(b"9" * 400).decode(), base64.urlsafe_b64encode(b"-5").decode(), "%%%", "aGVsbG8",
])
def test_a_skip_token_that_this_server_did_not_write_is_refused(api: Api, token: str) -> None:
    r = api.client.get(f"/subscriptions/{api.sub}/resourcegroups",
                       params={"api-version": "2024-03-01", "$skipToken": token})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "InvalidSkipToken"


def test_a_skip_token_from_a_next_link_still_pages(api: Api) -> None:
    for i in range(3):
        api.create_group(f"page-{i}")
    first = api.request("GET", f"/subscriptions/{api.sub}/resourcegroups?$top=2")
    assert first.status_code == 200
    next_link = first.json()["nextLink"]
    assert api.client.get(next_link).status_code == 200


@pytest.mark.parametrize("field", [
    {"datastoreType": {}}, {"datastoreType": []}, {"credentials": {"credentialsType": {}}},
    {"subscriptionId": {}}, {"resourceGroup": 5},
])
def test_datastore_fields_of_the_wrong_json_type_are_refused(api: Api, name: str, field: dict[str, Any]) -> None:
    api.create_group(name)
    api.create_workspace(name, "ws" + name)
    before = api.snapshot()
    props = {"datastoreType": "AzureBlob", "accountName": "acct", "containerName": "c", **field}
    r = api.request("PUT", api.ws_path(name, "ws" + name) + "/datastores/ds", ML, json={"properties": props})
    assert r.status_code == 400, r.text
    assert api.snapshot() == before


def test_managed_by_must_be_a_string_on_create_and_on_update(api: Api, name: str) -> None:
    before = api.snapshot()
    r = api.request("PUT", api.rg_path(name), json={"location": "eastus", "managedBy": {}})
    assert_refused(api, r, before)
    api.create_group(name)
    before = api.snapshot()
    r = api.request("PATCH", api.rg_path(name), json={"managedBy": {}})
    assert_refused(api, r, before)
    r = api.request("PATCH", api.rg_path(name), json={"managedBy": ["x"]})
    assert_refused(api, r, before)
    assert api.request("GET", api.rg_path(name)).status_code == 200


# -- item 6: JSON numbers, repeated api-version ----------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999999", "-1e999999"])
def test_json_numbers_outside_json_are_refused(api: Api, name: str, number: str) -> None:
    before = api.snapshot()
    r = put_raw(api, api.rg_path(name), '{"location": "eastus", "tags": {"k": ' + number + "}}")
    assert_refused(api, r, before)


def test_a_repeated_api_version_is_refused(api: Api, name: str) -> None:
    before = api.snapshot()
    r = api.client.put(f"{api.rg_path(name)}?api-version=2024-03-01&api-version=2024-03-01",
                       json={"location": "eastus"})
    assert_refused(api, r, before, code="InvalidApiVersionParameter")
    r = api.client.get(f"/subscriptions/{api.sub}/resourcegroups?api-version=2024-03-01&api-version=bogus")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidApiVersionParameter"


# -- item 6: versions and manifests that cannot be paths ---------------------------------------------


@pytest.mark.parametrize("version", ["%2E", "%2E%2E", ".hidden", "1%0A"])
def test_a_version_that_is_not_a_plain_segment_is_refused(api: Api, name: str, version: str) -> None:
    api.create_group(name)
    api.create_workspace(name, "ws" + name)
    before = api.snapshot()
    path = api.ws_path(name, "ws" + name) + f"/models/m/versions/{version}"
    r = api.request("PUT", path, ML, json={"properties": {"modelUri": "https://a.blob.core.windows.net/c/m"}})
    assert_refused(api, r, before, code="InvalidAssetVersion")


@pytest.mark.parametrize("paths", [["a", "a/b"], ["w\n.bin"], ["nul\u0000"]])
def test_a_manifest_that_cannot_be_a_tree_is_refused(api: Api, name: str, paths: list[str]) -> None:
    api.create_group(name)
    api.create_workspace(name, "ws" + name)
    before = api.snapshot()
    artifacts = [{"path": p, "sha256": "a" * 64, "size": 1} for p in paths]
    r = api.request("PUT", api.ws_path(name, "ws" + name) + "/models/m/versions/1", ML,
                    json={"properties": {"artifacts": artifacts}})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] in ("InvalidArtifactPath", "InvalidRequestContent")
    assert api.snapshot() == before
