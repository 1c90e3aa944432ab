"""Ray clusters through Ray's Job Submission API (``ray.job_submission.JobSubmissionClient``, over
the HTTP address of the cluster's dashboard): the adapter behind ``ports.RayJobs``.

``ray`` is imported only when a Ray compute is used, so a server that never attaches one does not
load it (and a server without it refuses Ray computes: ``services/compute_requests.py``). A
client is made per address and kept.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from amlite.domain.ray_jobs import RayJobInfo

ENTRY = Path(__file__).with_name("ray_entry.py")
PROBE_SECONDS = 5.0


class RayJobClient:
    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def probe(self, address: str) -> str | None:
        """None when a Ray dashboard answers at ``address`` (its ``/api/version``), else why not."""
        try:
            with urllib.request.urlopen(f"{address}/api/version", timeout=PROBE_SECONDS) as response:
                version = json.loads(response.read() or b"{}").get("ray_version")
        except (OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            return f"No Ray dashboard answers at {address}: {reason}."
        if not version:
            return f"The server at {address} does not answer as a Ray dashboard (no ray_version at /api/version)."
        return None

    def _client(self, address: str) -> Any:
        with self._lock:
            client = self._clients.get(address)
            if client is None:
                try:
                    from ray.job_submission import JobSubmissionClient  # only when a Ray compute is used
                except ImportError as exc:
                    raise RuntimeError("This server cannot submit jobs to Ray: the Python package 'ray[default]' "
                                       f"is not installed in its environment ({exc}).") from None
                client = JobSubmissionClient(address)
                self._clients[address] = client
            return client

    def submit(self, address: str, submission_id: str, files: Path, pip: list[str], metadata: dict[str, str]) -> None:
        """Submit the runner (``ray_entry.py``) with ``files`` (``job.json`` among them) as the Ray
        job's working directory, uploaded to the cluster by Ray; ``pip`` as its runtime env's."""
        runtime_env: dict[str, Any] = {"working_dir": str(files)}
        if pip:
            runtime_env["pip"] = list(pip)
        self._client(address).submit_job(entrypoint=f"python {ENTRY.name} job.json", submission_id=submission_id,
                                         runtime_env=runtime_env, metadata=dict(metadata))

    def info(self, address: str, submission_id: str) -> RayJobInfo | None:
        """Ray's state of the job, or None when the cluster does not know it."""
        try:
            found = self._client(address).get_job_info(submission_id)
        except RuntimeError as exc:
            if "does not exist" in str(exc):
                return None
            raise
        metadata = {str(k): str(v) for k, v in (getattr(found, "metadata", None) or {}).items()}
        return RayJobInfo(str(getattr(found.status, "value", found.status)), str(found.message or ""), metadata)

    def logs(self, address: str, submission_id: str) -> str:
        return str(self._client(address).get_job_logs(submission_id))

    def stop(self, address: str, submission_id: str) -> None:
        self._client(address).stop_job(submission_id)

    @staticmethod
    def entry_script() -> Path:
        return ENTRY
