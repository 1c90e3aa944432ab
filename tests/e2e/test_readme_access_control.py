"""The README's access-control block, run as written (one bash script, as a user pastes it) against
a real server: a service principal with Reader on a group reads, is refused a write, and the
activity log shows the refusal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import start_server

README = Path(__file__).resolve().parents[2] / "README.md"


def access_control_block() -> str:
    section = README.read_text().split("## Access control", 1)[1].split("\n## ", 1)[0]
    shell = re.search(r"```sh\n(.*?)```", section, re.S)
    assert shell, "the access-control section must hold a sh block"
    return shell.group(1)


@pytest.mark.e2e
def test_readme_access_control_runs_as_written(tmp_path: Path) -> None:
    script = access_control_block()
    assert script.startswith("source .venv/bin/activate\n")
    server = start_server(tmp_path / ".amlite")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["AMLITE_CONFIG_DIR"] = str(tmp_path / "profile")
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
