"""Regions, preconditions, operations and ARM path canonicalization."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from amlite.api.paths import canonical_path
from amlite.domain.errors import InvalidInput, PreconditionFailed
from amlite.domain.operations import IllegalTransition, Operation, OperationKind, OperationStatus
from amlite.domain.preconditions import Preconditions
from amlite.domain.regions import DEFAULT_REGIONS, RegionCatalog

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_regions_resolve_by_name_or_display_name() -> None:
    catalog = RegionCatalog(DEFAULT_REGIONS)
    assert catalog.resolve("East US").name == "eastus"
    assert catalog.resolve("EASTUS2").name == "eastus2"
    with pytest.raises(InvalidInput) as info:
        catalog.resolve("atlantis")
    assert info.value.code == "InvalidLocation" and "eastus" in info.value.message
    with pytest.raises(InvalidInput):
        catalog.resolve(None)
    pairs = {r.name: r.paired_region for r in DEFAULT_REGIONS}
    assert all(pairs[pairs[name]] == name for name in ("eastus", "eastus2", "westus", "centralus"))


def test_preconditions() -> None:
    Preconditions(if_match='"a"').check('"a"')
    Preconditions(if_match='W/"a", "b"').check('"a"')
    Preconditions(if_match="*").check('"z"')
    Preconditions(if_none_match="*").check(None)
    for pre, etag in [(Preconditions(if_match='"a"'), '"b"'), (Preconditions(if_match="*"), None),
                      (Preconditions(if_none_match="*"), '"a"')]:
        with pytest.raises(PreconditionFailed):
            pre.check(etag)


def _op() -> Operation:
    return Operation(id="o", kind=OperationKind.DELETE_WORKSPACE, subscription_id="s", namespace="n", location="l",
                     target_id="t", target_key="k", created_by="me", created_at=NOW)


def test_operations_end_once() -> None:
    done = _op().succeeded(NOW)
    assert done.status is OperationStatus.SUCCEEDED and done.ended_at == NOW and done.status.is_terminal
    with pytest.raises(IllegalTransition):
        done.failed(NOW, "X", "y")
    failed = _op().failed(NOW, "Code", "why")
    assert (failed.error_code, failed.error_message) == ("Code", "why")
    assert _op().canceled(NOW, "stop").status is OperationStatus.CANCELED


@pytest.mark.parametrize("raw, canonical", [
    ("/subscriptions/S/resourcegroups/RG/providers/microsoft.machinelearningservices/workspaces/WS",
     "/subscriptions/S/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/WS"),
    ("/SUBSCRIPTIONS/S/RESOURCEGROUPS/Providers", "/subscriptions/S/resourceGroups/Providers"),
    ("/subscriptions/S/providers/MICROSOFT.STORAGE/register", "/subscriptions/S/providers/Microsoft.Storage/register"),
    ("/subscriptions/S/providers/Microsoft.Unknown/register", "/subscriptions/S/providers/Microsoft.Unknown/register"),
    ("/health", "/health"),
    ("/T/oauth2/v2.0/token", "/T/oauth2/v2.0/token"),
])
def test_fixed_path_words_are_canonicalized_and_names_kept(raw: str, canonical: str) -> None:
    assert canonical_path(raw) == canonical


def test_asset_and_artifact_path_words_are_canonicalized() -> None:
    ws = "/subscriptions/S/resourceGroups/G/providers/Microsoft.MachineLearningServices/workspaces/W"
    shouted = "/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/microsoft.machinelearningservices/WORKSPACES/W"
    assert canonical_path(shouted + "/ARTIFACTS/BLOBS/abc") == ws + "/artifacts/blobs/abc"
    assert canonical_path(ws + "/MODELS/m/VERSIONS/1") == ws + "/models/m/versions/1"
