"""Policy assignments through the API, and their enforcement where governed resources are made,
on both stores: Azure's routes and shapes, the built-in definitions, 403 RequestDisallowedByPolicy
naming the assignment, and a refused write that changes nothing."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import ML, Api

POL = "api-version=2023-04-01"
ALLOWED_LOCATIONS = "e56962a6-4747-49cd-b67b-bf8b01975c4c"
REQUIRE_TAG = "871b6d14-10aa-478d-b590-94f262ecfa99"
GROUP_LOCATIONS = "e765b5de-1225-4ba3-bd56-1ac6695af988"
DEF = "/providers/Microsoft.Authorization/policyDefinitions/"


def _assign(api: Api, scope: str, name: str, definition: str, params: dict[str, Any], **props: Any) -> Any:
    return api.request("PUT", f"{scope}/providers/Microsoft.Authorization/policyAssignments/{name}", POL,
                       json={"properties": {"policyDefinitionId": DEF + definition,
                                            "parameters": {k: {"value": v} for k, v in params.items()}, **props}})


def _delete(api: Api, scope: str, name: str) -> Any:
    return api.request("DELETE", f"{scope}/providers/Microsoft.Authorization/policyAssignments/{name}", POL)


def test_built_in_definitions_are_served_with_azure_ids_and_parameters(api: Api) -> None:
    r = api.request("GET", "/providers/Microsoft.Authorization/policyDefinitions", POL)
    assert r.status_code == 200, r.text
    by_name = {d["name"]: d for d in r.json()["value"]}
    assert by_name[ALLOWED_LOCATIONS]["properties"]["displayName"] == "Allowed locations"
    assert "listOfAllowedLocations" in by_name[ALLOWED_LOCATIONS]["properties"]["parameters"]
    assert by_name[REQUIRE_TAG]["properties"]["displayName"] == "Require a tag on resources"
    assert "tagName" in by_name[REQUIRE_TAG]["properties"]["parameters"]
    one = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.Authorization/policyDefinitions/{REQUIRE_TAG}", POL)
    assert one.status_code == 200 and one.json()["id"] == DEF + REQUIRE_TAG
    missing = api.request("GET", "/providers/Microsoft.Authorization/policyDefinitions/no-such", POL)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "PolicyDefinitionNotFound"


def test_assignment_put_get_list_delete_in_azure_shape(api: Api, name: str) -> None:
    api.create_group(name)
    scope = api.rg_path(name)
    r = _assign(api, scope, "locs", ALLOWED_LOCATIONS, {"listOfAllowedLocations": ["eastus"]}, displayName="Only east")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == f"{scope}/providers/Microsoft.Authorization/policyAssignments/locs"
    assert body["properties"]["policyDefinitionId"] == DEF + ALLOWED_LOCATIONS
    assert body["properties"]["parameters"] == {"listOfAllowedLocations": {"value": ["eastus"]}}
    assert body["properties"]["enforcementMode"] == "Default"
    again = _assign(api, scope, "LOCS", ALLOWED_LOCATIONS, {"listOfAllowedLocations": ["eastus", "westus"]})
    assert again.status_code == 200 and again.json()["name"] == "locs"
    got = api.request("GET", f"{scope}/providers/Microsoft.Authorization/policyAssignments/locs", POL).json()
    assert got["properties"]["parameters"]["listOfAllowedLocations"]["value"] == ["eastus", "westus"]
    at_sub = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.Authorization/policyAssignments", POL).json()
    assert body["id"] in [a["id"] for a in at_sub["value"]]  # below the subscription: listed without a filter
    only_at = api.request("GET", f"/subscriptions/{api.sub}/providers/Microsoft.Authorization/policyAssignments"
                                 "?$filter=atScope()", POL).json()
    assert body["id"] not in [a["id"] for a in only_at["value"]]
    gone = _delete(api, scope, "locs")
    assert gone.status_code == 200 and gone.json()["id"] == body["id"]
    assert _delete(api, scope, "locs").status_code == 204
    assert api.request("GET", f"{scope}/providers/Microsoft.Authorization/policyAssignments/locs", POL).status_code == 404


def test_bad_assignments_are_refused_and_change_nothing(api: Api, name: str) -> None:
    api.create_group(name)
    scope = api.rg_path(name)
    before = api.snapshot()
    cases = [
        (_assign(api, scope, "a", "nope", {}), 404, "PolicyDefinitionNotFound"),
        (_assign(api, scope, "a", REQUIRE_TAG, {}), 400, "MissingPolicyParameter"),
        (_assign(api, scope, "a", REQUIRE_TAG, {"tagName": "x", "other": 1}), 400, "UndefinedPolicyParameter"),
        (_assign(api, scope, "a", ALLOWED_LOCATIONS, {"listOfAllowedLocations": "eastus"}), 400, "InvalidPolicyParameters"),
        (_assign(api, scope, "a", REQUIRE_TAG, {"tagName": "x"}, enforcementMode="Sometimes"), 400,
         "InvalidPolicyEnforcementMode"),
        (_assign(api, api.rg_path(name + "x"), "a", REQUIRE_TAG, {"tagName": "x"}), 404, "ResourceGroupNotFound"),
        (_assign(api, api.ws_path(name, "wsx"), "a", REQUIRE_TAG, {"tagName": "x"}), 400, "InvalidPolicyAssignmentScope"),
        (api.request("PUT", f"{scope}/providers/Microsoft.Authorization/policyAssignments/a", POL,
                     json={"properties": {}}), 400, "InvalidRequestContent"),
        (api.request("PUT", f"{scope}/providers/Microsoft.Authorization/policyAssignments/a", "api-version=2024-03-01",
                     json={"properties": {}}), 400, "InvalidApiVersionParameter"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    assert api.snapshot() == before


def test_allowed_locations_refuses_a_workspace_elsewhere_and_names_the_assignment(api: Api, name: str) -> None:
    api.create_group(name, "westus")
    scope = api.rg_path(name)
    assert _assign(api, scope, "only-east", ALLOWED_LOCATIONS, {"listOfAllowedLocations": ["eastus"]}).status_code == 201
    before = api.snapshot()
    r = api.request("PUT", api.ws_path(name, "wsone"), ML, json={"location": "westus"})
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "RequestDisallowedByPolicy"
    assert "only-east" in error["message"] and ALLOWED_LOCATIONS in error["message"]
    assert api.snapshot() == before
    assert api.request("PUT", api.ws_path(name, "wsone"), ML, json={"location": "eastus"}).status_code == 200
    # DoNotEnforce: the assignment stays and refuses nothing.
    assert _assign(api, scope, "only-east", ALLOWED_LOCATIONS, {"listOfAllowedLocations": ["eastus"]},
                   enforcementMode="DoNotEnforce").status_code == 200
    assert api.request("PUT", api.ws_path(name, "wstwo"), ML, json={"location": "westus"}).status_code == 200


def test_required_tag_at_the_subscription_governs_workspaces_and_registries_not_groups(api: Api, name: str) -> None:
    sub_scope = f"/subscriptions/{api.sub}"
    assert _assign(api, sub_scope, name, REQUIRE_TAG, {"tagName": "costCenter"}).status_code == 201
    try:
        api.create_group(name)  # "on resources" does not apply to resource groups, as on Azure
        r = api.request("PUT", api.ws_path(name, "wsx"), ML, json={"location": "eastus"})
        assert (r.status_code, r.json()["error"]["code"]) == (403, "RequestDisallowedByPolicy")
        ok = api.request("PUT", api.ws_path(name, "wsx"), ML, json={"location": "eastus", "tags": {"CostCenter": "42"}})
        assert ok.status_code == 200, ok.text
        untag = api.request("PATCH", api.ws_path(name, "wsx"), ML, json={"tags": {}})
        assert (untag.status_code, untag.json()["error"]["code"]) == (403, "RequestDisallowedByPolicy")
        reg = api.request("PUT", f"{api.rg_path(name)}/providers/Microsoft.MachineLearningServices/registries/{name}r",
                          ML, json={"location": "eastus", "properties": {"regionDetails": [{"location": "eastus"}]}})
        assert (reg.status_code, reg.json()["error"]["code"]) == (403, "RequestDisallowedByPolicy"), reg.text
    finally:
        assert _delete(api, sub_scope, name).status_code == 200


def test_group_policies_govern_group_creation_and_go_with_the_group(api: Api, name: str) -> None:
    sub_scope = f"/subscriptions/{api.sub}"
    assert _assign(api, sub_scope, name, GROUP_LOCATIONS, {"listOfAllowedLocations": ["eastus"]}).status_code == 201
    try:
        r = api.request("PUT", api.rg_path(name), json={"location": "westus"})
        assert (r.status_code, r.json()["error"]["code"]) == (403, "RequestDisallowedByPolicy")
        assert api.request("GET", api.rg_path(name)).status_code == 404
        api.create_group(name, "eastus")
    finally:
        assert _delete(api, sub_scope, name).status_code == 200
    scope = api.rg_path(name)
    assert _assign(api, scope, "t", REQUIRE_TAG, {"tagName": "x"}).status_code == 201
    api.wait(api.request("DELETE", scope))
    api.create_group(name, "eastus")
    assert api.request("GET", f"{scope}/providers/Microsoft.Authorization/policyAssignments/t", POL).status_code == 404


def test_not_scopes_exclude_a_group(api: Api, name: str) -> None:
    api.create_group(name)
    sub_scope = f"/subscriptions/{api.sub}"
    r = _assign(api, sub_scope, name, REQUIRE_TAG, {"tagName": "owner"}, notScopes=[api.rg_path(name)])
    assert r.status_code == 201, r.text
    try:
        assert api.request("PUT", api.ws_path(name, "wsx"), ML, json={"location": "eastus"}).status_code == 200
    finally:
        assert _delete(api, sub_scope, name).status_code == 200


def test_the_activity_log_lists_an_assignment_made_at_a_subscription(api: Api, name: str) -> None:
    """An assignment at a subscription has an id below no resource group; the subscription's
    activity log (where a move's destination is read) still lists it, typed as Azure does."""
    made = api.request("PUT", f"/providers/Microsoft.Subscription/aliases/{name}", "api-version=2021-10-01",
                       json={"properties": {"displayName": name}})
    assert made.status_code in (200, 201), made.text
    sub = made.json()["properties"]["subscriptionId"]
    assert _assign(api, f"/subscriptions/{sub}", "only-east", ALLOWED_LOCATIONS,
                   {"listOfAllowedLocations": ["eastus"]}).status_code == 201
    log = api.request("GET", f"/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values",
                      "api-version=2015-04-01")
    assert log.status_code == 200, log.text
    [event] = [e for e in log.json()["value"] if e["resourceId"].endswith("/policyAssignments/only-east")]
    assert event["resourceId"] == f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/only-east"
    assert event["resourceProviderName"]["value"] == "Microsoft.Authorization"
    assert event["resourceType"]["value"] == "Microsoft.Authorization/policyAssignments"
    assert event["resourceGroupName"] is None
