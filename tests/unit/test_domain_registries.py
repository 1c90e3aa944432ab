"""Registry rules without I/O: names (one message per rule), region lists, storage configs, and
how an update's region list relates to the registry's."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from amlite.domain.errors import InvalidInput
from amlite.domain.regions import DEFAULT_REGIONS, RegionCatalog
from amlite.domain.registries import (
    Registry,
    RegistryRegion,
    StorageConfig,
    RegionRequest,
    check_registry_name,
    plan_regions,
)
from amlite.domain.registries import parse_region_details as parse_typed
from amlite.domain.resources import AuditStamp
from amlite.schemas.arm_resources import RegionDetail

CATALOG = RegionCatalog(DEFAULT_REGIONS)
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def parse_region_details(catalog: RegionCatalog, location: Any, details: list[dict[str, Any]]
                         ) -> tuple[str, list[RegionRequest]]:
    """The region list as a request brings it: typed by the request model, judged by the domain."""
    return parse_typed(catalog, location, [RegionDetail.model_validate(d) for d in details])


@pytest.mark.parametrize("name", ["DemoRegistry1", "ab", "a" * 32, "9lives", "team_a-models"])
def test_good_names(name: str) -> None:
    assert check_registry_name(name) == name


@pytest.mark.parametrize("name, words", [
    ("a", "between 2 and 32"), ("", "between 2 and 32"), ("x" * 33, "between 2 and 32"),
    ("with space", "only letters, digits"), ("a.b", "only letters, digits"), ("é1", "only letters, digits"),
    ("_a", "start with a letter or a digit"), ("-a", "start with a letter or a digit"),
])
def test_each_broken_rule_says_which(name: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_registry_name(name)
    assert err.value.code == "InvalidRegistryName" and words in err.value.message
    assert err.value.target == "registryName"


def test_region_details_accept_display_names_and_keep_order() -> None:
    primary, regions = parse_region_details(CATALOG, "East US", [
        {"location": "West US"}, {"location": "eastus", "storageAccountDetails": [{"systemCreatedStorageAccount": {
            "storageAccountType": "premium_lrs", "storageAccountHnsEnabled": "True"}}]}])
    assert primary == "eastus"
    assert [(r.region, r.storage) for r in regions] == [("westus", None), ("eastus", StorageConfig("Premium_LRS", True))]


@pytest.mark.parametrize("location, details, code", [
    ("eastus", [{"location": "westus"}], "PrimaryRegionNotReplicated"),
    ("eastus", [{"location": "eastus"}, {"location": "mars"}], "InvalidLocation"),
    ("mars", [{"location": "mars"}], "InvalidLocation"),
    (None, [{"location": "eastus"}], "LocationRequired"),
    ("eastus", [{"location": "eastus"}, {"location": "East US"}], "InvalidRequestContent"),
    ("eastus", [], "InvalidRequestContent"),
    ("eastus", [{"location": "eastus", "storageAccountDetails": [{"systemCreatedStorageAccount": {
        "storageAccountType": "Floppy"}}]}], "InvalidRequestContent"),
    ("eastus", [{"location": "eastus", "storageAccountDetails": [{"systemCreatedStorageAccount": {
        "storageAccountHnsEnabled": "maybe"}}]}], "InvalidRequestContent"),
])
def test_bad_region_lists(location: Any, details: list[dict[str, Any]], code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_region_details(CATALOG, location, details)
    assert err.value.code == code


def registry(*regions: str) -> Registry:
    stamp = AuditStamp("u", "User", NOW, "u", "User", NOW)
    return Registry(
        key="k", tenant_id="t", resource_group_key="g", subscription_id="s", resource_group_name="rg", name="R",
        location=regions[0], registry_id="id", description="", tags={}, etag='"e"', stamp=stamp,
        regions=tuple(RegistryRegion(r, i, f"acct{i}", StorageConfig(), f"res{i}", NOW) for i, r in enumerate(regions)),
    )


def test_plan_adds_and_removes_but_never_moves_the_primary() -> None:
    reg = registry("eastus", "westus")
    _, wanted = parse_region_details(CATALOG, "eastus", [{"location": "eastus"}, {"location": "northeurope"}])
    plan = plan_regions(reg, "eastus", wanted)
    assert plan.added == [("northeurope", StorageConfig())] and plan.removed == ["westus"]
    with pytest.raises(InvalidInput) as err:
        plan_regions(reg, "westus", wanted)
    assert err.value.code == "PrimaryRegionImmutable"


def test_an_existing_region_keeps_its_storage_config() -> None:
    reg = registry("eastus")
    _, same = parse_region_details(CATALOG, "eastus", [{"location": "eastus", "storageAccountDetails": [
        {"systemCreatedStorageAccount": {"storageAccountType": "Standard_LRS"}}]}])
    assert plan_regions(reg, "eastus", same).added == []
    _, changed = parse_region_details(CATALOG, "eastus", [{"location": "eastus", "storageAccountDetails": [
        {"systemCreatedStorageAccount": {"storageAccountType": "Standard_GRS"}}]}])
    with pytest.raises(InvalidInput):
        plan_regions(reg, "eastus", changed)


def test_load_registry_reads_the_seed_yaml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from amlite import load_registry

    path = tmp_path / "registry.yml"
    path.write_text("name: DemoRegistry2\nlocation: eastus\nreplication_locations:\n  - location: eastus\n"
                    "    storage_config:\n      storage_account_hns: False\n      storage_account_type: Standard_LRS\n"
                    "  - location: East US 2\n    storage_config:\n      storage_account_hns: true\n")
    reg = load_registry(path)
    body = reg._to_rest()
    sca = [d["storageAccountDetails"][0]["systemCreatedStorageAccount"] for d in body["properties"]["regionDetails"]]
    assert sca == [{"storageAccountHnsEnabled": False, "storageAccountType": "Standard_LRS"},
                   {"storageAccountHnsEnabled": True, "storageAccountType": "Standard_LRS"}]
    assert [d["location"] for d in body["properties"]["regionDetails"]] == ["eastus", "East US 2"]
