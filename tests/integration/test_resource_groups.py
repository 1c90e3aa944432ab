"""Resource groups through the API, on both stores."""

from __future__ import annotations

from tests.integration.conftest import Api


def test_create_is_201_then_update_is_200_and_names_keep_their_case(api: Api, name: str) -> None:
    mixed = name.upper()
    r = api.request("PUT", api.rg_path(mixed), json={"location": "East US", "tags": {"team": "a"}})
    assert r.status_code == 201
    body = r.json()
    assert body["name"] == mixed and body["location"] == "eastus" and body["tags"] == {"team": "a"}
    assert body["id"] == f"/subscriptions/{api.sub}/resourceGroups/{mixed}"
    assert r.headers["ETag"] == body["etag"]
    again = api.request("PUT", api.rg_path(name.lower()), json={"location": "eastus", "tags": {"team": "b"}})
    assert again.status_code == 200
    assert again.json()["name"] == mixed and again.json()["tags"] == {"team": "b"}
    assert again.json()["etag"] != body["etag"]


def test_lookups_ignore_case_in_names_and_fixed_path_words(api: Api, name: str) -> None:
    api.create_group(name)
    r = api.client.get(f"/SUBSCRIPTIONS/{api.sub.upper()}/resourcegroups/{name.upper()}?{'api-version=2024-03-01'}")
    assert r.status_code == 200
    assert r.json()["name"] == name


def test_head_answers_204_or_404(api: Api, name: str) -> None:
    assert api.request("HEAD", api.rg_path(name)).status_code == 404
    api.create_group(name)
    assert api.request("HEAD", api.rg_path(name)).status_code == 204


def test_location_cannot_change(api: Api, name: str) -> None:
    api.create_group(name, "eastus")
    r = api.request("PUT", api.rg_path(name), json={"location": "westus"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "InvalidResourceGroupLocation"
    assert api.request("GET", api.rg_path(name)).json()["location"] == "eastus"


def test_patch_replaces_tags(api: Api, name: str) -> None:
    api.create_group(name)
    r = api.request("PATCH", api.rg_path(name), json={"tags": {"env": "dev"}})
    assert r.status_code == 200 and r.json()["tags"] == {"env": "dev"}
    assert api.request("GET", api.rg_path(name)).json()["tags"] == {"env": "dev"}


def test_if_match_is_honoured(api: Api, name: str) -> None:
    etag = api.create_group(name)["etag"]
    stale = api.request("PATCH", api.rg_path(name), json={"tags": {"x": "1"}}, headers={"If-Match": '"stale"'})
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "PreconditionFailed"
    assert api.request("GET", api.rg_path(name)).json()["tags"] == {}
    fresh = api.request("PATCH", api.rg_path(name), json={"tags": {"x": "1"}}, headers={"If-Match": etag})
    assert fresh.status_code == 200
    assert api.request("PUT", api.rg_path(name), json={"location": "eastus"}, headers={"If-None-Match": "*"}).status_code == 412


def test_list_pages_with_next_link_and_filters_by_tag(api: Api, name: str) -> None:
    for i in range(3):
        r = api.request("PUT", api.rg_path(f"{name}-{i}"), json={"location": "eastus", "tags": {"batch": name}})
        assert r.status_code == 201
    seen: list[str] = []
    url: str | None = api.url(f"/subscriptions/{api.sub}/resourcegroups?$top=2")
    while url:
        page = api.client.get(url).json()
        assert len(page["value"]) <= 2
        seen += [g["name"] for g in page["value"]]
        url = page.get("nextLink")
    assert {f"{name}-{i}" for i in range(3)} <= set(seen)
    assert len(seen) == len(set(seen))
    tagged = api.request("GET", f"/subscriptions/{api.sub}/resourcegroups?$filter=tagName eq 'batch' and tagValue eq '{name}'").json()
    assert sorted(g["name"] for g in tagged["value"]) == [f"{name}-{i}" for i in range(3)]


def test_delete_is_long_running_and_ends_succeeded(api: Api, name: str) -> None:
    api.create_group(name)
    r = api.request("DELETE", api.rg_path(name))
    assert r.status_code == 202
    assert r.headers["Retry-After"] == "1"
    assert "/providers/Microsoft.Resources/locations/eastus/operationStatuses/" in r.headers["Azure-AsyncOperation"]
    assert api.wait(r)["status"] == "Succeeded"
    assert api.client.get(r.headers["Location"]).status_code == 204
    missing = api.request("GET", api.rg_path(name))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceGroupNotFound"


def test_non_empty_group_is_refused_unless_forced(api: Api, name: str) -> None:
    api.create_group(name)
    ws = api.create_workspace(name, "ws1")
    before = api.snapshot()
    refused = api.request("DELETE", api.rg_path(name))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ResourceGroupNotEmpty"
    assert "ws1" in refused.json()["error"]["message"]
    assert api.snapshot() == before
    account = ws["properties"]["storageAccount"].rsplit("/", 1)[1]
    root = api.container.deps.blobs("eastus").root  # type: ignore[attr-defined]
    assert (root / account).is_dir()
    forced = api.request("DELETE", api.rg_path(name) + "?forceDeletionTypes=Microsoft.MachineLearningServices/workspaces")
    assert api.wait(forced)["status"] == "Succeeded"
    assert api.request("GET", api.ws_path(name, "ws1"), "api-version=2024-10-01").status_code == 404
    assert not (root / account).exists()


def test_bad_input_is_refused_and_changes_nothing(api: Api, name: str) -> None:
    before = api.snapshot()
    cases = [
        ("PUT", api.rg_path("bad/name"), {"location": "eastus"}, 404, "NotFound"),
        ("PUT", api.rg_path("x" * 91), {"location": "eastus"}, 400, "InvalidResourceGroupName"),
        ("PUT", api.rg_path("ends."), {"location": "eastus"}, 400, "InvalidResourceGroupName"),
        ("PUT", api.rg_path("bad*name"), {"location": "eastus"}, 400, "InvalidResourceGroupName"),
        ("PUT", api.rg_path(name), {"location": "atlantis"}, 400, "InvalidLocation"),
        ("PUT", api.rg_path(name), {}, 400, "LocationRequired"),
        ("PUT", api.rg_path(name), {"location": "eastus", "tags": "x"}, 400, "InvalidTag"),
        ("PUT", f"/subscriptions/{'0' * 8}-0000-0000-0000-{'0' * 12}/resourceGroups/{name}", {"location": "eastus"}, 404, "SubscriptionNotFound"),
        ("PUT", f"/subscriptions/not-a-guid/resourceGroups/{name}", {"location": "eastus"}, 400, "InvalidSubscriptionId"),
        ("PATCH", api.rg_path(name), {"tags": {}}, 404, "ResourceGroupNotFound"),
        ("DELETE", api.rg_path(name), None, 404, "ResourceGroupNotFound"),
    ]
    for method, path, body, status, code in cases:
        r = api.request(method, path, json=body) if body is not None else api.request(method, path)
        assert r.status_code == status, (method, path, r.text)
        assert r.json()["error"]["code"] == code, (method, path, r.text)
    assert api.snapshot() == before
