"""The README's tours, run as a user runs them: one bash process, in the repository's root, every
block in the README's order, against the server ``make run`` starts. A command that fails, or
output that differs from what the README shows, fails the test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port
from tests.e2e.readme import (
    Block,
    README,
    RUN_LANGUAGES,
    build_script,
    make_run_server,
    matches,
    python_output,
    read_console_outputs,
    readme_blocks,
    user_shell_env,
)


def test_readme_blocks_are_split_as_a_reader_sees_them() -> None:
    """The parts the e2e test relies on: blocks by section, console commands and their output."""
    blocks = readme_blocks()
    start = [b.text for b in blocks if b.section == "Two commands"]
    assert start and start[0].startswith("make run "), "the server the tours use is the one 'make run' starts"
    tours = [b for b in blocks if b.language in RUN_LANGUAGES and b.section != "Two commands"]
    assert tours[0].text.startswith("source .venv/bin/activate\n")
    assert {"Five-minute tour", "Access control", "Assets", "Registries"} <= {b.section for b in tours}
    assert any(b.language == "python" for b in tours) and any(b.language == "console" for b in tours)
    assert matches(["a ... c"], "a b b c\n") and not matches(["a ... c"], "a b\n") and not matches(["x"], "x\ny\n")


@pytest.mark.e2e
def test_readme_runs_in_one_shell_in_order(tmp_path: Path) -> None:
    """The repository's root as a user has it after ``make run``: examples/, a .venv (this
    interpreter's, linked), the server's data in ./.amlite."""
    root = tmp_path / "amlite"
    root.mkdir()
    shutil.copytree(README.parent / "examples", root / "examples")
    assert sys.prefix != sys.base_prefix, "the tests run from a venv, as 'make test' makes"
    (root / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    blocks = [b for b in readme_blocks() if b.section != "Two commands"]
    script = build_script(blocks)
    env = user_shell_env(tmp_path)
    with make_run_server(root, free_port(), env) as server_log:
        done = subprocess.run(["bash", "-c", script.text], cwd=root, env=env, capture_output=True, text=True,
                              timeout=900, stdin=subprocess.DEVNULL)
    report = f"--- stdout\n{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}\n--- server\n" + \
        "\n".join(server_log.read_text(errors="replace").splitlines()[-30:])
    assert done.returncode == 0, report

    read_console_outputs(script, done.stdout)
    for number, command in enumerate(script.consoles):
        assert command.status is not None, f"'{command.command}' did not run\n{report}"
        shows_status = number + 1 < len(script.consoles) and script.consoles[number + 1].command == "echo $?"
        assert command.status == 0 or shows_status, f"'{command.command}' exited {command.status}:\n{command.output}"
        assert matches(command.shown, command.output), \
            f"'{command.command}' printed\n{command.output}\nbut the README shows\n" + "\n".join(command.shown)
    for number, shown in script.python_outputs.items():
        printed = python_output(number, done.stdout)
        assert printed is not None and matches(shown.splitlines(), printed), \
            f"the Python snippet printed\n{printed}\nbut the README shows\n{shown}"
    left = sorted(path.name for path in root.iterdir())
    assert left == [".amlite", ".venv", "examples"], f"the tours clean up what they leave in the repository: {left}"


def test_the_script_catches_failures_and_shown_output(tmp_path: Path) -> None:
    """The checks the e2e test makes, on blocks that fail them: a failing sh line ends the script,
    a console command's output and status are cut out, and '$ echo $?' sees the command before it."""
    blocks = [Block("s", "sh", "cd .\nexport WORD=vision\n"),
              Block("s", "console", "$ echo $WORD\nvision\n$ ls missing-file\n...\n$ echo $?\n2\n"),
              Block("s", "python", "print('from python')\n"), Block("s", "text", "from python\n"),
              Block("s", "sh", "false\necho never\n")]
    script = build_script(blocks)
    done = subprocess.run(["bash", "-c", script.text], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**user_shell_env(tmp_path), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})
    assert done.returncode == 1 and "README command failed (1): false" in done.stderr and "never" not in done.stdout
    read_console_outputs(script, done.stdout)
    assert [(c.output, c.status) for c in script.consoles][0] == ("vision\n", 0)
    assert script.consoles[1].status == 2 and matches(script.consoles[1].shown, script.consoles[1].output)
    assert script.consoles[2].output == "2\n"
    assert not matches(["visio"], script.consoles[0].output)
    assert python_output(2, done.stdout) == "from python\n" and script.python_outputs == {2: "from python\n"}
