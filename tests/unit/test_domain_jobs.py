"""The job rules that need no I/O: the status machine, judging a job's properties, binding the
command to local paths, and how an environment is honoured (or said not to be)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from amlite.domain.errors import Conflict, InvalidInput
from amlite.domain.jobs import (
    Job,
    JobStatus,
    bind_command,
    can_move,
    compute_name,
    environment_plan,
    job_spec,
    parse_output_uri,
)
from amlite.domain.resources import AuditStamp

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def props(**extra: Any) -> dict[str, Any]:
    return {"jobType": "Command", "command": "python t.py --d ${{inputs.d}} --o ${{outputs.o}}",
            "environmentId": "azureml:env:1",
            "inputs": {"d": {"jobInputType": "uri_folder", "uri": "azureml:data:1"}},
            "outputs": {"o": {"jobOutputType": "uri_folder"}}, **extra}


def job(status: JobStatus) -> Job:
    stamp = AuditStamp("u", "User", NOW, "u", "User", NOW)
    return Job(key="k", workspace_key="w", name="j", spec=job_spec(props()), status=status, stamp=stamp, etag='"e"',
               submitted_by="p", display_name="j")


@pytest.mark.parametrize(("start", "to", "allowed"), [
    (JobStatus.NOT_STARTED, JobStatus.QUEUED, True),
    (JobStatus.QUEUED, JobStatus.PREPARING, True),
    (JobStatus.PREPARING, JobStatus.RUNNING, True),
    (JobStatus.RUNNING, JobStatus.FINALIZING, True),
    (JobStatus.FINALIZING, JobStatus.COMPLETED, True),
    (JobStatus.RUNNING, JobStatus.CANCEL_REQUESTED, True),
    (JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED, True),
    (JobStatus.NOT_STARTED, JobStatus.CANCELED, True),
    (JobStatus.RUNNING, JobStatus.COMPLETED, False),  # outputs are stored first (Finalizing)
    (JobStatus.COMPLETED, JobStatus.CANCELED, False),
    (JobStatus.CANCELED, JobStatus.RUNNING, False),
    (JobStatus.FAILED, JobStatus.QUEUED, False),
    (JobStatus.CANCEL_REQUESTED, JobStatus.COMPLETED, False),
])
def test_status_machine(start: JobStatus, to: JobStatus, allowed: bool) -> None:
    assert can_move(start, to) is allowed
    if allowed:
        moved = job(start).moved(to, NOW)
        assert moved.status is to and (moved.end_time is not None) == to.is_terminal
    else:
        with pytest.raises(Conflict) as info:
            job(start).moved(to, NOW)
        assert info.value.code == "JobStatusConflict"


def test_running_sets_start_time_and_a_failure_keeps_its_reason() -> None:
    running = job(JobStatus.PREPARING).moved(JobStatus.RUNNING, NOW)
    assert running.start_time == NOW and running.end_time is None
    failed = running.failed(NOW, "UserError", "exit 3")
    assert (failed.status, failed.error_code, failed.error_message, failed.end_time) == (
        JobStatus.FAILED, "UserError", "exit 3", NOW)
    assert JobStatus.CANCEL_REQUESTED.has_started and not JobStatus.QUEUED.has_started


def test_bindings_become_paths_and_optional_blocks_follow_their_inputs() -> None:
    values = {"inputs.d": "/w/in/d", "outputs.o": "/w/out/o"}
    assert bind_command("python t.py --d ${{inputs.d}} --o ${{ outputs.o }}", values) == "python t.py --d /w/in/d --o /w/out/o"
    assert bind_command("run $[[--lr ${{inputs.lr}}]] $[[--d ${{inputs.d}}]]", values) == "run  --d /w/in/d"
    with pytest.raises(InvalidInput):
        bind_command("run ${{inputs.missing}}", values)


@pytest.mark.parametrize(("change", "target"), [
    ({"command": "run ${{inputs.nope}}"}, "properties.command"),
    ({"command": "run ${{parent.inputs.d}}"}, "properties.command"),
    ({"command": ""}, "properties.command"),
    ({"environmentId": None}, "properties.environmentId"),
    ({"jobType": "Sweep"}, "properties.jobType"),
    ({"codeId": "azureml:code:1"}, "properties.codeId"),
    ({"inputs": {"d": {"jobInputType": "uri_folder"}}}, "properties.inputs.d.uri"),
    ({"inputs": {"d": {"jobInputType": "table", "uri": "x"}}}, "properties.inputs.d.jobInputType"),
    ({"inputs": {"d": {"jobInputType": "literal"}}}, "properties.inputs.d.value"),
    ({"outputs": {"o": {"jobOutputType": "uri_folder", "uri": "azureml://datastores/x/paths/y"}}}, "properties.outputs.o.uri"),
    ({"environmentVariables": {"1BAD": "x"}}, "properties.environmentVariables.1BAD"),
    ({"environmentVariables": {"MLFLOW_TRACKING_URI": "x"}}, "properties.environmentVariables.MLFLOW_TRACKING_URI"),
    ({"codeArtifacts": [{"path": "../x.py", "sha256": "0" * 64, "size": 1}]}, "properties.codeArtifacts"),
])
def test_bad_properties_name_their_field(change: dict[str, Any], target: str) -> None:
    with pytest.raises(InvalidInput) as info:
        job_spec(props(**change))
    assert info.value.target is not None and info.value.target.startswith(target), info.value


def test_a_spec_round_trips_through_its_wire_form() -> None:
    spec = job_spec(props(inputs={"d": {"jobInputType": "uri_folder", "uri": "azureml:data:1"},
                                  "n": {"jobInputType": "literal", "value": True}},
                          command="run ${{inputs.d}} ${{inputs.n}} ${{outputs.o}}"))
    assert spec.inputs["n"].value == "true" and spec.experiment_name == "Default"
    assert job_spec(spec.to_wire()) == spec


def test_output_uris() -> None:
    assert parse_output_uri("azureml://jobs/j1/outputs/model") == ("j1", "model", "")
    assert parse_output_uri("azureml://jobs/j1/outputs/model/paths/sub/a.txt") == ("j1", "model", "sub/a.txt")
    assert parse_output_uri("azureml://datastores/x/paths/y") is None


def test_what_an_environment_cannot_have_is_said() -> None:
    plan = environment_plan({"image": "img:1"}, {"dependencies": ["python=3.8", "pip", "numpy=1.26",
                                                                   {"pip": ["requests==2.0", "--extra-index-url x"]}]},
                            "3.11.4")
    assert plan.requirements == ("requests==2.0",)
    text = " ".join(plan.warnings)
    assert "img:1" in text and "python 3.8" in text and "numpy=1.26" in text and "--extra-index-url" in text
    same = environment_plan({"image": "img:1"}, {"dependencies": ["python=3.11", {"pip": []}]}, "3.11.4")
    assert same.requirements == () and len(same.warnings) == 1


@pytest.mark.parametrize(("given", "name"), [
    (None, None), ("", None), ("local", None), ("azureml:local", None), ("azureml:cpu-cluster", "cpu-cluster"),
    ("cpu-cluster", "cpu-cluster"),
    ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/gpu", "gpu"),
])
def test_compute_name_reads_the_forms_a_job_names_its_compute_by(given: str | None, name: str | None) -> None:
    assert compute_name(given) == name


def test_a_compute_that_is_not_a_workspace_compute_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_name("azureml://registries/r/computes/x")
    assert caught.value.target == "properties.computeId"
