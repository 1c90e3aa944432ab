"""The rules of paired workspaces (domain/pairs.py) and of outage drills (domain/outages.py,
blobs/outage.py) with no server: modes per kind, ids, and a failed region's store refusing
everything while changing nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from amlite.blobs.memory import MemoryBlobStore
from amlite.blobs.outage import DrillableBlobStore
from amlite.domain.assets import AssetKind
from amlite.domain.errors import InvalidInput, StorageUnavailable
from amlite.domain.outages import RegionOutage
from amlite.domain.pairs import PairMode, WorkspacePair, parse_mode, parse_per_kind, parse_workspace_id

WS = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w1"


def test_a_kind_takes_its_own_mode_or_the_pairs() -> None:
    pair = WorkspacePair("k", "t", "p", "a", "b", PairMode.HOT_COLD, parse_per_kind({"Models": "HOT-HOT"}))
    assert pair.mode_of("models") is PairMode.HOT_HOT and pair.mode_of("data") is PairMode.HOT_COLD
    assert pair.copied_kinds() == [AssetKind.MODELS]
    warm = WorkspacePair("k", "t", "p", "a", "b", PairMode.HOT_WARM, {"jobs": PairMode.HOT_COLD})
    assert set(warm.copied_kinds()) == {AssetKind.MODELS, AssetKind.ENVIRONMENTS, AssetKind.COMPONENTS, AssetKind.DATA}


@pytest.mark.parametrize("bad", [lambda: parse_mode("hot/hot"), lambda: parse_per_kind({"notebooks": "hot-hot"}),
                                 lambda: parse_per_kind({"models": "warm"}), lambda: parse_workspace_id("/x", "primary")])
def test_bad_modes_kinds_and_ids_are_400s(bad: object) -> None:
    with pytest.raises(InvalidInput):
        bad()  # type: ignore[operator]


def test_a_workspace_id_parses() -> None:
    assert parse_workspace_id(WS, "primary") == ("s1", "rg", "w1")


def test_an_outage_is_failed_until_restored() -> None:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    outage = RegionOutage("eastus", at, "admin")
    assert outage.is_failed and not outage.restored(at, "admin").is_failed


def test_a_failed_regions_store_refuses_and_changes_nothing() -> None:
    failed: set[str] = set()
    east = DrillableBlobStore(MemoryBlobStore("eastus"), lambda r: r in failed)
    west = DrillableBlobStore(MemoryBlobStore("westus"), lambda r: r in failed)
    for store in (east, west):
        store.ensure_container("acct", "c")
    data = b"bytes"
    digest = hashlib.sha256(data).hexdigest()
    east.put_stream("acct", "c", [data])
    failed.add("eastus")
    for call in (lambda: east.exists("acct", "c", digest), lambda: east.put_stream("acct", "c", [b"new"]),
                 lambda: east.list_accounts(), lambda: west.copy_blob(east, "acct", "c", "acct", "c", digest)):
        with pytest.raises(StorageUnavailable) as exc:
            call()
        assert exc.value.code == "ServerBusy"
    assert not west.exists("acct", "c", digest)  # the copy out of the failed region wrote nothing
    failed.clear()
    assert east.exists("acct", "c", digest) and not east.exists("acct", "c", hashlib.sha256(b"new").hexdigest())
    west.copy_blob(east, "acct", "c", "acct", "c", digest)
    assert west.exists("acct", "c", digest)
