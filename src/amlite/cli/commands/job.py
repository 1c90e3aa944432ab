"""``amlite ml job``: command jobs, as ``az ml job`` runs them.

``create --file F`` reads a command job YAML (``--set k=v`` overrides it, ``--name`` names the
job; without a name a fresh one is made, so the same file submitted again runs again), uploads
the code folder and local inputs, submits, and prints the job (with ``--stream``: streams its log
first and exits non-zero if it did not complete). ``show``, ``list``, ``cancel``, ``archive``,
``restore``, ``stream`` (the log as it grows; exit 1 if the job failed or was canceled) and
``download`` (logs, and ``--output-name`` or ``--all`` outputs) work on existing jobs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from amlite.cli.command import command, current_session
from amlite.cli.commands.assets import Group, Sets, Workspace, parse_sets, workspace_scope
from amlite.cli.progress import transfer_progress
from amlite.cli.session import CliError
from amlite.sdk.asset_entities import ListViewType
from amlite.sdk.job_entities import CommandJob, load_job

__all__ = ["register"]

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the job.")]


def job_table(result: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in result if isinstance(result, list) else [result]:
        if isinstance(item, dict):
            rows.append({"Name": item.get("name"), "Type": item.get("type"), "Status": item.get("status"),
                         "Experiment": item.get("experiment_name"),
                         "CreatedAt": (item.get("creation_context") or {}).get("created_at")})
    return rows


class _Client:
    """The session's client for the workspace in scope, and how to print its jobs."""

    def __init__(self, resource_group: str | None, workspace_name: str | None) -> None:
        scope = workspace_scope(resource_group, workspace_name)
        self.resource_group = scope.resource_group
        self.client = current_session().ml_client(scope)

    def show(self, job: CommandJob) -> dict[str, Any]:
        return {**job._to_dict(), "resourceGroup": self.resource_group}

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()


def _ended_badly(job: CommandJob) -> None:
    if job.status != "Completed":
        error = job.error or {}
        raise CliError(str(error.get("code") or f"Job{job.status}"),
                       str(error.get("message") or f"The job '{job.name}' ended {job.status}."))


def create(
    file: Annotated[Path, typer.Option("--file", "-f", help="The command job's YAML file (Azure ML CLI v2 schema).")],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Name of the job (default: the file's, else a new one).")] = None,
    set_: Sets = None,
    stream: Annotated[bool, typer.Option("--stream", "-s", help="Stream the job's log until it ends.")] = False,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """Submit a command job from a YAML file (the code folder and local inputs are uploaded)."""
    session = current_session()
    job = load_job(file, params_override=parse_sets(set_))
    with _Client(resource_group, workspace_name) as c:
        ops = c.client.jobs
        with transfer_progress(f"Uploading {file.name}", quiet=session.options.only_show_errors) as hook:
            ops.on_progress = hook
            created = ops.create_or_update(job, name=name)
        for warning in created.warnings:
            print(f"Warning: {warning}", file=sys.stderr)
        if not stream:
            return c.show(created)
        ended = ops.stream(created.name, out=sys.stderr)
        _ended_badly(ended)
        return c.show(ended)


def show(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Show a job."""
    with _Client(resource_group, workspace_name) as c:
        return c.show(c.client.jobs.get(name))


def list_(
    all_results: Annotated[bool, typer.Option("--all-results", help="List every job (not only the first page).")] = True,
    max_results: Annotated[int | None, typer.Option("--max-results", "-r", help="At most this many jobs.")] = None,
    include_archived: Annotated[bool, typer.Option("--include-archived", help="List archived jobs too.")] = False,
    archived_only: Annotated[bool, typer.Option("--archived-only", help="List archived jobs only.")] = False,
    parent_job_name: Annotated[str | None, typer.Option("--parent-job-name", "-p", help="List the steps (child jobs) of this pipeline job.")] = None,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """List the workspace's jobs, newest first (a pipeline's steps with --parent-job-name)."""
    view = ListViewType.ARCHIVED_ONLY if archived_only else ListViewType.ALL if include_archived else ListViewType.ACTIVE_ONLY
    with _Client(resource_group, workspace_name) as c:
        rows = []
        for job in c.client.jobs.list(list_view_type=view, parent_job_name=parent_job_name):
            rows.append(c.show(job))
            if max_results is not None and len(rows) >= max_results:
                break
        return rows


def cancel(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Cancel a job: one not started yet at once, a running one by ending its process tree."""
    with _Client(resource_group, workspace_name) as c:
        c.client.jobs.begin_cancel(name)
        return None


def _archived(archived: bool) -> Any:
    def change(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
        with _Client(resource_group, workspace_name) as c:
            (c.client.jobs.archive if archived else c.client.jobs.restore)(name)
            return None

    change.__doc__ = "Archive a job (hidden from lists)." if archived else "Restore an archived job."
    return change


def stream(name: Name, workspace_name: Workspace = None, resource_group: Group = None) -> Any:
    """Print the job's log as it grows until the job ends (exit 1 if it did not complete)."""
    with _Client(resource_group, workspace_name) as c:
        ended = c.client.jobs.stream(name)
    _ended_badly(ended)
    return None


def download(
    name: Name,
    download_path: Annotated[Path, typer.Option("--download-path", "-p", help="Folder to download into.")] = Path("."),
    output_name: Annotated[str | None, typer.Option("--output-name", help="Download this named output.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Download every named output, the logs and the code snapshot.")] = False,
    workspace_name: Workspace = None,
    resource_group: Group = None,
) -> Any:
    """Download a finished job's logs (DIR/artifacts) and outputs (DIR/named-outputs/NAME); --all
    also its code snapshot (DIR/code)."""
    session = current_session()
    with _Client(resource_group, workspace_name) as c:
        with transfer_progress(f"Downloading {name}", quiet=session.options.only_show_errors) as hook:
            c.client.jobs.on_progress = hook
            c.client.jobs.download(name, download_path=download_path, output_name=output_name, all=all_)
    return None


def register(ml_app: typer.Typer) -> None:
    app = typer.Typer(help="Manage Azure ML command jobs.", no_args_is_help=True)
    command(app, "create", table=job_table)(create)
    command(app, "show", table=job_table, not_found_exit_code=3)(show)
    command(app, "list", table=job_table)(list_)
    command(app, "cancel")(cancel)
    command(app, "archive")(_archived(True))
    command(app, "restore")(_archived(False))
    command(app, "stream")(stream)
    command(app, "download")(download)
    ml_app.add_typer(app, name="job")
