"""The replication state machine, its backoff, per-region state, and asset owners' URIs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from amlite.domain.asset_owners import AssetOwner, Lineage, OwnerType, RegionStorage
from amlite.domain.assets import AssetKind
from amlite.domain.replication import (
    MAX_ATTEMPTS,
    MAX_BACKOFF,
    ReplicationState,
    backoff,
    new_task,
    replication_of,
)

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
BASE = timedelta(seconds=2)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, BASE).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(40, BASE) == MAX_BACKOFF


def test_a_task_is_claimed_fails_with_a_reason_is_retried_later_and_succeeds() -> None:
    task = new_task("k", "v", "r", "westus", NOW)
    assert task.state is ReplicationState.NOT_STARTED and task.next_attempt_at == NOW
    claimed = task.claimed("w1", NOW, timedelta(seconds=60))
    assert claimed.state is ReplicationState.IN_PROGRESS and claimed.attempts == 1 and claimed.lease_owner == "w1"
    failed = claimed.failed(NOW, "storage down", BASE)
    assert failed.state is ReplicationState.FAILED and failed.reason == "storage down"
    assert failed.next_attempt_at == NOW + BASE and failed.lease_owner is None
    again = failed.claimed("w2", NOW + BASE, timedelta(seconds=60)).failed(NOW + BASE, "still down", BASE)
    assert again.attempts == 2 and again.next_attempt_at == NOW + BASE + 2 * BASE
    done = again.claimed("w3", NOW, timedelta(seconds=60)).succeeded(NOW)
    assert done.state is ReplicationState.SUCCEEDED and done.reason is None and done.next_attempt_at is None


def test_a_task_that_used_its_attempts_stays_failed() -> None:
    task = new_task("k", "v", "r", "westus", NOW)
    for _ in range(MAX_ATTEMPTS):
        task = task.claimed("w", NOW, timedelta(seconds=1)).failed(NOW, "down", BASE)
    assert task.state is ReplicationState.FAILED and task.next_attempt_at is None


def test_replication_of_lists_the_primary_first_and_only_current_regions() -> None:
    westus = new_task("k1", "v", "r", "westus", NOW).claimed("w", NOW, BASE)
    gone = new_task("k2", "v", "r", "centralus", NOW)
    states = replication_of("eastus", ("eastus", "eastus2", "westus"), [westus, gone])
    assert [(s.location, s.state) for s in states] == [
        ("eastus", ReplicationState.SUCCEEDED), ("eastus2", ReplicationState.NOT_STARTED),
        ("westus", ReplicationState.IN_PROGRESS)]


def test_owners_name_their_files_as_azure_ml_does() -> None:
    reg = AssetOwner(OwnerType.REGISTRY, "k", "shared", "s", "rg", "eastus",
                     regions=(RegionStorage("eastus", "a1", "c"), RegionStorage("westus", "a2", "c")))
    assert reg.files_uri(AssetKind.MODELS, "m", "1") == "azureml://registries/shared/models/m/versions/1"
    assert reg.primary.account == "a1" and reg.replica_regions == ("westus",) and reg.region("West US") is not None
    assert reg.arm_id.endswith("/providers/Microsoft.MachineLearningServices/registries/shared")
    ws = AssetOwner(OwnerType.WORKSPACE, "k", "w", "s", "rg", "eastus")
    assert ws.files_uri(AssetKind.DATA, "d", "2").endswith("/workspaces/w/datastores/workspaceblobstore/paths/data/d/2/")
    lineage = Lineage("asset", "ws", "job")
    assert Lineage.from_json(lineage.as_json()) == lineage and Lineage.from_json(None) is None


def test_a_registry_source_passes_on_its_own_origin() -> None:
    ws = AssetOwner(OwnerType.WORKSPACE, "k", "w", "s", "rg", "eastus")
    reg = AssetOwner(OwnerType.REGISTRY, "k2", "staging", "s", "rg", "eastus",
                     regions=(RegionStorage("eastus", "a1", "c"),))
    first = Lineage.of_share("ws-asset", ws, None, "job")
    assert first == Lineage("ws-asset", ws.arm_id, "job")
    second = Lineage.of_share("reg-asset", reg, first.as_json(), None)
    assert second.as_json() == {"sourceAssetId": "reg-asset", "sourceWorkspaceId": ws.arm_id, "sourceJobName": "job"}
    assert Lineage.of_share("direct", reg, None, None).as_json() == {"sourceAssetId": "direct"}
