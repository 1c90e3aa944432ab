"""MLflow's JSON for tracking's objects (protobuf JSON, as MLflow's server writes it)."""

from __future__ import annotations

from typing import Any

from amlite.domain.tracking import Experiment, Metric, Run, wire_float


def _pairs(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(values.items())]


def experiment_body(exp: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": exp.experiment_id, "name": exp.name, "artifact_location": exp.artifact_location,
        "lifecycle_stage": exp.lifecycle_stage.value, "creation_time": exp.creation_time,
        "last_update_time": exp.last_update_time, "tags": _pairs(exp.tags),
    }


def metric_body(m: Metric) -> dict[str, Any]:
    return {"key": m.key, "value": wire_float(m.value), "timestamp": m.timestamp, "step": m.step}


def run_info(run: Run) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": run.run_id, "run_uuid": run.run_id, "run_name": run.run_name, "experiment_id": run.experiment_id,
        "user_id": run.user_id, "status": run.status.value, "start_time": run.start_time,
        "artifact_uri": run.artifact_uri, "lifecycle_stage": run.lifecycle_stage.value,
    }
    if run.end_time is not None:
        info["end_time"] = run.end_time
    return info


def run_body(run: Run) -> dict[str, Any]:
    return {
        "info": run_info(run),
        "data": {"metrics": [metric_body(m) for m in run.metrics], "params": _pairs(run.params),
                 "tags": _pairs(run.tags)},
        "inputs": {},
    }
