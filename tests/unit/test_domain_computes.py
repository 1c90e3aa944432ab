"""Compute rules without I/O: quota math, state transitions, names, durations, the quota settings,
the VM size catalogue and which node slot is free."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from amlite.domain.computes import (
    Compute,
    ComputeProvisioningState,
    ComputeType,
    InstanceState,
    NodeSlot,
    PowerAction,
    QuotaLimits,
    check_compute_name,
    check_quota,
    free_slot,
    parse_duration,
    parse_quota,
)
from amlite.domain.errors import Conflict, InvalidInput
from amlite.domain.resources import AuditStamp
from amlite.domain.vm_sizes import VM_SIZES, find_vm_size, family_display_name

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
DS3 = find_vm_size("Standard_DS3_v2")
assert DS3 is not None


def compute(kind: ComputeType = ComputeType.AML_COMPUTE, **fields: object) -> Compute:
    base: dict[str, object] = dict(key="c-1", workspace_key="w-1", name="cpu", compute_type=kind, location="eastus",
                                   vm_size=DS3, stamp=AuditStamp("u", "User", NOW, "u", "User", NOW))
    base.update(fields)
    return Compute(**base)  # type: ignore[arg-type]


def test_the_catalogue_has_azure_names_families_and_figures() -> None:
    assert (DS3.family, DS3.vcpus, DS3.memory_gb, DS3.gpus) == ("standardDSv2Family", 4, 14, 0)
    assert find_vm_size("STANDARD_DS3_V2") is DS3
    nc = find_vm_size("Standard_NC6s_v3")
    assert nc is not None and (nc.family, nc.vcpus, nc.gpus) == ("standardNCSv3Family", 6, 1)
    assert find_vm_size("Standard_Imaginary_v9") is None
    assert len({s.name.lower() for s in VM_SIZES}) == len(VM_SIZES)
    assert family_display_name("standardDSv2Family") == "Standard DSv2 Family vCPUs"


def test_a_cluster_reserves_max_nodes_times_vcpus_and_an_instance_its_vcpus() -> None:
    assert compute(max_nodes=3).reserved_vcpus == 12
    assert compute(ComputeType.COMPUTE_INSTANCE, max_nodes=1).reserved_vcpus == 4
    assert compute(max_nodes=3, provisioning_state=ComputeProvisioningState.FAILED).reserved_vcpus == 0


def test_quota_refuses_past_the_family_limit_naming_family_usage_and_limit() -> None:
    limits = QuotaLimits(family_vcpus=24, total_vcpus=100)
    check_quota(limits, {"standardDSv2Family": 16}, "standardDSv2Family", 8, "eastus")  # exactly at the limit
    with pytest.raises(InvalidInput) as refused:
        check_quota(limits, {"standardDSv2Family": 16}, "standardDSv2Family", 12, "eastus")
    err = refused.value
    assert err.code == "QuotaExceeded"
    assert "standardDSv2Family" in err.message and "Current usage: 16" in err.message and "limit: 24" in err.message
    # another family is counted apart
    check_quota(limits, {"standardDSv2Family": 24}, "standardFSv2Family", 24, "eastus")


def test_quota_refuses_past_the_regional_total_and_honours_a_family_override() -> None:
    limits = QuotaLimits(family_vcpus=24, total_vcpus=30, families={"standardNCSv3Family": 0})
    with pytest.raises(InvalidInput, match="Total Regional vCPUs.*limit: 30"):
        check_quota(limits, {"standardDSv2Family": 20}, "standardFSv2Family", 12, "eastus")
    with pytest.raises(InvalidInput, match="standardNCSv3Family.*limit: 0"):
        check_quota(limits, {}, "standardNCSv3Family", 6, "eastus")
    assert limits.limit_for("STANDARDNCSV3FAMILY") == 0


def test_quota_settings_parse_and_refuse_what_is_wrong() -> None:
    assert parse_quota(None) == QuotaLimits()
    limits = parse_quota({"family_vcpus": 8, "total_vcpus": 10, "families": {"standardNCSv3Family": 12}})
    assert (limits.family_vcpus, limits.total_vcpus, limits.limit_for("standardNCSv3Family")) == (8, 10, 12)
    for bad in ({"family_vcpus": -1}, {"total_vcpus": "many"}, {"families": [1]}, {"gpus": 2}, [1], {"family_vcpus": True}):
        with pytest.raises(ValueError):
            parse_quota(bad)


def test_instance_power_transitions() -> None:
    running = compute(ComputeType.COMPUTE_INSTANCE).provisioned(NOW)
    assert (running.provisioning_state, running.state) == (ComputeProvisioningState.SUCCEEDED, InstanceState.RUNNING)
    stopping = running.powering(PowerAction.STOP)
    assert stopping.state is InstanceState.STOPPING
    stopped = stopping.powered(PowerAction.STOP, NOW)
    assert stopped.state is InstanceState.STOPPED and stopped.last_operation is not None
    assert stopped.powered(PowerAction.STOP, NOW) == stopped  # a rerun changes nothing
    with pytest.raises(Conflict, match="Stopped; it can stop only when Running"):
        stopped.powering(PowerAction.STOP)
    with pytest.raises(Conflict):
        stopped.powering(PowerAction.RESTART)
    started = stopped.powering(PowerAction.START).powered(PowerAction.START, NOW)
    assert started.state is InstanceState.RUNNING
    restarting = started.powering(PowerAction.RESTART)
    assert restarting.state is InstanceState.RESTARTING
    assert restarting.powered(PowerAction.RESTART, NOW).state is InstanceState.RUNNING


def test_clusters_do_not_power_and_creating_computes_neither_power_nor_delete() -> None:
    with pytest.raises(InvalidInput, match="only compute instances"):
        compute().provisioned(NOW).powering(PowerAction.STOP)
    creating = compute(ComputeType.COMPUTE_INSTANCE, state=InstanceState.CREATING)
    with pytest.raises(Conflict):
        creating.powering(PowerAction.STOP)
    with pytest.raises(Conflict, match="being created"):
        creating.deleting()
    assert compute().provisioned(NOW).deleting().provisioning_state is ComputeProvisioningState.DELETING


def test_slots_a_cluster_has_max_nodes_a_running_instance_one_and_expired_leases_free_theirs() -> None:
    cluster = compute(max_nodes=2).provisioned(NOW)
    assert compute(max_nodes=2).slot_count == 0  # still Creating
    held = [NodeSlot("s0", "c-1", 0, "job-a", NOW, NOW + timedelta(seconds=60))]
    assert free_slot(cluster, held, NOW) == 1
    held.append(NodeSlot("s1", "c-1", 1, "job-b", NOW, NOW + timedelta(seconds=60)))
    assert free_slot(cluster, held, NOW) is None
    assert free_slot(cluster, held, NOW + timedelta(seconds=61)) == 0  # both leases ran out
    instance = compute(ComputeType.COMPUTE_INSTANCE).provisioned(NOW)
    assert instance.slot_count == 1
    assert instance.powering(PowerAction.STOP).powered(PowerAction.STOP, NOW).slot_count == 0


@pytest.mark.parametrize("name,kind,ok", [
    ("cpu", ComputeType.AML_COMPUTE, True), ("c", ComputeType.AML_COMPUTE, False),
    ("a" * 16, ComputeType.AML_COMPUTE, True), ("a" * 17, ComputeType.AML_COMPUTE, False),
    ("ci", ComputeType.COMPUTE_INSTANCE, False), ("a" * 24, ComputeType.COMPUTE_INSTANCE, True),
    ("1cpu", ComputeType.AML_COMPUTE, False), ("cpu-", ComputeType.AML_COMPUTE, False),
    ("cpu_1", ComputeType.AML_COMPUTE, False), ("cpu-1", ComputeType.AML_COMPUTE, True),
])
def test_compute_names(name: str, kind: ComputeType, ok: bool) -> None:
    if ok:
        assert check_compute_name(name, kind) == name
    else:
        with pytest.raises(InvalidInput):
            check_compute_name(name, kind)


def test_durations() -> None:
    assert parse_duration("PT120S", "x") == 120
    assert parse_duration("PT2M", "x") == 120
    assert parse_duration("P1DT1H", "x") == 90000
    for bad in ("120", "PT", "P", "PTxS", ""):
        with pytest.raises(InvalidInput):
            parse_duration(bad, "x")


def test_a_workspace_limit_refuses_past_it_naming_family_holder_usage_and_limit() -> None:
    from amlite.domain.computes import check_workspace_quota

    check_workspace_quota(None, 100, "standardDSv2Family", 8, "workspace 'w'", "eastus")  # no limit of its own
    check_workspace_quota(12, 4, "standardDSv2Family", 8, "hub 'h'", "eastus")  # exactly at the limit
    check_workspace_quota(0, 0, "standardDSv2Family", 0, "hub 'h'", "eastus")  # asks for nothing
    with pytest.raises(InvalidInput) as caught:
        check_workspace_quota(12, 12, "standardDSv2Family", 1, "hub 'h' (shared by its projects)", "eastus")
    err = caught.value
    assert err.code == "QuotaExceeded"
    for part in ("standardDSv2Family", "hub 'h'", "Current usage: 12", "additional required: 1", "limit: 12"):
        assert part in err.message


def test_a_workspace_limit_is_judged_as_azure_answers_each_entry() -> None:
    from amlite.domain.computes import QuotaUpdateStatus as S
    from amlite.domain.computes import judge_workspace_limit as judge

    assert judge(None, 4, 0, 24) is S.UNKNOWN_FAMILY
    assert judge("standardDSv2Family", 25, 0, 24) is S.ABOVE_SUBSCRIPTION
    assert judge("standardDSv2Family", 7, 8, 24) is S.BELOW_USAGE
    assert judge("standardDSv2Family", 8, 8, 24) is S.SUCCESS
    assert judge("standardDSv2Family", 24, 0, 24) is S.SUCCESS
    assert judge("standardDSv2Family", 0, 0, 24) is S.SUCCESS


def test_a_quota_entry_names_a_family_by_its_name_or_azures_spelling() -> None:
    from amlite.domain.vm_sizes import family_named

    assert family_named("standarddsv2family") == "standardDSv2Family"
    assert family_named("Standard_DSv2_Family_Cluster_Dedicated_vCPUs") == "standardDSv2Family"
    assert family_named("standardNCASv3_T4Family") == "standardNCASv3_T4Family"
    assert family_named("standardBogusFamily") is None
