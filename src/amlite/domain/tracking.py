"""MLflow tracking inside a workspace: experiments, runs, and what runs log (params, metrics, tags,
artifacts), with MLflow's own rules, so the plain ``mlflow`` client works against a workspace's
``mlFlowTrackingUri`` unmodified.

The shapes follow MLflow's REST API (ids are strings, times are milliseconds since the epoch).
Errors carry MLflow's error codes (``RESOURCE_DOES_NOT_EXIST``, ``INVALID_PARAMETER_VALUE``,
``RESOURCE_ALREADY_EXISTS``) under amlite's error classes; the API renders them in MLflow's body.
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass, field
from enum import Enum

from amlite.domain.errors import Conflict, InvalidInput, NotFound

#: MLflow's error codes (``mlflow.protos.databricks_pb2.ErrorCode``) that tracking raises.
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"

#: The experiment MLflow clients use when none is named (``mlflow.start_run()`` with no
#: experiment set): every workspace has one, made on first use.
DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"

# MLflow's limits (mlflow.utils.validation), so that what MLflow refuses amlite refuses too.
MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VAL_LENGTH = 5000
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS_TAGS = 100
MAX_BATCH_TOTAL = 1000
MAX_RESULTS_SEARCH_RUNS = 50000
MAX_RESULTS_SEARCH_EXPERIMENTS = 50000
MAX_RESULTS_METRIC_HISTORY = 25000
RUN_NAME_TAG = "mlflow.runName"
_KEY = re.compile(r"^[/\w.\- :]*$")


class LifecycleStage(str, Enum):
    ACTIVE = "active"
    DELETED = "deleted"


class RunStatus(str, Enum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class ViewType(str, Enum):
    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    def stages(self) -> tuple[LifecycleStage, ...]:
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


@dataclass(frozen=True)
class Experiment:
    key: str
    workspace_key: str
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage
    creation_time: int
    last_update_time: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int


@dataclass(frozen=True)
class Run:
    key: str
    workspace_key: str
    experiment_key: str
    experiment_id: str
    run_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    lifecycle_stage: LifecycleStage
    artifact_uri: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()  # the latest value of each key


@dataclass(frozen=True)
class ArtifactFile:
    """One file logged to a run: its path below the run's artifact root and its content blob."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ArtifactEntry:
    """One entry of an artifact listing: a file, or a directory that holds some."""

    path: str
    is_dir: bool
    size: int | None


def invalid(message: str) -> InvalidInput:
    return InvalidInput(INVALID_PARAMETER_VALUE, message)


def experiment_not_found(what: str) -> NotFound:
    return NotFound(RESOURCE_DOES_NOT_EXIST, f"No Experiment with {what} exists.")


def run_not_found(run_id: str) -> NotFound:
    return NotFound(RESOURCE_DOES_NOT_EXIST, f"Run with id={run_id} not found")


def experiment_exists(name: str, stage: LifecycleStage) -> Conflict:
    where = " in deleted state" if stage is LifecycleStage.DELETED else ""
    return Conflict(RESOURCE_ALREADY_EXISTS, f"Experiment '{name}' already exists{where}.")


def check_key(kind: str, key: str) -> str:
    """A param, metric or tag name as MLflow allows it: letters, digits and ``_ - . / : space``."""
    if not key:
        raise invalid(f"Invalid {kind} name: '{key}'. The name must not be empty.")
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise invalid(f"{kind.capitalize()} name '{key[:40]}...' exceeds the maximum length of {MAX_ENTITY_KEY_LENGTH}.")
    if not _KEY.match(key) or posixpath.normpath(key) != key.rstrip("/") or key.startswith("/") or ".." in key.split("/"):
        raise invalid(f"Invalid {kind} name: '{key}'. Names may only contain alphanumerics, underscores (_), "
                      "dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).")
    return key


def check_value(kind: str, key: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise invalid(f"{kind.capitalize()} '{key}' value of length {len(value)} exceeds the maximum of {limit}.")
    return value


def check_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise invalid("Invalid experiment name: an experiment name must be a non-empty string.")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise invalid(f"Experiment name exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH}.")
    return name


def metric_value(raw: object, key: str) -> float:
    """A metric value as the client sends it: a JSON number, or a string protobuf JSON allows
    (``"0.5"``, ``"NaN"``, ``"Infinity"``, ``"-Infinity"``)."""
    if isinstance(raw, bool):
        raise invalid(f"Got invalid value {raw} for metric '{key}'. Please specify a number.")
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):  # protobuf JSON: a number may come as a string
        try:
            return float(raw.strip())
        except ValueError:
            pass
    raise invalid(f"Got invalid value {raw!r} for metric '{key}'. Please specify a number.")


def wire_float(value: float) -> float | str:
    """A float as protobuf JSON writes it (JSON has no NaN or infinities)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def whole_number(raw: object, name: str, default: int | None = None) -> int:
    """An int64 field: protobuf JSON sends them as numbers or as decimal strings."""
    if raw is None or raw == "":
        if default is None:
            raise invalid(f"Missing value for required parameter '{name}'.")
        return default
    if isinstance(raw, bool):
        raise invalid(f"Invalid value {raw!r} for parameter '{name}': a whole number is required.")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,19}", raw.strip()):
        return int(raw.strip())
    raise invalid(f"Invalid value {raw!r} for parameter '{name}': a whole number is required.")


def artifact_path(raw: str) -> str:
    """A path below an artifact root: relative, no ``..`` and no empty segments; refused otherwise
    (MLflow's ``validate_path_is_safe``)."""
    path = raw.strip("/")
    parts = path.split("/")
    if "\\" in raw or any(p in ("", ".", "..") for p in parts) or "\x00" in raw:
        raise invalid(f"Invalid artifact path: '{raw}'.")
    return path


def list_directory(files: list[ArtifactFile], directory: str) -> list[ArtifactEntry]:
    """The entries directly under ``directory`` (``""``: the root), MLflow's ``list_artifacts``:
    files with their size, and directories that hold a file somewhere below."""
    prefix = f"{directory}/" if directory else ""
    entries: dict[str, ArtifactEntry] = {}
    for f in files:
        if f.path == directory:  # the path names a file: MLflow lists that one file
            return [ArtifactEntry(f.path, False, f.size)]
        if not f.path.startswith(prefix):
            continue
        head, _, rest = f.path[len(prefix):].partition("/")
        if rest:
            entries.setdefault(prefix + head, ArtifactEntry(prefix + head, True, None))
        else:
            entries[prefix + head] = ArtifactEntry(prefix + head, False, f.size)
    return sorted(entries.values(), key=lambda e: e.path)


def run_artifact_root(experiment_id: str, run_id: str) -> str:
    """A run's ``artifact_uri``: MLflow's proxied-artifact scheme, which the client resolves against
    the tracking URI (``{tracking_uri}/api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts``)."""
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


def experiment_artifact_location(experiment_id: str) -> str:
    return f"mlflow-artifacts:/{experiment_id}"


def tracking_uri(endpoint: str, workspace_arm_id: str) -> str:
    """A workspace's ``mlFlowTrackingUri``: an http(s) URL the plain ``mlflow`` client uses as it is."""
    return f"{endpoint}/mlflow/v1.0{workspace_arm_id}"
