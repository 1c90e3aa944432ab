"""Subscriptions, locations, aliases (new subscriptions) and provider registration."""

from __future__ import annotations

import pytest

from tests.integration.conftest import ML, Api


def test_default_subscription_and_locations(api: Api) -> None:
    subs = api.request("GET", "/subscriptions").json()["value"]
    default = next(s for s in subs if s["subscriptionId"] == api.sub)
    assert default["displayName"] == "default" and default["state"] == "Enabled" and default["tenantId"] == api.tenant
    locations = {loc["name"]: loc for loc in api.request("GET", f"/subscriptions/{api.sub}/locations").json()["value"]}
    assert {"eastus", "eastus2", "westus", "centralus"} <= set(locations)
    assert locations["eastus"]["displayName"] == "East US"
    assert locations["eastus"]["metadata"]["pairedRegion"][0]["name"] == "westus"
    assert locations["eastus2"]["metadata"]["pairedRegion"][0]["name"] == "centralus"
    tenants = api.request("GET", "/tenants").json()["value"]
    assert [t["tenantId"] for t in tenants] == [api.tenant]


def test_default_providers_are_registered(api: Api) -> None:
    providers = {p["namespace"]: p["registrationState"] for p in api.request("GET", f"/subscriptions/{api.sub}/providers").json()["value"]}
    for ns in ("Microsoft.MachineLearningServices", "Microsoft.Storage", "Microsoft.KeyVault",
               "Microsoft.ContainerRegistry", "Microsoft.Insights", "Microsoft.Resources"):
        assert providers[ns] == "Registered", ns
    one = api.request("GET", f"/subscriptions/{api.sub}/providers/microsoft.storage").json()
    assert one["namespace"] == "Microsoft.Storage" and one["resourceTypes"][0]["resourceType"] == "storageAccounts"
    missing = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.Nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "InvalidResourceNamespace"


def test_a_new_subscription_needs_its_providers_registered(api: Api, name: str) -> None:
    r = api.request("PUT", f"/providers/Microsoft.Subscription/aliases/{name}", "api-version=2021-10-01",
                    json={"properties": {"displayName": "prod", "workload": "Production"}})
    assert r.status_code == 201
    sub = r.json()["properties"]["subscriptionId"]
    again = api.request("PUT", f"/providers/Microsoft.Subscription/aliases/{name}", "api-version=2021-10-01",
                        json={"properties": {"displayName": "prod"}})
    assert again.status_code == 200 and again.json()["properties"]["subscriptionId"] == sub
    assert sub in {s["subscriptionId"] for s in api.request("GET", "/subscriptions").json()["value"]}
    state = api.request("GET", f"/subscriptions/{sub}/providers/Microsoft.MachineLearningServices").json()
    assert state["registrationState"] == "NotRegistered"
    assert api.request("PUT", f"/subscriptions/{sub}/resourcegroups/prod-rg", json={"location": "westus"}).status_code == 201
    ws_path = f"/subscriptions/{sub}/resourceGroups/prod-rg/providers/Microsoft.MachineLearningServices/workspaces/prodws"
    refused = api.request("PUT", ws_path, ML, json={"location": "westus"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "MissingSubscriptionRegistration"
    registered = api.request("POST", f"/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/register")
    assert registered.json()["registrationState"] == "Registered"
    assert api.request("PUT", ws_path, ML, json={"location": "westus"}).status_code == 200
    busy = api.request("POST", f"/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/unregister")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "ProviderHasResources"
    assert api.wait(api.request("DELETE", ws_path, ML))["status"] == "Succeeded"
    done = api.request("POST", f"/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/unregister")
    assert done.status_code == 200 and done.json()["registrationState"] == "NotRegistered"


@pytest.mark.parametrize("properties", ["AAA", ["displayName"], 3])
def test_an_alias_whose_properties_are_not_an_object_is_a_400(api: Api, properties: object) -> None:
    before = api.snapshot()
    r = api.client.put("/providers/Microsoft.Subscription/aliases/not-an-object?api-version=2021-10-01",
                       json={"properties": properties})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == {"code": "InvalidRequestContent", "message": "properties must be an object.",
                                 "target": "properties"}
    assert api.snapshot() == before
