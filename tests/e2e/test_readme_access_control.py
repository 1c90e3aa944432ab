"""The README's access-control block, run as written (one bash script, as a user pastes it) against
a real server: a service principal with Reader on a group reads, is refused a write, and the
activity log shows the refusal."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import start_server
from tests.e2e.readme import readme_block, user_shell_env


@pytest.mark.e2e
def test_readme_access_control_runs_as_written(tmp_path: Path) -> None:
    script = readme_block("Access control")
    assert script.startswith("source .venv/bin/activate\n")
    server = start_server(tmp_path / ".amlite")
    env = user_shell_env(tmp_path)
    body = script.split("\n", 1)[1]  # the venv is this interpreter's; PATH has it
    try:
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", body], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    finally:
        server.stop()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    lines = done.stdout.splitlines()
    assert lines[0].endswith("/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7")
    assert lines[1] == "ws-team"
    assert "refused, as it should be" in done.stdout
    assert "(AuthorizationFailed)" in done.stderr and "Microsoft.MachineLearningServices/workspaces/write" in done.stderr
    assert re.search(r"Microsoft\.MachineLearningServices/workspaces/write\s+[0-9a-f-]{36}", done.stdout), done.stdout
