"""Request body of a job PUT, as Azure ML's REST API spells it (``JobBase``: ``{"properties": {...}}``).

The properties are read as a JSON object here; ``domain.jobs`` judges each field after the caller
is admitted and the workspace found, so a missing workspace is a 404 whatever the body says.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from amlite.schemas.arm_common import ArmModel

__all__ = ["JobBody", "LabelingJobBody"]


def _or_empty(value: object) -> object:
    return {} if value is None else value


class JobBody(ArmModel):
    """PUT of a job: a new command job, or the display name, description, tags and archived flag
    of an existing one."""

    properties: Annotated[dict[str, Any], BeforeValidator(_or_empty)] = Field(default_factory=dict)


class LabelingJobBody(ArmModel):
    """PUT of a labeling project (Azure's ``LabelingJob``): its properties, judged by
    ``domain.labeling.judge_properties`` once the caller is admitted."""

    properties: Annotated[dict[str, Any], BeforeValidator(_or_empty)] = Field(default_factory=dict)
