"""Registries through the API, on both stores: seed 002's two YAML files as written, storage per
region, every bad input refused with its code and nothing changed, regions added and removed,
delete as an operation that releases storage everywhere, and the seed's permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from amlite import load_registry
from tests.integration.conftest import ML, Api
from tests.integration.rbac_helpers import assign, bearer, create_user, custom_role, user_token
from tests.seed_registries import SEED_1, SEED_2

NS = "providers/Microsoft.MachineLearningServices/registries"


def reg_path(api: Api, rg: str, name: str) -> str:
    return f"{api.rg_path(rg)}/{NS}/{name}"


def body_from_yaml(tmp_path: Path, text: str, name: str | None = None) -> tuple[str, dict[str, Any]]:
    path = tmp_path / "registry.yml"
    path.write_text(text)
    reg = load_registry(path)
    return name or reg.name, reg._to_rest()


def create(api: Api, rg: str, name: str, regions: list[str], primary: str = "eastus", **extra: Any) -> Any:
    body = {"location": primary, "tags": {"t": "1"},
            "properties": {"description": "d", "regionDetails": [{"location": r} for r in regions], **extra}}
    return api.request("PUT", reg_path(api, rg, name), ML, json=body)


def account_dir(api: Api, region: str, account: str) -> Path:
    store = api.container.deps.blobs(region)
    return store.root / account  # type: ignore[attr-defined,no-any-return]


def unique(name: str) -> str:
    return "r" + name[1:]


@pytest.mark.parametrize("seed", [SEED_1, SEED_2])
def test_the_seed_yaml_files_create_registries_with_storage_in_every_region(api: Api, name: str, tmp_path: Path,
                                                                          seed: str) -> None:
    api.create_group(name)
    yaml_name, body = body_from_yaml(tmp_path, seed)
    reg_name = f"{yaml_name}-{name}"
    r = api.request("PUT", reg_path(api, name, reg_name), ML, json=body)
    assert r.status_code == 201, r.text
    reg = r.json()
    assert reg["name"] == reg_name and reg["location"] == "eastus" and reg["tags"] == {"foo": "bar"}
    assert reg["type"] == "Microsoft.MachineLearningServices/registries"
    assert reg["properties"]["description"].startswith(("Basic registry", "Registry with additional"))
    details = reg["properties"]["regionDetails"]
    assert [d["location"] for d in details] == ["eastus", "eastus2", "westus"]
    for d in details:
        sca = d["storageAccountDetails"][0]["systemCreatedStorageAccount"]
        assert sca["storageAccountType"] == "Standard_LRS" and sca["storageAccountHnsEnabled"] is False
        assert account_dir(api, d["location"], sca["storageAccountName"]).is_dir()
        for other in {"eastus", "eastus2", "westus"} - {d["location"]}:
            assert not account_dir(api, other, sca["storageAccountName"]).exists()
        assert sca["armResourceId"]["resourceId"].endswith(f"/storageAccounts/{sca['storageAccountName']}")
    # The name is enough to find it, anywhere in the tenant; GET by id and the lists agree.
    found = api.request("GET", f"/{NS}/{reg_name.upper()}", ML)
    assert found.status_code == 200 and found.json()["id"] == reg["id"]
    assert api.request("GET", reg["id"], ML).json()["etag"] == reg["etag"]
    assert reg_name in [x["name"] for x in api.request("GET", f"{api.rg_path(name)}/{NS}", ML).json()["value"]]
    assert reg_name in [x["name"] for x in api.request("GET", f"/subscriptions/{api.sub}/{NS}", ML).json()["value"]]
    # A resource of its group: listed with its storage accounts, and the group's delete refuses it.
    resources = api.request("GET", f"{api.rg_path(name)}/resources").json()["value"]
    types = sorted(x["type"] for x in resources)
    assert types == ["Microsoft.MachineLearningServices/registries"] + ["Microsoft.Storage/storageAccounts"] * 3
    refused = api.request("DELETE", api.rg_path(name))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "ResourceGroupNotEmpty"
    assert reg_name in refused.json()["error"]["message"]


def test_display_names_and_storage_config_are_recorded(api: Api, name: str) -> None:
    api.create_group(name)
    body = {"location": "East US", "properties": {"regionDetails": [
        {"location": "East US"},
        {"location": "West US 2", "storageAccountDetails": [{"systemCreatedStorageAccount": {
            "storageAccountType": "standard_grs", "storageAccountHnsEnabled": True}}]}]}}
    r = api.request("PUT", reg_path(api, name, unique(name)), ML, json=body)
    assert r.status_code == 201, r.text
    details = r.json()["properties"]["regionDetails"]
    assert r.json()["location"] == "eastus" and [d["location"] for d in details] == ["eastus", "westus2"]
    sca = details[1]["storageAccountDetails"][0]["systemCreatedStorageAccount"]
    assert (sca["storageAccountType"], sca["storageAccountHnsEnabled"]) == ("Standard_GRS", True)
    res = [x for x in api.request("GET", f"{api.rg_path(name)}/resources").json()["value"]
           if x["name"] == sca["storageAccountName"]]
    assert res and res[0]["location"] == "westus2"


BAD_NAMES = [
    ("a", "between 2 and 32"), ("a" * 33, "between 2 and 32"), ("has space", "only letters, digits"),
    ("dot.name", "only letters, digits"), ("_under", "start with a letter or a digit"),
    ("-dash", "start with a letter or a digit"),
]


@pytest.mark.parametrize("bad, message", BAD_NAMES)
def test_each_broken_name_rule_has_its_message_and_changes_nothing(api: Api, name: str, bad: str, message: str) -> None:
    api.create_group(name)
    before, dirs = api.snapshot(), storage_dirs(api)
    r = create(api, name, bad, ["eastus"])
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "InvalidRegistryName" and message in r.json()["error"]["message"]
    assert api.snapshot() == before and storage_dirs(api) == dirs


def storage_dirs(api: Api) -> set[str]:
    return {f"{region}/{p.name}" for region, store in api.container.deps.blob_stores.items()
            for p in store.root.iterdir()}  # type: ignore[attr-defined]


@pytest.mark.parametrize("primary, regions, code", [
    ("eastus", ["eastus2", "westus"], "PrimaryRegionNotReplicated"),
    ("eastus", ["eastus", "atlantis"], "InvalidLocation"),
    ("atlantis", ["atlantis"], "InvalidLocation"),
    ("eastus", ["eastus", "East US"], "InvalidRequestContent"),
])
def test_bad_regions_are_refused_and_change_nothing(api: Api, name: str, primary: str, regions: list[str], code: str) -> None:
    api.create_group(name)
    before, dirs = api.snapshot(), storage_dirs(api)
    r = create(api, name, unique(name), regions, primary)
    assert r.status_code == 400 and r.json()["error"]["code"] == code, r.text
    assert api.snapshot() == before and storage_dirs(api) == dirs


def test_names_are_unique_in_the_tenant_across_subscriptions(api: Api, name: str) -> None:
    api.create_group(name)
    assert create(api, name, f"Shared-{name}", ["eastus"]).status_code == 201
    alias = api.request("PUT", f"/providers/Microsoft.Subscription/aliases/a{name}", "api-version=2021-10-01",
                        json={"properties": {"displayName": "other", "workload": "Production"}})
    other = alias.json()["properties"]["subscriptionId"]
    api.request("POST", f"/subscriptions/{other}/providers/Microsoft.MachineLearningServices/register")
    assert api.request("PUT", f"/subscriptions/{other}/resourceGroups/{name}", json={"location": "eastus"}).status_code == 201
    before, dirs = api.snapshot(), storage_dirs(api)
    r = api.request("PUT", f"/subscriptions/{other}/resourceGroups/{name}/{NS}/shared-{name.upper()}", ML,
                    json={"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}})
    assert r.status_code == 409 and r.json()["error"]["code"] == "RegistryNameNotAvailable", r.text
    assert api.snapshot() == before and storage_dirs(api) == dirs


def test_regions_are_added_and_removed_and_the_primary_never_changes(api: Api, name: str) -> None:
    api.create_group(name)
    reg_name = unique(name)
    added: list[tuple[str, list[str]]] = []
    removed: list[tuple[str, list[str]]] = []
    service = api.container.registries
    service.on_regions_added.append(lambda key, regions: added.append((key, regions)))
    service.on_regions_removed.append(lambda key, regions: removed.append((key, regions)))
    try:
        first = create(api, name, reg_name, ["eastus", "westus"]).json()
        westus = first["properties"]["regionDetails"][1]["storageAccountDetails"][0]["systemCreatedStorageAccount"]
        r = create(api, name, reg_name, ["eastus", "northeurope"])
        assert r.status_code == 200, r.text
        details = r.json()["properties"]["regionDetails"]
        assert [d["location"] for d in details] == ["eastus", "northeurope"]
        ne = details[1]["storageAccountDetails"][0]["systemCreatedStorageAccount"]["storageAccountName"]
        assert account_dir(api, "northeurope", ne).is_dir()
        assert not account_dir(api, "westus", westus["storageAccountName"]).exists()
        assert [regions for _, regions in added] == [["northeurope"]]
        assert [regions for _, regions in removed] == [["westus"]]
    finally:
        service.on_regions_added.clear()
        service.on_regions_removed.clear()
    before, dirs = api.snapshot(), storage_dirs(api)
    moved = create(api, name, reg_name, ["westus", "northeurope"], primary="westus")
    assert moved.status_code == 400 and moved.json()["error"]["code"] == "PrimaryRegionImmutable"
    dropped = create(api, name, reg_name, ["northeurope"])
    assert dropped.status_code == 400 and dropped.json()["error"]["code"] == "PrimaryRegionNotReplicated"
    assert api.snapshot() == before and storage_dirs(api) == dirs
    patched = api.request("PATCH", reg_path(api, name, reg_name), ML,
                          json={"tags": {"k": "v"}, "properties": {"description": "new"}})
    assert patched.status_code == 200
    assert patched.json()["tags"] == {"k": "v"} and patched.json()["properties"]["description"] == "new"
    assert len(patched.json()["properties"]["regionDetails"]) == 2


def test_delete_is_an_operation_that_releases_storage_in_every_region(api: Api, name: str) -> None:
    api.create_group(name)
    reg = create(api, name, unique(name), ["eastus", "eastus2", "westus"]).json()
    accounts = [(d["location"], d["storageAccountDetails"][0]["systemCreatedStorageAccount"]["storageAccountName"])
                for d in reg["properties"]["regionDetails"]]
    assert all(account_dir(api, region, acct).is_dir() for region, acct in accounts)
    assert api.wait(api.request("DELETE", reg["id"], ML))["status"] == "Succeeded"
    assert api.request("GET", reg["id"], ML).status_code == 404
    # soft-deleted: recoverable, so its storage stays until it is purged
    assert all(account_dir(api, region, acct).is_dir() for region, acct in accounts)
    assert api.wait(api.client.delete(f"{reg['id']}?forceToPurge=true&{ML}"))["status"] == "Succeeded"
    assert not any(account_dir(api, region, acct).exists() for region, acct in accounts)
    assert api.request("GET", f"{api.rg_path(name)}/resources").json()["value"] == []
    # The name is free again.
    assert create(api, name, unique(name), ["eastus"]).status_code == 201


def test_a_forced_group_delete_takes_its_registries_and_their_storage(api: Api, name: str) -> None:
    api.create_group(name)
    reg = create(api, name, unique(name), ["eastus", "westus"]).json()
    accounts = [(d["location"], d["storageAccountDetails"][0]["systemCreatedStorageAccount"]["storageAccountName"])
                for d in reg["properties"]["regionDetails"]]
    r = api.request("DELETE", api.rg_path(name) + "?forceDeletionTypes=Microsoft.MachineLearningServices/registries")
    assert api.wait(r)["status"] == "Succeeded"
    assert api.request("GET", f"/{NS}/{unique(name)}", ML).status_code == 404
    assert not any(account_dir(api, region, acct).exists() for region, acct in accounts)


def test_contributor_creates_reader_reads_and_the_asset_role_cannot_manage(api: Api, name: str) -> None:
    api.create_group(name)
    scope = api.rg_path(name)
    tokens = {}
    for role in ("Contributor", "Reader", f"Registry asset user {name}"):
        if role.startswith("Registry"):
            custom_role(api, role, ["Microsoft.MachineLearningServices/registries/read",
                                    "Microsoft.MachineLearningServices/registries/assets/read",
                                    "Microsoft.MachineLearningServices/registries/assets/write",
                                    "Microsoft.MachineLearningServices/registries/assets/delete"])
        user = f"{role.split()[0].lower()}-{name}"
        created = create_user(api, user)
        assert assign(api, created["id"], role, scope).status_code == 201
        tokens[role.split()[0]] = bearer(user_token(api, user))
    body = {"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}}
    path = api.url(reg_path(api, name, unique(name)), ML)
    for who in ("Reader", "Registry"):
        denied = api.client.put(path, json=body, headers=tokens[who])
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "AuthorizationFailed"
        assert "registries/write" in denied.json()["error"]["message"]
    assert api.client.put(path, json=body, headers=tokens["Contributor"]).status_code == 201
    for who in ("Reader", "Registry"):
        assert api.client.get(path, headers=tokens[who]).status_code == 200
        assert api.client.get(api.url(f"/{NS}/{unique(name)}", ML), headers=tokens[who]).status_code == 200
        assert api.client.patch(path, json={"tags": {}}, headers=tokens[who]).status_code == 403
        assert api.client.delete(path, headers=tokens[who]).status_code == 403
    outsider = create_user(api, f"out-{name}")
    assert outsider
    lookup = api.client.get(api.url(f"/{NS}/{unique(name)}", ML), headers=bearer(user_token(api, f"out-{name}")))
    assert lookup.status_code == 403 and lookup.json()["error"]["code"] == "AuthorizationFailed"
