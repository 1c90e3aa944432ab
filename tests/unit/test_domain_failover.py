"""The rules of a pair's failover and failback (domain/failover.py) with no server: which switch
may start (each refusal its own code), the fixed name of a resubmitted job, which jobs are
resubmitted, when an automatic failover is due, the report history, and the CLI's config.json
rewrite that follows the switch."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from amlite.cli.commands.pair import follow_config
from amlite.domain.errors import Conflict
from amlite.domain.failover import (
    HISTORY_KEPT, auto_failover_due, check_can_fail_back, check_can_fail_over, failover_job_name, is_step,
    resubmittable,
    seconds_between, switch_number, with_report,
)
from amlite.domain.jobs import Job, JobSpec, JobStatus
from amlite.domain.pairs import PairMode, WorkspacePair
from amlite.domain.pipelines import PIPELINE_PROPERTY, STEP_PROPERTY, step_job_name
from amlite.domain.resources import AuditStamp

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
PAIR = WorkspacePair("k", "t", "prod", "p", "s", PairMode.HOT_HOT)
WS = "/subscriptions/s1/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}"


def code(call: object) -> str:
    with pytest.raises(Conflict) as exc:
        call()  # type: ignore[operator]
    return exc.value.code


def test_the_active_side_follows_the_switch() -> None:
    assert PAIR.active_key == "p" and PAIR.passive_key == "s"
    over = replace(PAIR, failed_over=True)
    assert over.active_key == "s" and over.passive_key == "p"


def test_each_refusal_has_its_own_code() -> None:
    over = replace(PAIR, failed_over=True)
    assert code(lambda: check_can_fail_over(PAIR, switching=True)) == "PairSwitchInProgress"
    assert code(lambda: check_can_fail_over(over, switching=False)) == "PairAlreadyFailedOver"
    assert code(lambda: check_can_fail_back(PAIR, False, "eastus", False)) == "PairNotFailedOver"
    assert code(lambda: check_can_fail_back(over, False, "eastus", True)) == "PrimaryRegionUnavailable"
    assert code(lambda: check_can_fail_back(over, True, "eastus", False)) == "PairSwitchInProgress"
    check_can_fail_over(PAIR, switching=False)
    check_can_fail_back(over, False, "eastus", False)


def test_a_resubmitted_job_has_a_fixed_name_per_switch() -> None:
    assert failover_job_name("train", 1) == "train-failover1" == failover_job_name("train", 1)
    assert failover_job_name("train", 3) == "train-failover3"
    assert len(failover_job_name("x" * 255, 12)) == 255


def _job(status: JobStatus, ended: datetime | None = None, error: str | None = None) -> Job:
    stamp = AuditStamp("u", "User", AT, "u", "User", AT)
    return Job("k", "w", "j", JobSpec("python x.py", "azureml:e:1"), status, stamp, "e", "u", "j",
               end_time=ended, error_code=error)


def test_which_jobs_a_failover_resubmits() -> None:
    failed_at = AT
    assert resubmittable(_job(JobStatus.RUNNING), None)
    assert resubmittable(_job(JobStatus.NOT_STARTED), failed_at)
    assert not resubmittable(_job(JobStatus.COMPLETED, AT + timedelta(seconds=5)), failed_at)
    # ended by the outage itself (its runner could not reach storage) after the region failed
    assert resubmittable(_job(JobStatus.FAILED, AT + timedelta(seconds=5), "JobRunnerError"), failed_at)
    assert not resubmittable(_job(JobStatus.FAILED, AT - timedelta(seconds=5), "JobRunnerError"), failed_at)
    assert not resubmittable(_job(JobStatus.FAILED, AT + timedelta(seconds=5), "UserError"), failed_at)
    assert not resubmittable(_job(JobStatus.FAILED, AT + timedelta(seconds=5), "JobRunnerError"), None)


def _pipeline(status: JobStatus, ended: datetime | None = None, error: str | None = None) -> Job:
    return replace(_job(status, ended, error), name="pipe", spec=JobSpec("", "", job_type="Pipeline"))


def _step(status: JobStatus, ended: datetime | None = None, error: str | None = None) -> Job:
    spec = JobSpec("python x.py", "azureml:e:1", properties={PIPELINE_PROPERTY: "pipe", STEP_PROPERTY: "a"})
    return replace(_job(status, ended, error), name=step_job_name("pipe", "a"), spec=spec)


def test_a_pipeline_is_resubmitted_whole_and_its_steps_never_on_their_own() -> None:
    later = AT + timedelta(seconds=5)
    assert resubmittable(_pipeline(JobStatus.RUNNING), AT)
    assert not resubmittable(_step(JobStatus.RUNNING), AT)  # its pipeline is resubmitted instead
    assert not resubmittable(_step(JobStatus.FAILED, later, "JobRunnerError"), AT)
    # a pipeline the outage ended through a step interrupted after the region failed
    interrupted = _step(JobStatus.FAILED, later, "JobRunnerError")
    assert resubmittable(_pipeline(JobStatus.FAILED, later, "PipelineStepFailed"), AT, [interrupted])
    assert not resubmittable(_pipeline(JobStatus.FAILED, later, "PipelineStepFailed"), AT,
                             [_step(JobStatus.FAILED, later, "UserError")])  # its own step's failure
    assert not resubmittable(_pipeline(JobStatus.FAILED, AT - timedelta(seconds=1), "PipelineStepFailed"), AT,
                             [interrupted])  # ended before the region failed
    assert not resubmittable(_pipeline(JobStatus.COMPLETED, later), AT, [interrupted])
    assert is_step(_step(JobStatus.RUNNING)) and not is_step(_pipeline(JobStatus.RUNNING))


def test_an_automatic_failover_is_due_after_its_threshold_only_when_asked() -> None:
    auto = replace(PAIR, auto_failover=True, failover_after_seconds=60)
    assert not auto_failover_due(PAIR, AT, AT + timedelta(hours=1))  # off by default
    assert not auto_failover_due(auto, None, AT)  # the region is up
    assert not auto_failover_due(auto, AT, AT + timedelta(seconds=59))
    assert auto_failover_due(auto, AT, AT + timedelta(seconds=60))
    assert not auto_failover_due(replace(auto, failed_over=True), AT, AT + timedelta(hours=1))


def test_the_history_numbers_switches_and_keeps_the_last_ones() -> None:
    assert switch_number(PAIR) == 1
    history: tuple[dict[str, object], ...] = ()
    for n in range(1, HISTORY_KEPT + 5):
        history = with_report(history, {"number": n})
    assert len(history) == HISTORY_KEPT and history[-1] == {"number": HISTORY_KEPT + 4}
    assert switch_number(replace(PAIR, history=history)) == HISTORY_KEPT + 5
    assert seconds_between(AT, AT + timedelta(milliseconds=1500)) == 1.5
    assert seconds_between(AT, AT - timedelta(seconds=1)) == 0.0


def test_config_json_follows_the_switch_only_when_it_named_the_old_workspace(tmp_path: Path) -> None:
    old, new = WS.format("rg-e", "ws-east"), WS.format("rg-w", "ws-west")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"subscription_id": "s1", "resource_group": "RG-E", "workspace_name": "ws-east",
                                "extra": 1}))
    assert follow_config(path, old, new)
    assert json.loads(path.read_text()) == {"subscription_id": "s1", "resource_group": "rg-w",
                                            "workspace_name": "ws-west", "extra": 1}
    assert not follow_config(path, old, new)  # names the new one now: left alone
    scoped = tmp_path / "scoped.json"
    scoped.write_text(json.dumps({"Scope": old}))
    assert follow_config(scoped, old, new) and json.loads(scoped.read_text())["Scope"] == new


def test_the_memory_store_keeps_a_pairs_switch_and_finds_it_from_either_side() -> None:
    from tests.unit.memory_world import memory_deps

    deps = memory_deps()
    with deps.uow(write=True) as uow:
        uow.workspace_pairs.add(PAIR)
        uow.commit()
    with deps.uow(write=True) as uow:
        uow.workspace_pairs.save(replace(PAIR, failed_over=True, history=({"number": 1},)))
        with deps.uow() as reader:
            assert reader.workspace_pairs.by_key("k") == PAIR  # not before the commit
        uow.commit()
    with deps.uow() as uow:
        assert [p.failed_over for p in uow.workspace_pairs.of_workspace("s")] == [True]
        assert uow.workspace_pairs.of_workspace("p") == uow.workspace_pairs.of_workspace("s")
        assert uow.workspace_pairs.of_workspace("x") == []
        assert uow.workspace_pairs.by_key("k").history == ({"number": 1},)  # type: ignore[union-attr]
