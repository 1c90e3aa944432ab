"""Standby endpoint definitions (domain/warm_endpoints.py): what a failover deploys, and when a
standby is current."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from amlite.domain.online_endpoints import AuthMode, DeploymentState, OnlineDeployment, OnlineEndpoint
from amlite.domain.pairs import PairMode, WorkspacePair, parse_per_kind
from amlite.domain.warm_endpoints import (
    STANDBY_TAG, definition_of, fingerprint, live_key, portable_reference, serves_live, serving,
)

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/east"


def _endpoint(traffic: dict[str, int]) -> OnlineEndpoint:
    return OnlineEndpoint("k", "ws", "ep", "sid", AuthMode.KEY, "", {}, {}, traffic, NOW, NOW, "me")


def _deployment(name: str, state: DeploymentState = DeploymentState.SUCCEEDED, port: int | None = None) -> OnlineDeployment:
    return OnlineDeployment(f"d-{name}", "k", name, state, f"{WS}/models/m/versions/3", "azureml:m@latest",
                            f"{WS}/environments/e/versions/1", "score.py",
                            ({"path": "score.py", "sha256": "a" * 64, "size": 3},), "Standard_DS3_v2", 1,
                            {"A": "1"}, "", {}, {}, NOW, NOW, "me", port=port)


def test_references_into_the_primary_become_workspace_relative_and_pinned() -> None:
    assert portable_reference(f"{WS}/models/m/versions/3", "azureml:m@latest", WS) == "azureml:m:3"
    assert portable_reference(f"{WS.upper()}/models/m/versions/3", None, WS) == "azureml:m:3"
    registry = "azureml://registries/shared/models/m/versions/1"
    assert portable_reference("/subscriptions/s/.../registries/shared/models/m/versions/1", registry, WS) == registry
    other = WS.replace("east", "third") + "/models/m/versions/1"
    assert portable_reference(other, other, WS) == other


def test_the_definition_leaves_out_deleting_deployments_and_running_state() -> None:
    blue, green = _deployment("blue", port=5001), _deployment("green", DeploymentState.DELETING)
    spec = definition_of(_endpoint({"blue": 100, "green": 0}), [green, blue], WS)
    assert [d["name"] for d in spec["deployments"]] == ["blue"] and spec["traffic"] == {"blue": 100}
    assert spec["deployments"][0]["model"] == "azureml:m:3"
    assert spec["deployments"][0]["environmentId"] == "azureml:e:1"
    # where a deployment runs is not part of what it is: the fingerprint ignores it
    moved = definition_of(_endpoint({"blue": 100, "green": 0}), [_deployment("blue", port=6001)], WS)
    assert fingerprint(moved) == fingerprint(spec)
    assert fingerprint(definition_of(_endpoint({}), [blue], WS)) != fingerprint(spec)


def test_endpoints_take_the_pair_mode_unless_named() -> None:
    pair = WorkspacePair("p", "t", "n", "a", "b", PairMode.HOT_WARM, parse_per_kind({"Endpoints": "hot-cold"}))
    assert pair.mode_of("endpoints") is PairMode.HOT_COLD
    assert WorkspacePair("p", "t", "n", "a", "b", PairMode.HOT_WARM).mode_of("endpoints").copies


def test_only_a_hot_hot_pair_on_its_primary_serves_live() -> None:
    hot = WorkspacePair("p", "t", "n", "a", "b", PairMode.HOT_HOT)
    assert serves_live(hot) and not serves_live(replace(hot, failed_over=True))
    assert not serves_live(WorkspacePair("p", "t", "n", "a", "b", PairMode.HOT_WARM))
    assert not serves_live(WorkspacePair("p", "t", "n", "a", "b", PairMode.HOT_HOT,
                                         parse_per_kind({"endpoints": "hot-warm"})))
    assert live_key("p", "e", "f" * 64) != live_key("p", "e", "") != live_key("p", "e", "0" * 64)


def test_a_live_endpoint_serves_its_standby_only_as_it_is() -> None:
    primary = definition_of(_endpoint({"blue": 100}), [_deployment("blue")], WS)
    marker = f"{WS}/onlineEndpoints/ep"
    west = WS.replace("east", "west")
    # as the secondary holds it once deployed live: the portable references resolved there, the tag
    live = replace(_endpoint({"blue": 100}), tags={STANDBY_TAG: marker})
    made = replace(_deployment("blue"), model_ref="azureml:m:3", environment_id=f"{west}/environments/e/versions/1")

    def serves(endpoint: OnlineEndpoint | None, rows: list[OnlineDeployment]) -> bool:
        return serving(primary, marker, endpoint, rows, west)

    assert serves(live, [made])
    assert not serves(None, [])
    assert not serves(live, [replace(made, state=DeploymentState.CREATING)])  # not up yet
    assert not serves(live, [replace(made, scoring_script="other.py")])  # stale
    assert not serves(live, [replace(made, environment_id=f"{west}/environments/e/versions/2")])
    assert not serves(live, [replace(made, instance_count=2)])
    assert not serves(live, [made, replace(made, name="green")])  # one the primary removed
    assert serves(live, [made, replace(made, name="green", state=DeploymentState.DELETING)])
    assert not serves(replace(live, traffic={"blue": 0}), [made])
    assert not serves(replace(live, tags={}), [made])
