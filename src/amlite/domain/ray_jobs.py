"""A command job on a Ray cluster, as amlite reads it: Ray's job states in amlite's terms, the
submission id that ties the two together, and the runner's result line in the Ray job's log.

Ray's job states (``ray.job_submission.JobStatus``) and what they mean for the amlite job::

    PENDING   ─▶ Preparing  (Ray sets the job's runtime environment up, or waits for resources)
    RUNNING   ─▶ Running    (the runner fetches the code and inputs, then runs the command)
    SUCCEEDED ─▶ Completed  (once the outputs the runner names are found in the workspace's storage)
    FAILED    ─▶ Failed     (the command's exit code, or what Ray says went wrong)
    STOPPED   ─▶ Canceled when amlite stopped it (a cancel); Failed when someone else did

The submission id is derived from the job's key, so a server that restarts finds its Ray job again
with nothing more stored: a job it finds started is re-attached to when Ray knows the id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from amlite.domain.assets import ManifestEntry

#: Ray's non-terminal states; the others end the job.
RAY_ACTIVE = frozenset({"PENDING", "RUNNING"})
RAY_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})
RESULT_MARKER = "amlite-ray-result"


def submission_id(job_key: str) -> str:
    """The Ray submission id of the job with ``job_key`` (stable across server restarts)."""
    return f"amlite-{job_key}"


def result_marker(job_key: str) -> str:
    """The prefix of the runner's result line for this job (a user's output cannot name another job's)."""
    return f"{RESULT_MARKER}-{job_key}:"


@dataclass(frozen=True)
class RayJobInfo:
    """What Ray says of a submitted job: its state and Ray's message."""

    status: str
    message: str = ""
    metadata: dict[str, str] = field(default_factory=dict)  # what amlite gave at submission (amlite.job, ...)

    @property
    def is_terminal(self) -> bool:
        return self.status in RAY_TERMINAL


@dataclass(frozen=True)
class RayResult:
    """The runner's last word: the command's exit code (None if it never ran) and the outputs it
    stored, or the error that stopped it."""

    exit_code: int | None
    outputs: dict[str, tuple[ManifestEntry, ...]] = field(default_factory=dict)
    error: str = ""


def split_log(text: str, marker: str) -> tuple[str, RayResult | None]:
    """The Ray job's log without the runner's result line, and that result (None when absent or
    unreadable: the runner was stopped or killed before it could write it)."""
    kept: list[str] = []
    result: RayResult | None = None
    for line in text.splitlines(keepends=True):
        if line.startswith(marker):
            result = _parse(line[len(marker):])
            if kept and kept[-1] == "\n":  # the blank line the runner writes before its result
                kept.pop()
            continue
        kept.append(line)
    return "".join(kept), result


def _parse(payload: str) -> RayResult | None:
    try:
        raw: Any = json.loads(payload)
        outputs = {str(name): tuple(ManifestEntry(str(e["path"]), str(e["sha256"]), int(e["size"])) for e in entries)
                   for name, entries in (raw.get("outputs") or {}).items()}
        code = raw.get("exit_code")
        return RayResult(int(code) if code is not None else None, outputs, str(raw.get("error") or ""))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
