"""A job on Ray as amlite reads it (``domain/ray_jobs.py``), and what a Ray compute may say, in its
YAML (``schemas/computes.py``) and its REST body (``services/compute_requests.py``)."""

from __future__ import annotations

import json

import pytest

from amlite.domain.assets import ManifestEntry
from amlite.domain.computes import ComputeType, check_ray_address
from amlite.domain.errors import InvalidInput
from amlite.domain.ray_jobs import RayJobInfo, result_marker, split_log, submission_id
from amlite.schemas import YamlSchemaError
from amlite.schemas.arm_computes import ComputeBody
from amlite.schemas.computes import parse_compute_spec
from amlite.services import compute_requests
from amlite.services.compute_requests import parse_compute


def test_the_submission_id_and_the_result_marker_follow_the_job_key() -> None:
    assert submission_id("k1") == submission_id("k1") == "amlite-k1"
    assert result_marker("k1") != result_marker("k2")


def test_the_result_line_is_taken_out_of_the_log_and_read() -> None:
    marker = result_marker("key")
    entry = {"path": "model.txt", "sha256": "a" * 64, "size": 3}
    log = ("Running entrypoint for job amlite-key: python ray_entry.py job.json\ntraining\n\n"
           f"{marker} {json.dumps({'exit_code': 0, 'outputs': {'model': [entry]}})}\n")
    kept, result = split_log(log, marker)
    assert kept == "Running entrypoint for job amlite-key: python ray_entry.py job.json\ntraining\n"
    assert result is not None and result.exit_code == 0 and not result.error
    assert result.outputs == {"model": (ManifestEntry("model.txt", "a" * 64, 3),)}


def test_a_log_without_a_result_or_with_another_jobs_has_none() -> None:
    other = f"{result_marker('other')} {json.dumps({'exit_code': 0, 'outputs': {}})}\n"
    kept, result = split_log("line\n" + other, result_marker("key"))
    assert result is None and kept == "line\n" + other
    assert split_log(f"{result_marker('key')} not json\n", result_marker("key"))[1] is None
    failed = split_log(f"{result_marker('key')} {json.dumps({'exit_code': None, 'error': 'HTTPError: 401'})}\n",
                       result_marker("key"))[1]
    assert failed is not None and failed.exit_code is None and failed.error == "HTTPError: 401"


def test_ray_states() -> None:
    assert not RayJobInfo("PENDING").is_terminal and not RayJobInfo("RUNNING").is_terminal
    assert all(RayJobInfo(s).is_terminal for s in ("SUCCEEDED", "FAILED", "STOPPED"))


@pytest.mark.parametrize("address", ["http://127.0.0.1:8265", "https://ray.example.com", "http://head:8265/"])
def test_a_dashboard_address_is_taken(address: str) -> None:
    assert check_ray_address(address, "address") == address.rstrip("/")


@pytest.mark.parametrize("address", ["", "ray://127.0.0.1:10001", "127.0.0.1:8265", "http://h:8265/api", "http://a b"])
def test_anything_else_is_refused(address: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_ray_address(address, "properties.properties.address")
    assert raised.value.target == "properties.properties.address"


def test_a_ray_compute_yaml_takes_an_address_and_refuses_sizes_and_unknown_fields() -> None:
    spec = parse_compute_spec({"name": "rc", "type": "ray", "address": "http://127.0.0.1:8265"})
    assert spec.type == "ray" and spec.address == "http://127.0.0.1:8265"
    for extra, field in (({"size": "Standard_DS3_v2"}, "size"), ({"max_instances": 2}, "max_instances"),
                         ({"head_node": "x"}, "head_node"), ({"resource_id": "/x"}, "resource_id")):
        with pytest.raises(YamlSchemaError) as raised:
            parse_compute_spec({"name": "rc", "type": "ray", "address": "http://127.0.0.1:8265", **extra})
        assert field in str(raised.value)
    with pytest.raises(YamlSchemaError, match="address"):
        parse_compute_spec({"name": "rc", "type": "ray"})
    with pytest.raises(YamlSchemaError, match="address"):
        parse_compute_spec({"name": "c", "type": "amlcompute", "size": "Standard_DS3_v2", "address": "http://h:1"})


def test_a_ray_compute_body_is_judged_and_refused_without_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    body = ComputeBody.model_validate({"properties": {"computeType": "Ray", "properties": {"address": "http://h:8265"}}})
    req = parse_compute(body, "eastus")
    assert req.compute_type is ComputeType.RAY and req.settings == {"address": "http://h:8265"}
    assert req.vm_size.vcpus == 0  # no quota drawn
    monkeypatch.setattr(compute_requests.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InvalidInput) as raised:
        parse_compute(body, "eastus")
    assert raised.value.code == "RayNotInstalled" and "ray[default]" in raised.value.message


def test_an_environment_on_ray_is_warned_of_in_ray_terms() -> None:
    from amlite.domain.jobs import environment_plan

    conda = {"dependencies": ["python=3.9", "numpy", {"pip": ["scikit-learn==1.5.0"]}]}
    plan = environment_plan({"image": "mcr.microsoft.com/azureml/x"}, conda, "3.11.9", on_ray=True)
    assert plan.requirements == ("scikit-learn==1.5.0",)  # the Ray job's runtime_env pip list
    assert all("Ray" in w for w in plan.warnings) and len(plan.warnings) == 3
    assert not any("virtualenv" in w or "server's" in w for w in plan.warnings)
    local = environment_plan({"image": "mcr.microsoft.com/azureml/x"}, conda, "3.11.9")
    assert any("virtualenv on the server's Python 3.11.9" in w for w in local.warnings)
