"""Hot-warm endpoints of paired workspaces (issue 15, behaviour 2 and 4): the primary's endpoint
and deployment are copied to the secondary as a standby definition, not deployed there, shown
current by ``pair show``; the failover step deploys the standby and the secondary scores. A
hot-hot endpoint is deployed live in the secondary too, kept in step with the primary, and needs
nothing at a failover."""

from __future__ import annotations

import json
import time
from typing import Any

from amlite.domain.warm_endpoints import ENDPOINT_COPY
from amlite.sdk.endpoint_entities import load_online_deployment, load_online_endpoint
from amlite.sdk.ml_client import MLClient
from tests.integration.clients import AdminToken, app_transport
from tests.integration.conftest import ML, Api
from tests.integration.test_online_endpoints import ONLINE
from tests.integration.test_workspace_pairs import PAIRS, make_pair


def _client(api: Api, group: str, ws: str) -> MLClient:
    return MLClient(AdminToken(api), api.sub, group, ws, transport=app_transport(api))


def _show(api: Api, pair: str) -> dict[str, Any]:
    body: dict[str, Any] = api.request("GET", f"{PAIRS}/{pair}", ML).json()["properties"]
    return body


def _wait_current(api: Api, pair: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        shown = _show(api, pair)
        lag = {x["kind"]: x for x in shown["lag"]}
        done = lag["endpoints"]["versionsPending"] == 0 and lag["models"]["versionsPending"] == 0
        if (done and shown["endpoints"]) or time.monotonic() > deadline:
            return shown
        time.sleep(0.05)


def test_a_hot_warm_endpoint_waits_as_a_standby_and_the_failover_step_deploys_it(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, f"p{name}", location="eastus")
    api.create_workspace(name, f"s{name}", location="westus")
    primary, secondary = api.ws_path(name, f"p{name}"), api.ws_path(name, f"s{name}")
    assert make_pair(api, f"w{name}", primary, secondary, "hot-warm").status_code == 201

    east = _client(api, name, f"p{name}")
    endpoint = east.online_endpoints.begin_create_or_update(load_online_endpoint(ONLINE / "endpoint.yml")).result()
    assert east.online_deployments.begin_create_or_update(
        load_online_deployment(ONLINE / "blue.yml")).result().provisioning_state == "Succeeded"
    endpoint.traffic = {"blue": 100}
    east.online_endpoints.begin_create_or_update(endpoint).result()

    shown = _wait_current(api, f"w{name}")
    assert [(e["name"], e["standbyCurrent"], e["servingInSecondary"]) for e in shown["endpoints"]] == \
        [("my-endpoint", True, None)], shown  # warm: not served there
    # warm: nothing is deployed in the secondary before a failover
    assert api.request("GET", f"{secondary}/onlineEndpoints/my-endpoint", ML).status_code == 404

    api.container.worker.stop()  # a change in the primary makes the standby stale until it is copied
    try:
        patched = api.request("PATCH", f"{primary}/onlineEndpoints/my-endpoint", ML, json={"tags": {"v": "2"}})
        assert patched.status_code in (200, 202), patched.text
        lag = {x["kind"]: x for x in _show(api, f"w{name}")["lag"]}
        assert lag["endpoints"]["versionsPending"] == 1 and lag["endpoints"]["copied"], lag
    finally:
        api.container.worker.start()
    assert _wait_current(api, f"w{name}")["endpoints"][0]["standbyCurrent"]

    with api.container.deps.uow() as uow:
        pair = uow.workspace_pairs.by_name(api.tenant, f"w{name}")
    assert pair is not None
    outcome = api.container.warm_endpoints.run(pair, {})
    assert outcome == [{"name": "my-endpoint", "state": "Succeeded",
                        "deployments": [{"name": "blue", "state": "Succeeded"}]}], outcome

    west = _client(api, name, f"s{name}")
    standby = west.online_endpoints.get("my-endpoint")
    assert standby.traffic == {"blue": 100} and standby.tags.get("v") == "2", standby
    answer = json.loads(west.online_endpoints.invoke("my-endpoint", request_file=str(ONLINE / "request.json")))
    assert answer == {"predictions": [2.0, 4.0, 6.0], "deployment": "blue"}
    assert west.online_endpoints.get_keys("my-endpoint").primary_key != \
        east.online_endpoints.get_keys("my-endpoint").primary_key  # the secondary's own keys
    # run again: what serves is left alone
    assert api.container.warm_endpoints.run(pair, {})[0]["state"] == "Succeeded"

    # deleting the primary's endpoint drops its standby
    east.online_endpoints.begin_delete("my-endpoint").result()
    deadline = time.monotonic() + 30
    while _standbys(api, pair.key) and time.monotonic() < deadline:
        api.container.warm_endpoints.reconcile()
        time.sleep(0.05)
    assert _standbys(api, pair.key) == []
    west.online_endpoints.begin_delete("my-endpoint").result()


def test_a_hot_cold_pair_keeps_no_standby(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, f"p{name}", location="eastus")
    api.create_workspace(name, f"s{name}", location="westus")
    primary, secondary = api.ws_path(name, f"p{name}"), api.ws_path(name, f"s{name}")
    assert make_pair(api, f"c{name}", primary, secondary, "hot-warm",
                     per_kind={"endpoints": "hot-cold"}).status_code == 201
    east = _client(api, name, f"p{name}")
    east.online_endpoints.begin_create_or_update(load_online_endpoint(ONLINE / "endpoint.yml")).result()
    api.container.warm_endpoints.reconcile()
    shown = _show(api, f"c{name}")
    lag = {x["kind"]: x for x in shown["lag"]}
    assert lag["endpoints"] == {**lag["endpoints"], "mode": "hot-cold", "copied": False, "versionsPending": 1}
    assert [e["standbyCurrent"] for e in shown["endpoints"]] == [False]
    with api.container.deps.uow() as uow:
        assert [t for t in uow.tasks.unfinished(ENDPOINT_COPY) if t.scope_key == _pair_key(api, f"c{name}")] == []
    east.online_endpoints.begin_delete("my-endpoint").result()


def _pair_key(api: Api, pair: str) -> str:
    with api.container.deps.uow() as uow:
        found = uow.workspace_pairs.by_name(api.tenant, pair)
    assert found is not None
    return found.key


def _standbys(api: Api, pair_key: str) -> list[Any]:
    with api.container.deps.uow() as uow:
        return uow.standby_endpoints.of_pair(pair_key)


def test_a_standby_copy_into_a_failed_region_lands_after_restore(api: Api, name: str) -> None:
    loc = "/providers/Microsoft.MachineLearningServices/locations"
    api.create_group(name)
    api.create_workspace(name, f"p{name}", location="eastus")
    api.create_workspace(name, f"s{name}", location="westus")
    primary, secondary = api.ws_path(name, f"p{name}"), api.ws_path(name, f"s{name}")
    assert make_pair(api, f"r{name}", primary, secondary, "hot-warm").status_code == 201
    key = _pair_key(api, f"r{name}")
    api.container.worker.stop()
    try:
        assert api.request("POST", f"{loc}/westus/fail", ML).status_code == 200
        made = api.request("PUT", f"{primary}/onlineEndpoints/ep{name[:8]}", ML, json={"properties": {"authMode": "Key"}})
        assert made.status_code in (200, 201), made.text
        for _ in range(100):  # run due tasks until the copy has made its attempt
            [task] = [t for t in _copies(api) if t.scope_key == key]
            if task.attempts:
                break
            assert api.container.tasks.run_next("w1")
        assert task.state.value == "Pending" and "unavailable" in (task.last_error or ""), task
        with api.container.deps.uow(write=True) as uow:  # the outage outlasted its attempts
            uow.tasks.save(task.failed(api.container.deps.clock.now(), task.last_error or ""))
            uow.commit()
        assert _standbys(api, key) == []
        assert api.request("POST", f"{loc}/westus/restore", ML).status_code == 200
        [task] = [t for t in _copies(api) if t.scope_key == key]
        assert task.state.value == "Pending" and task.attempts == 0, task
    finally:
        api.request("POST", f"{loc}/westus/restore", ML)
        api.container.worker.start()
    assert _wait_current(api, f"r{name}")["endpoints"][0]["standbyCurrent"]
    assert api.request("DELETE", f"{primary}/onlineEndpoints/ep{name[:8]}", ML).status_code in (200, 202, 204)


def _copies(api: Api) -> list[Any]:
    with api.container.deps.uow() as uow:
        return uow.tasks.unfinished(ENDPOINT_COPY)


def _wait(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _live(api: Api, ws: str, endpoint: str, traffic: dict[str, int]) -> dict[str, Any] | None:
    """The secondary's endpoint once it serves ``traffic`` with every deployment up, else None."""
    r = api.request("GET", f"{ws}/onlineEndpoints/{endpoint}", ML)
    if r.status_code != 200:
        return None
    body: dict[str, Any] = r.json()
    deps = api.request("GET", f"{ws}/onlineEndpoints/{endpoint}/deployments", ML).json()["value"]
    states = {d["name"]: d["properties"]["provisioningState"] for d in deps}
    if {k: v for k, v in body["properties"]["traffic"].items() if v} != traffic:
        return None
    return body if set(states) == set(traffic) and all(s == "Succeeded" for s in states.values()) else None


def test_a_hot_hot_endpoint_serves_in_both_regions_kept_in_step(api: Api, name: str) -> None:
    api.create_group(name)
    api.create_workspace(name, f"p{name}", location="eastus")
    api.create_workspace(name, f"s{name}", location="westus")
    primary, secondary = api.ws_path(name, f"p{name}"), api.ws_path(name, f"s{name}")
    assert make_pair(api, f"h{name}", primary, secondary, "hot-hot").status_code == 201
    east = _client(api, name, f"p{name}")
    endpoint = east.online_endpoints.begin_create_or_update(load_online_endpoint(ONLINE / "endpoint.yml")).result()
    assert east.online_deployments.begin_create_or_update(
        load_online_deployment(ONLINE / "blue.yml")).result().provisioning_state == "Succeeded"
    endpoint.traffic = {"blue": 100}
    east.online_endpoints.begin_create_or_update(endpoint).result()

    # hot-hot: deployed live in the secondary too, with its own keys; both regions score
    live = _wait(lambda: _live(api, secondary, "my-endpoint", {"blue": 100}))
    assert live is not None and live["tags"]["amlite.pair.standbyOf"] == f"{primary}/onlineEndpoints/my-endpoint"
    west = _client(api, name, f"s{name}")
    for client in (east, west):
        answer = json.loads(client.online_endpoints.invoke("my-endpoint", request_file=str(ONLINE / "request.json")))
        assert answer == {"predictions": [2.0, 4.0, 6.0], "deployment": "blue"}
    assert west.online_endpoints.get_keys("my-endpoint").primary_key != \
        east.online_endpoints.get_keys("my-endpoint").primary_key

    assert [(e["name"], e["servingInSecondary"]) for e in _show(api, f"h{name}")["endpoints"]] == \
        [("my-endpoint", True)]
    # kept in step: the primary's traffic moves to a new deployment and the old one goes
    assert east.online_deployments.begin_create_or_update(
        load_online_deployment(ONLINE / "green.yml")).result().provisioning_state == "Succeeded"
    endpoint.traffic = {"blue": 0, "green": 100}
    east.online_endpoints.begin_create_or_update(endpoint).result()
    east.online_deployments.begin_delete(name="blue", endpoint_name="my-endpoint").result()
    assert _wait(lambda: _live(api, secondary, "my-endpoint", {"green": 100})) is not None
    answer = json.loads(west.online_endpoints.invoke("my-endpoint", request_file=str(ONLINE / "request.json")))
    assert answer["deployment"] == "green", answer

    # an endpoint the primary deletes goes from the secondary too; one the user made there stays
    made = api.request("PUT", f"{primary}/onlineEndpoints/gone{name[:6]}", ML, json={"properties": {"authMode": "Key"}})
    assert made.status_code in (200, 201), made.text
    assert api.request("PUT", f"{secondary}/onlineEndpoints/own{name[:6]}", ML,
                       json={"properties": {"authMode": "Key"}}).status_code in (200, 201)
    assert _wait(lambda: _live(api, secondary, f"gone{name[:6]}", {})) is not None
    # removed by hand in the secondary: the reconciler deploys it again
    assert api.request("DELETE", f"{secondary}/onlineEndpoints/gone{name[:6]}", ML).status_code in (200, 202, 204)
    assert _wait(lambda: api.request("GET", f"{secondary}/onlineEndpoints/gone{name[:6]}", ML).status_code == 404)
    api.container.warm_endpoints.reconcile()
    assert _wait(lambda: _live(api, secondary, f"gone{name[:6]}", {})) is not None
    assert api.request("DELETE", f"{primary}/onlineEndpoints/gone{name[:6]}", ML).status_code in (200, 202, 204)
    assert _wait(lambda: api.request("GET", f"{secondary}/onlineEndpoints/gone{name[:6]}", ML).status_code == 404)
    assert api.request("GET", f"{secondary}/onlineEndpoints/own{name[:6]}", ML).status_code == 200
    # nor is one the user made there taken over by the primary's endpoint of the same name
    assert api.request("PUT", f"{primary}/onlineEndpoints/own{name[:6]}", ML,
                       json={"properties": {"authMode": "AMLToken"}}).status_code in (200, 201)
    assert _wait(lambda: [t for t in _tasks(api, "pair.endpointLive") if t.state.value == "Failed"])
    own = api.request("GET", f"{secondary}/onlineEndpoints/own{name[:6]}", ML).json()
    assert own["properties"]["authMode"] == "Key" and "amlite.pair.standbyOf" not in own["tags"], own
    assert api.request("DELETE", f"{primary}/onlineEndpoints/own{name[:6]}", ML).status_code in (200, 202, 204)
    key = _pair_key(api, f"h{name}")
    assert _wait(lambda: [s.name for s in _standbys(api, key)] == ["my-endpoint"])
    assert _wait(lambda: _idle(api, "pair.endpointLive"))  # its removal ran, and left it alone
    assert api.request("GET", f"{secondary}/onlineEndpoints/own{name[:6]}", ML).status_code == 200

    # at a failover, what serves already needs nothing
    with api.container.deps.uow() as uow:
        pair = uow.workspace_pairs.by_name(api.tenant, f"h{name}")
    assert pair is not None
    outcome = api.container.warm_endpoints.run(pair, {})
    assert outcome == [{"name": "my-endpoint", "state": "Succeeded", "alreadyServing": True,
                        "deployments": [{"name": "green", "state": "Succeeded"}]}], outcome
    for ws in (primary, secondary):
        assert api.request("DELETE", f"{ws}/onlineEndpoints/my-endpoint", ML).status_code in (200, 202, 204)
    assert api.request("DELETE", f"{secondary}/onlineEndpoints/own{name[:6]}", ML).status_code in (200, 202, 204)


def _tasks(api: Api, kind: str) -> list[Any]:
    with api.container.deps.uow() as uow:
        return uow.tasks.unfinished(kind)


def _idle(api: Api, kind: str) -> bool:
    with api.container.deps.uow() as uow:
        counts = uow.tasks.count_by_state(kind)
    return not counts.get("Pending") and not counts.get("Running")
