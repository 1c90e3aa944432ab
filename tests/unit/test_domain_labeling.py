"""Labeling projects' bodies (``domain.labeling``): what a PUT's properties must hold, what is
kept, and the pause/resume state machine."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from amlite.domain.errors import InvalidInput
from amlite.domain.labeling import (
    LabelingProject,
    LabelingStatus,
    check_project_name,
    data_reference,
    judge_properties,
)

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
LATER = datetime(2025, 1, 2, tzinfo=timezone.utc)


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "jobType": "Labeling", "description": "pets",
        "dataConfiguration": {"dataId": "azureml:images:1"},
        "labelCategories": {"species": {"displayName": "Species", "multiSelect": "disabled",
                                        "classes": {"cat": {"displayName": "Cat"},
                                                    "dog": {"subclasses": {"puppy": {}}}}}},
        "labelingJobMediaProperties": {"mediaType": "image", "annotationType": "boundingbox"},
        "mlAssistConfiguration": {"mlAssist": "Disabled"},
        # read-only fields a client sends back are ignored
        "status": "Completed", "progressMetrics": {"completedDatapointCount": 5}, "projectId": "x",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_body_is_kept_normalized_without_read_only_fields() -> None:
    spec = judge_properties(body())
    assert spec == {
        "description": "pets",
        "dataConfiguration": {"dataId": "azureml:images:1", "incrementalDataRefresh": "Disabled"},
        "labelCategories": {"species": {"displayName": "Species", "multiSelect": "Disabled",
                                        "classes": {"cat": {"displayName": "Cat"}, "dog": {"subclasses": {"puppy": {}}}}}},
        "labelingJobMediaProperties": {"mediaType": "Image", "annotationType": "BoundingBox"},
        "mlAssistConfiguration": {"mlAssist": "Disabled"},
    }


@pytest.mark.parametrize(("changes", "code", "target"), [
    ({"jobType": "Command"}, "InvalidRequestContent", "properties.jobType"),
    ({"jobType": None}, "InvalidRequestContent", "properties.jobType"),
    ({"dataConfiguration": None}, "InvalidRequestContent", "properties.dataConfiguration"),
    ({"dataConfiguration": {"dataId": " "}}, "InvalidRequestContent", "properties.dataConfiguration.dataId"),
    ({"dataConfiguration": {"dataId": "azureml:images:1", "incrementalDataRefresh": "Sometimes"}},
     "InvalidRequestContent", "properties.dataConfiguration.incrementalDataRefresh"),
    ({"labelCategories": {}}, "InvalidRequestContent", "properties.labelCategories"),
    ({"labelCategories": {"species": {"classes": {}}}}, "InvalidRequestContent",
     "properties.labelCategories.species.classes"),
    ({"labelCategories": {"species": {"classes": {"cat": {}}, "multiSelect": True}}}, "InvalidRequestContent",
     "properties.labelCategories.species.multiSelect"),
    ({"labelCategories": {"species": {"classes": {"cat": {"subclasses": []}}}}}, "InvalidRequestContent",
     "properties.labelCategories.species.classes.cat.subclasses"),
    ({"labelingJobMediaProperties": {"mediaType": "Video"}}, "InvalidRequestContent",
     "properties.labelingJobMediaProperties.mediaType"),
    ({"labelingJobMediaProperties": {"mediaType": "Text", "annotationType": "BoundingBox"}}, "InvalidRequestContent",
     "properties.labelingJobMediaProperties.annotationType"),
    ({"mlAssistConfiguration": {"mlAssist": "Enabled"}}, "MLAssistNotSupported",
     "properties.mlAssistConfiguration.mlAssist"),
    ({"tags": {"a": 1}}, "InvalidRequestContent", "properties.tags"),
    ({"jobInstructions": {"uri": "file:///etc/passwd"}}, "InvalidRequestContent", "properties.jobInstructions.uri"),
])
def test_a_bad_body_is_refused_naming_the_field(changes: dict[str, Any], code: str, target: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        judge_properties(body(**changes))
    assert (caught.value.code, caught.value.target) == (code, target)


def test_classes_nest_only_so_deep() -> None:
    classes: dict[str, Any] = {"leaf": {}}
    for level in range(6):
        classes = {f"c{level}": {"subclasses": classes}}
    with pytest.raises(InvalidInput, match="at most 5 levels"):
        judge_properties(body(labelCategories={"deep": {"classes": classes}}))


@pytest.mark.parametrize("name", ["", "-lead", "a/b", "x" * 256, "sp ace"])
def test_bad_project_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_project_name(name)


def test_data_ids_are_read_as_references() -> None:
    arm = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/data/d/versions/1"
    assert data_reference(arm) == "azureml:" + arm
    assert data_reference("azureml:d:1") == "azureml:d:1"


def test_pause_and_resume_change_only_the_status_and_are_idempotent() -> None:
    project = LabelingProject(key="k", workspace_key="w", name="p", project_id="pid", spec={}, status=LabelingStatus.RUNNING,
                              created_at=NOW, modified_at=NOW, created_by="admin")
    paused = project.paused(LATER)
    assert (paused.status, paused.modified_at, paused.created_at) == (LabelingStatus.PAUSED, LATER, NOW)
    assert paused.paused(LATER) is paused
    resumed = paused.resumed(LATER)
    assert resumed.status is LabelingStatus.RUNNING and resumed.resumed(LATER) is resumed
