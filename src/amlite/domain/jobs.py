"""Command jobs: what a job asks for (``JobSpec``), where it stands (``JobStatus``), and the rules
that need no I/O: judging a job's ``properties`` as Azure ML's REST API spells them, the status
machine, and binding ``${{inputs.x}}`` / ``${{outputs.y}}`` in the command to local paths.

    NotStarted ─▶ Queued ─▶ Preparing ─▶ Running ─▶ Finalizing ─▶ Completed
        │            │          │            │           │
        └────────────┴──────────┴────────────┴───────────┴─▶ Failed | CancelRequested ─▶ Canceled

A job is a row in the workspace and a task of the one task engine (``services/job_runs.py`` runs
it). Everything but ``displayName``, ``description``, ``tags`` and ``isArchived`` is fixed at
submission: a rerun is a new job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from amlite.domain.assets import ManifestEntry, check_manifest
from amlite.domain.errors import Conflict, invalid
from amlite.domain.names import check_text
from amlite.domain.pipelines import PipelineStep, pipeline_steps
from amlite.domain.resources import AuditStamp

P = "properties"
CODE = "InvalidRequestContent"
#: Job names: Azure ML's rule (letters, digits, ``-`` and ``_``, starting with a letter or digit).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}")
_PORT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BINDING = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.S)

INPUT_TYPES = ("literal", "uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model")
OUTPUT_TYPES = ("uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model")
INPUT_MODES = ("ReadOnlyMount", "ReadWriteMount", "Download", "Direct", "EvalMount", "EvalDownload")
OUTPUT_MODES = ("ReadWriteMount", "Upload", "Direct")
#: Environment variables the runner sets itself; a job may not override them.
RESERVED_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME",
                "AZUREML_RUN_ID", "AZUREML_CR_WORKING_DIR")


class JobSetupFailed(Exception):
    """The runner could not prepare what the job needs (its environment, its inputs): the job fails
    with ``code`` and ``message``, whatever retrying would do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JobStatus(str, Enum):
    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)

    @property
    def has_started(self) -> bool:
        """A worker began to run it: a process may exist (or existed, for a crashed server)."""
        return self in (JobStatus.PREPARING, JobStatus.RUNNING, JobStatus.FINALIZING, JobStatus.CANCEL_REQUESTED)


_NEXT: dict[JobStatus, tuple[JobStatus, ...]] = {
    JobStatus.NOT_STARTED: (JobStatus.QUEUED, JobStatus.PREPARING, JobStatus.FAILED, JobStatus.CANCELED),
    JobStatus.QUEUED: (JobStatus.PREPARING, JobStatus.FAILED, JobStatus.CANCELED),
    JobStatus.PREPARING: (JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED),
    JobStatus.RUNNING: (JobStatus.FINALIZING, JobStatus.FAILED, JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED),
    JobStatus.FINALIZING: (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCEL_REQUESTED, JobStatus.CANCELED),
    JobStatus.CANCEL_REQUESTED: (JobStatus.CANCELED, JobStatus.FAILED),
}


def can_move(current: JobStatus, to: JobStatus) -> bool:
    return to in _NEXT.get(current, ())


@dataclass(frozen=True)
class JobInput:
    """One input: a literal value, or an asset/URI (``uri``), or files the client uploaded (``artifacts``)."""

    type: str
    value: str | None = None
    uri: str | None = None
    mode: str | None = None  # asset inputs: ReadOnlyMount unless given
    artifacts: tuple[ManifestEntry, ...] = ()
    description: str | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"jobInputType": self.type}
        if self.type == "literal":
            out["value"] = self.value
        else:
            out["uri"] = self.uri
            out["mode"] = self.mode
        if self.artifacts:
            out["artifacts"] = [e.as_json() for e in self.artifacts]
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class JobOutput:
    type: str
    mode: str = "ReadWriteMount"
    description: str | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"jobOutputType": self.type, "mode": self.mode}
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class JobSpec:
    """What a job runs; immutable once submitted. A command job runs ``command`` in its
    environment; a pipeline job (``job_type`` Pipeline) runs ``steps``, each a child command job."""

    command: str
    environment_id: str
    compute_id: str | None = None
    experiment_name: str = "Default"
    environment_variables: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, JobInput] = field(default_factory=dict)
    outputs: dict[str, JobOutput] = field(default_factory=dict)
    code: tuple[ManifestEntry, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    job_type: str = "Command"
    steps: dict[str, PipelineStep] = field(default_factory=dict)
    continue_on_step_failure: bool = False

    @property
    def is_pipeline(self) -> bool:
        return self.job_type == "Pipeline"

    def to_wire(self) -> dict[str, Any]:
        if self.is_pipeline:
            return {
                "jobType": "Pipeline", "computeId": self.compute_id, "experimentName": self.experiment_name,
                "inputs": {k: v.to_wire() for k, v in self.inputs.items()},
                "outputs": {k: v.to_wire() for k, v in self.outputs.items()},
                "jobs": {k: v.to_wire() for k, v in self.steps.items()}, "properties": dict(self.properties),
                "settings": {"continueOnStepFailure": self.continue_on_step_failure},
            }
        return {
            "jobType": "Command", "command": self.command, "environmentId": self.environment_id,
            "computeId": self.compute_id, "experimentName": self.experiment_name,
            "environmentVariables": dict(self.environment_variables),
            "inputs": {k: v.to_wire() for k, v in self.inputs.items()},
            "outputs": {k: v.to_wire() for k, v in self.outputs.items()},
            "codeArtifacts": [e.as_json() for e in self.code], "properties": dict(self.properties),
        }


@dataclass(frozen=True)
class JobDetails:
    """The mutable fields of a job."""

    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    is_archived: bool | None = None


@dataclass(frozen=True)
class Job:
    key: str
    workspace_key: str
    name: str
    spec: JobSpec
    status: JobStatus
    stamp: AuditStamp
    etag: str
    submitted_by: str  # the principal id whose rights the job's own tokens carry
    display_name: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    is_archived: bool = False
    warnings: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()  # the pip requirements of its environment, resolved at submission
    # The environment build it runs on, named as an image of its workspace's registry
    # (``domain/images``); None for a pipeline and a job on a Ray cluster (no build of amlite's).
    image: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    outputs: dict[str, tuple[ManifestEntry, ...]] = field(default_factory=dict)  # name → stored files
    logs: tuple[ManifestEntry, ...] = ()
    run_id: str = ""  # the MLflow run id of the job
    start_time: datetime | None = None
    end_time: datetime | None = None

    def moved(self, to: JobStatus, now: datetime) -> Job:
        """The job in status ``to``; a move the machine does not allow is a 409 (a finished job
        is not canceled, a canceled one does not complete)."""
        if to is self.status:
            return self
        if not can_move(self.status, to):
            raise Conflict("JobStatusConflict", f"The job '{self.name}' is {self.status.value} and cannot become {to.value}.")
        start = self.start_time or (now if to is JobStatus.RUNNING else None)
        end = now if to.is_terminal else self.end_time
        return replace(self, status=to, start_time=start, end_time=end)

    def failed(self, now: datetime, code: str, message: str) -> Job:
        return replace(self.moved(JobStatus.FAILED, now), error_code=code, error_message=message[:4000])


def check_job_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise invalid("InvalidJobName",
                      f"'{name}' is not a valid job name: use 1-255 letters, digits, '-' or '_', starting with a "
                      "letter or digit.", "name")
    return name


def job_spec(props: Mapping[str, Any]) -> JobSpec:
    """A job PUT's ``properties`` as a spec; ``400`` naming the first field that is wrong."""
    job_type = str(props.get("jobType") or "")
    if job_type.lower() == "pipeline":
        return _pipeline_spec(props)
    if job_type.lower() != "command":
        raise invalid(CODE, f"jobType '{job_type}' is not supported: amlite runs Command and Pipeline jobs.",
                      f"{P}.jobType")
    if props.get("codeId"):
        raise invalid(CODE, "codeId (a code asset) is not supported: send the code folder's files as codeArtifacts "
                      "(the amlite CLI and SDK upload the job's code folder).", f"{P}.codeId")
    command = _required_text(props.get("command"), "command", 100_000)
    environment = _required_text(props.get("environmentId"), "environmentId", 2048)
    compute = _text(props.get("computeId"), "computeId", 2048)
    experiment = _text(props.get("experimentName"), "experimentName", 256) or "Default"
    env_vars = _env_vars(props.get("environmentVariables"))
    inputs = _mapping(props.get("inputs"), "inputs")
    outputs = _mapping(props.get("outputs"), "outputs")
    _check_instance_count(_mapping(props.get("resources"), "resources"))
    spec = JobSpec(
        command=command, environment_id=environment, compute_id=compute, experiment_name=experiment,
        environment_variables=env_vars,
        inputs={_port(k, "inputs"): _input(k, v) for k, v in inputs.items()},
        outputs={_port(k, "outputs"): _output(k, v) for k, v in outputs.items()},
        code=check_manifest(props.get("codeArtifacts") or [], f"{P}.codeArtifacts"),
        properties={str(k): str(v) for k, v in _mapping(props.get("properties"), "properties").items()},
    )
    check_bindings(spec)
    return spec


def _pipeline_spec(props: Mapping[str, Any]) -> JobSpec:
    inputs = _mapping(props.get("inputs"), "inputs")
    outputs = _mapping(props.get("outputs"), "outputs")
    settings = _mapping(props.get("settings"), "settings")
    unknown = sorted(set(settings) - {"continueOnStepFailure", "defaultCompute"})
    if unknown:
        raise invalid(CODE, f"settings {', '.join(unknown)} not supported: continueOnStepFailure and defaultCompute are.",
                      f"{P}.settings.{unknown[0]}")
    keep_going = settings.get("continueOnStepFailure", False)
    if not isinstance(keep_going, bool):
        raise invalid(CODE, "settings.continueOnStepFailure must be true or false.", f"{P}.settings.continueOnStepFailure")
    return JobSpec(
        command="", environment_id="", job_type="Pipeline",
        compute_id=_text(props.get("computeId") or settings.get("defaultCompute"), "computeId", 2048),
        experiment_name=_text(props.get("experimentName"), "experimentName", 256) or "Default",
        inputs={_port(k, "inputs"): _input(k, v) for k, v in inputs.items()},
        outputs={_port(k, "outputs"): _output(k, v) for k, v in outputs.items()},
        steps=pipeline_steps(props.get("jobs"), inputs, outputs), continue_on_step_failure=keep_going,
        properties={str(k): str(v) for k, v in _mapping(props.get("properties"), "properties").items()},
    )


def job_details(props: Mapping[str, Any]) -> JobDetails:
    tags = props.get("tags")
    if tags is not None and (not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values())):
        raise invalid(CODE, "tags must map names to strings.", f"{P}.tags")
    archived = props.get("isArchived")
    if archived is not None and not isinstance(archived, bool):
        raise invalid(CODE, "isArchived must be true or false.", f"{P}.isArchived")
    return JobDetails(display_name=_text(props.get("displayName"), "displayName", 256),
                      description=_text(props.get("description"), "description", 10_000), tags=tags,
                      is_archived=archived)


def check_bindings(spec: JobSpec) -> None:
    """Every ``${{inputs.x}}`` / ``${{outputs.y}}`` in the command names a declared port (an
    optional ``$[[...]]`` block may name an input the job leaves out, as Azure ML allows)."""
    required = _OPTIONAL.sub("", spec.command)
    for expr in _BINDING.findall(required):
        _port_of(expr, spec.inputs, spec.outputs)
    for block in _OPTIONAL.findall(spec.command):
        for expr in _BINDING.findall(block):
            side, _, name = expr.partition(".")
            if side == "outputs":
                _port_of(expr, spec.inputs, spec.outputs)


def bind_command(command: str, values: Mapping[str, str]) -> str:
    """The command with each binding replaced by its value (``values`` maps ``inputs.x`` and
    ``outputs.y`` to a local path or a literal). An optional block ``$[[...]]`` is kept, without
    its brackets, when all its bindings have values, and dropped otherwise."""
    def block(match: re.Match[str]) -> str:
        inner = match.group(1)
        if all(expr in values for expr in _BINDING.findall(inner)):
            return _BINDING.sub(lambda m: values[m.group(1)], inner)
        return ""

    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr not in values:
            raise invalid(CODE, f"The command binds ${{{{{expr}}}}}, which has no value.", f"{P}.command")
        return values[expr]

    return _BINDING.sub(one, _OPTIONAL.sub(block, command))


_COMPUTE_ARM = re.compile(r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/"
                          r"workspaces/[^/]+/computes/(?P<name>[^/]+)/?", re.I)


def compute_name(compute_id: str | None) -> str | None:
    """The workspace compute a job's ``computeId`` names (``azureml:<name>``, the compute's ARM id,
    or a bare name), or None for the server's local runner (none given, ``local``)."""
    if not compute_id:
        return None
    text = compute_id.strip()
    arm = _COMPUTE_ARM.fullmatch(text)
    if arm is not None:
        name = arm.group("name")
    else:
        name = text[len("azureml:"):] if text.lower().startswith("azureml:") else text
    if not name or name.lower() == "local":
        return None
    if "/" in name or ":" in name:
        raise invalid(CODE, f"The compute '{compute_id}' is not a compute of the workspace: give azureml:<name> "
                      "or local.", f"{P}.computeId")
    return name


def output_uri(job_name: str, output: str) -> str:
    """Where a job's output is addressed: ``azureml://jobs/<job>/outputs/<output>``."""
    return f"azureml://jobs/{job_name}/outputs/{output}"


_JOB_OUTPUT = re.compile(r"azureml://jobs/(?P<job>[^/]+)/outputs/(?P<out>[^/]+)(?:/paths/(?P<path>.*))?/?", re.I)


def parse_output_uri(uri: str) -> tuple[str, str, str] | None:
    """(job, output, path inside it) of an ``azureml://jobs/<job>/outputs/<out>[/paths/<p>]`` URI."""
    match = _JOB_OUTPUT.fullmatch(uri.strip())
    if match is None:
        return None
    return match["job"], match["out"], (match["path"] or "").strip("/")


# -- helpers -------------------------------------------------------------------------------------


def _port_of(expr: str, inputs: Mapping[str, JobInput], outputs: Mapping[str, JobOutput]) -> None:
    side, _, name = expr.partition(".")
    ports: Mapping[str, Any] = inputs if side == "inputs" else outputs if side == "outputs" else {}
    if side not in ("inputs", "outputs") or not name or "." in name:
        raise invalid(CODE, f"The command's binding ${{{{{expr}}}}} is not ${{{{inputs.<name>}}}} or "
                      "${{outputs.<name>}}.", f"{P}.command")
    if name not in ports:
        raise invalid(CODE, f"The command binds ${{{{{expr}}}}} but the job declares no {side[:-1]} '{name}'.",
                      f"{P}.command")


def _input(name: str, raw: Any) -> JobInput:
    target = f"{P}.inputs.{name}"
    if not isinstance(raw, dict):
        raise invalid(CODE, "An input must be an object with jobInputType.", target)
    kind = str(raw.get("jobInputType") or "").lower()
    if kind not in INPUT_TYPES:
        raise invalid(CODE, f"jobInputType '{raw.get('jobInputType')}' is not one of {', '.join(INPUT_TYPES)}.",
                      f"{target}.jobInputType")
    description = _text(raw.get("description"), f"inputs.{name}.description", 10_000)
    if kind == "literal":
        value = raw.get("value")
        if value is None or isinstance(value, (dict, list)):
            raise invalid(CODE, "A literal input needs a value (a string, number or boolean).", f"{target}.value")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return JobInput("literal", value=text, description=description)
    artifacts = check_manifest(raw.get("artifacts") or [], f"{target}.artifacts")
    uri = _text(raw.get("uri"), f"inputs.{name}.uri", 2048)
    if not uri and not artifacts:
        raise invalid(CODE, "An input of an asset type needs a uri (or uploaded files, artifacts).", f"{target}.uri")
    mode = raw.get("mode")
    if mode is not None and mode not in INPUT_MODES:
        raise invalid(CODE, f"mode '{mode}' is not one of {', '.join(INPUT_MODES)}.", f"{target}.mode")
    return JobInput(kind, uri=uri, mode=mode or "ReadOnlyMount", artifacts=artifacts, description=description)


def _output(name: str, raw: Any) -> JobOutput:
    target = f"{P}.outputs.{name}"
    if raw is None:
        return JobOutput("uri_folder", mode="ReadWriteMount")
    if not isinstance(raw, dict):
        raise invalid(CODE, "An output must be an object with jobOutputType.", target)
    kind = str(raw.get("jobOutputType") or "uri_folder").lower()
    if kind not in OUTPUT_TYPES:
        raise invalid(CODE, f"jobOutputType '{raw.get('jobOutputType')}' is not one of {', '.join(OUTPUT_TYPES)}.",
                      f"{target}.jobOutputType")
    if raw.get("uri"):
        raise invalid(CODE, "An output's uri cannot be chosen: outputs are stored in the workspace's default storage "
                      "and addressed as azureml://jobs/<job>/outputs/<name>.", f"{target}.uri")
    mode = raw.get("mode")
    if mode is not None and mode not in OUTPUT_MODES:
        raise invalid(CODE, f"mode '{mode}' is not one of {', '.join(OUTPUT_MODES)}.", f"{target}.mode")
    return JobOutput(kind, mode=mode or "ReadWriteMount",
                     description=_text(raw.get("description"), f"outputs.{name}.description", 10_000))


def _env_vars(raw: Any) -> dict[str, str]:
    values = _mapping(raw, "environmentVariables")
    out: dict[str, str] = {}
    for key, value in values.items():
        target = f"{P}.environmentVariables.{key}"
        if not _ENV_VAR.fullmatch(str(key)):
            raise invalid(CODE, f"'{key}' is not a valid environment variable name.", target)
        if str(key).upper() in RESERVED_ENV:
            raise invalid(CODE, f"'{key}' is set by the job runner and cannot be given.", target)
        if isinstance(value, (dict, list)) or value is None:
            raise invalid(CODE, "An environment variable's value must be a string.", target)
        out[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _port(name: str, side: str) -> str:
    if not _PORT.fullmatch(str(name)):
        raise invalid(CODE, f"'{name}' is not a valid {side[:-1]} name.", f"{P}.{side}.{name}")
    return str(name)


def _mapping(raw: Any, key: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid(CODE, f"{key} must be an object.", f"{P}.{key}")
    return raw


def _check_instance_count(resources: Mapping[str, Any]) -> None:
    """``resources.instanceCount`` is a whole number of nodes, as Azure's REST API has it: one that
    is not would otherwise slip past the warning that says a count above 1 is not honoured."""
    count = resources.get("instanceCount")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise invalid(CODE, f"resources.instanceCount must be a whole number of at least 1, not {count!r}.",
                      f"{P}.resources.instanceCount")


def _text(value: Any, key: str, limit: int) -> str | None:
    if value is not None and not isinstance(value, str):
        raise invalid(CODE, f"{key} must be a string.", f"{P}.{key}")
    return check_text(value, f"{P}.{key}", limit)


def _required_text(value: Any, key: str, limit: int) -> str:
    text = _text(value, key, limit)
    if not text or not text.strip():
        raise invalid(CODE, f"A command job needs {key}.", f"{P}.{key}")
    return text


# -- environments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentPlan:
    """How the local runner honours an environment: the pip requirements it installs, and what it
    cannot honour, said in the job's warnings."""

    requirements: tuple[str, ...]
    warnings: tuple[str, ...]


_PYTHON_PIN = re.compile(r"python\s*(?:[=<>!~]=?|==)\s*([0-9][0-9.*]*)", re.I)


def environment_plan(env_spec: Mapping[str, Any], conda: Mapping[str, Any] | None, python_version: str,
                     on_ray: bool = False) -> EnvironmentPlan:
    """The plan for an environment version's spec (``image``, ``build``) and its conda file
    (already parsed). The runner has no container engine: an image or a Docker build is not
    used, conda-only packages are not installed, and a pinned Python other than the server's is
    not provided; each is named in a warning. On a Ray compute (``on_ray``) the pip section goes to
    the Ray job's runtime environment and the job runs on the cluster's own Python."""
    warnings: list[str] = []
    where = ("the job runs on the Ray cluster's own Python" if on_ray
             else f"the job runs in a virtualenv on the server's Python {python_version}")
    runner = "the Ray backend does not use container images" if on_ray else "the local runner has no container engine"
    if env_spec.get("image"):
        warnings.append(f"The environment's image '{env_spec['image']}' is not run: {runner}; {where}.")
    if env_spec.get("build"):
        warnings.append(f"The environment's Docker build context is not built: {runner}; {where}.")
    pips: list[str] = []
    conda_only: list[str] = []
    for dep in (conda or {}).get("dependencies") or []:
        if isinstance(dep, dict):
            pips.extend(str(p) for p in dep.get("pip") or [] if str(p).strip())
            continue
        text = str(dep).strip()
        pin = _PYTHON_PIN.fullmatch(text)
        if text.lower() in ("pip", "python") or text.lower().startswith("pip=") or text.lower().startswith("pip>"):
            continue
        if pin:
            wanted = pin.group(1).rstrip(".*")
            if on_ray:
                warnings.append(f"The environment asks for python {pin.group(1)}; the job runs on the Ray cluster's "
                                "own Python.")
            elif not python_version.startswith(wanted):
                warnings.append(f"The environment asks for python {pin.group(1)}; the job runs on the server's "
                                f"Python {python_version}.")
            continue
        conda_only.append(text)
    if conda_only:
        installs = "the Ray job's runtime environment gets" if on_ray else "the local runner installs"
        warnings.append(f"Conda packages are not installed ({installs} only the conda file's pip "
                        f"section): {', '.join(conda_only)}.")
    options = [p for p in pips if p.startswith("-")]
    if options:
        warnings.append(f"pip options in the conda file are not used: {', '.join(options)}.")
    return EnvironmentPlan(tuple(p for p in pips if not p.startswith("-")), tuple(warnings))
