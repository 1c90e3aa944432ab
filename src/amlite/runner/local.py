"""Running command jobs on this machine: a cached virtualenv per environment, and the job's
command under a supervisor (``runner.supervisor``) that takes the command's whole process tree
with it when it is canceled or when the server dies.

Environments: a job's pip dependencies are installed with the machine's Python into a virtualenv
under ``<root>/<hash>``, where the hash covers the build's image name (its registry and namespace:
a hub's projects never share a build, see ``domain/images``), the Python version and the sorted
requirements, so jobs of one workspace with the same dependencies share one. The server's own packages stay importable behind the
environment's (a ``.pth`` file), so a job needs to list only what it adds. A virtualenv is built
under a file lock and marked ready only once pip succeeded; a failed build is removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import signal
import site
import subprocess
import sys
from pathlib import Path

from amlite.domain.jobs import JobSetupFailed

GRACE_SECONDS = 8.0
#: Run as a script (standard library only), so it needs nothing of the job's environment.
SUPERVISOR = Path(__file__).with_name("supervisor.py")


class LocalProcess:
    """A job's supervisor process."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self.pid = proc.pid

    def poll(self) -> int | None:
        return self._proc.poll()

    def kill(self) -> int:
        """End the job: the supervisor ends the command's process group; if it does not go, it is killed."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        code = self._proc.wait()
        self._close()
        return code

    def wait(self) -> int:
        code = self._proc.wait()
        self._close()
        return code

    def _close(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            self._proc.stdin.close()


class LocalJobExecutor:
    def __init__(self, env_root: Path) -> None:
        self._root = env_root

    def python_for(self, requirements: list[str], log: Path, image: str = "") -> Path:
        """The interpreter of the environment with ``requirements`` installed, built once per
        ``image`` (the name the build has in its workspace's registry)."""
        reqs = sorted(set(requirements))
        digest = hashlib.sha256(json.dumps([image, sys.version, reqs]).encode()).hexdigest()[:20]
        self._root.mkdir(parents=True, exist_ok=True)
        home = self._root / digest
        python = home / "bin" / "python"
        if (home / ".ready").exists():
            return python
        with open(self._root / f"{digest}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (home / ".ready").exists():
                return python
            shutil.rmtree(home, ignore_errors=True)
            try:
                self._build(home, reqs, log, image)
            except BaseException:
                shutil.rmtree(home, ignore_errors=True)
                raise
            (home / ".ready").write_text(json.dumps(reqs))
        return python

    def _build(self, home: Path, reqs: list[str], log: Path, image: str) -> None:
        with open(log, "ab") as out:
            out.write(f"amlite: creating the job's virtualenv {home.name} ({len(reqs)} pip requirement(s))"
                      f"{' as ' + image if image else ''}\n".encode())
            out.flush()
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, stdout=out,
                           stderr=subprocess.STDOUT)
            purelib = subprocess.run([str(home / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     check=True, capture_output=True, text=True).stdout.strip()
            # The server's packages, after the environment's own (pip among them, to install with).
            Path(purelib, "_amlite_base.pth").write_text("\n".join(site.getsitepackages()) + "\n")
            if reqs:
                out.flush()
                done = subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                                       "--no-input", *reqs], stdout=out, stderr=subprocess.STDOUT)
                if done.returncode != 0:
                    raise JobSetupFailed(
                        "EnvironmentBuildFailed",
                        f"pip could not install the environment's dependencies ({', '.join(reqs)}); exit code "
                        f"{done.returncode}. See user_logs/std_log.txt.")

    def start(self, command: str, cwd: Path, env: dict[str, str], log: Path) -> LocalProcess:
        """Start ``command`` (a shell command line) under its supervisor, in a session of its own."""
        with open(log, "ab") as errors:
            proc = subprocess.Popen(
                [sys.executable, str(SUPERVISOR), str(log), str(cwd), "--", command],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=str(cwd),
                start_new_session=True,
            )
        return LocalProcess(proc)

