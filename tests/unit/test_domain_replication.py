"""Per-region replication state as clients see it, and asset owners' URIs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from amlite.domain.asset_owners import AssetOwner, Lineage, OwnerType, RegionStorage
from amlite.domain.assets import AssetKind
from amlite.domain.tasks import Task
from amlite.domain.replication import REPLICATE, ReplicationState, copy_key, replication_of
from amlite.domain.tasks import new_task

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
BASE = timedelta(seconds=2)


def _copy(key: str, region: str) -> Task:
    return new_task(key, REPLICATE, NOW, dedupe_key=copy_key("v", region), subject_key="v", scope_key="r",
                    payload={"region": region})


def test_replication_of_lists_the_primary_first_and_only_current_regions() -> None:
    westus = _copy("k1", "westus").claimed("w", NOW, BASE)
    gone = _copy("k2", "centralus")
    states = replication_of("eastus", ("eastus", "eastus2", "westus"), [westus, gone])
    assert [(s.location, s.state) for s in states] == [
        ("eastus", ReplicationState.SUCCEEDED), ("eastus2", ReplicationState.NOT_STARTED),
        ("westus", ReplicationState.IN_PROGRESS)]


def test_a_region_shows_its_copy_task_as_clients_know_it() -> None:
    """Pending → NotStarted, Running → InProgress, waiting after a failure → Failed with its
    reason and next attempt, failed for good → Failed without one, Succeeded."""
    def shown(task: Task) -> tuple[ReplicationState, str | None, bool]:
        [_, line] = replication_of("eastus", ("eastus", "westus"), [task])
        return line.state, line.reason, line.next_attempt_time is not None

    task = _copy("k", "westus")
    assert shown(task) == (ReplicationState.NOT_STARTED, None, False)
    running = task.claimed("w", NOW, BASE)
    assert shown(running) == (ReplicationState.IN_PROGRESS, None, False)
    waiting = running.retried(NOW, "down", BASE, max_attempts=3)
    assert shown(waiting) == (ReplicationState.FAILED, "down", True)
    assert shown(waiting.claimed("w", NOW, BASE).failed(NOW, "gone")) == (ReplicationState.FAILED, "gone", False)
    assert shown(waiting.claimed("w", NOW, BASE).succeeded(NOW)) == (ReplicationState.SUCCEEDED, None, False)
    assert copy_key("v", "West US".replace(" ", "").lower()) == copy_key("v", "westus")


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
