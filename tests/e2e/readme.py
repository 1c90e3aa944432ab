"""The README as one shell session: its code blocks in order, turned into one bash script, and the
server ``make run`` starts.

A user reads the README top to bottom and pastes each block into the same terminal, so the
tours are checked that way: every ``sh`` block verbatim, every ``python`` block fed to the venv's
``python`` (its output compared with a ``text`` block right after it, when there is one), and
every ``console`` block's ``$ command`` run with its shown output compared. A console command may
fail only when the next one is ``echo $?`` (which then shows the exit code). Blocks of other
languages (a synopsis, a settings file, an example for a server set up otherwise: `bash`, `py`) are not
commands.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MAKEFILE = REPO / "Makefile"
RUN_LANGUAGES = ("sh", "python", "console")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)


@dataclass(frozen=True)
class Block:
    """One fenced block of the README, with the ``## `` section it is in."""

    section: str
    language: str
    text: str


@dataclass
class ConsoleCommand:
    """A ``$ command`` of a console block and the output shown under it."""

    command: str
    shown: list[str]
    output: str = ""
    status: int | None = None


@dataclass
class Script:
    """The bash script the README's blocks make, and what its output must show."""

    text: str
    consoles: list[ConsoleCommand] = field(default_factory=list)
    python_outputs: dict[int, str] = field(default_factory=dict)  # marker number -> the text block shown


def readme_blocks() -> list[Block]:
    blocks: list[Block] = []
    section = ""
    position = 0
    text = README.read_text()
    for match in _FENCE.finditer(text):
        headings = re.findall(r"^## (.+)$", text[position:match.start()], re.M)
        section = headings[-1] if headings else section
        position = match.end()
        blocks.append(Block(section, match.group(1), match.group(2)))
    return blocks


def parse_console(text: str) -> list[ConsoleCommand]:
    commands: list[ConsoleCommand] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            commands.append(ConsoleCommand(line[2:], []))
        else:
            assert commands, f"a console block starts with '$ ': {text!r}"
            commands[-1].shown.append(line)
    return commands


def build_script(blocks: list[Block]) -> Script:
    """One bash script for the blocks, in order: ``set -e`` (a failing command ends it and names
    itself), console commands run between markers so that their output can be cut out again."""
    strict = 'set -e -o pipefail\ntrap \'echo "README command failed ($?): $BASH_COMMAND" >&2\' ERR\n'
    script = Script(strict)
    parts = [script.text]
    for index, block in enumerate(blocks):
        if block.language == "sh":
            parts.append(block.text)
        elif block.language == "python":
            shown = blocks[index + 1].text if index + 1 < len(blocks) and blocks[index + 1].language == "text" else None
            number = index
            parts.append(f"printf '\\n@@python-begin {number}@@\\n'\n"
                         f"python - <<'README_PYTHON'\n{block.text}README_PYTHON\n"
                         f"printf '@@python-end {number}@@\\n'\n")
            if shown is not None:
                script.python_outputs[number] = shown
        elif block.language == "console":
            parts.append("set +e\ntrap - ERR\n")
            for command in parse_console(block.text):
                number = len(script.consoles)
                script.consoles.append(command)
                parts.append(f"printf '\\n@@console-begin {number}@@\\n'\n"
                             f"(exit ${{README_STATUS:-0}})\n"  # so that '$ echo $?' sees the previous command's
                             f"{{ {command.command}\n}} 2>&1\nREADME_STATUS=$?\n"
                             f"printf '@@console-end {number} %s@@\\n' \"$README_STATUS\"\n")
            parts.append(f"README_STATUS=0\n{strict}")
    script.text = "".join(parts)
    return script


def read_console_outputs(script: Script, stdout: str) -> None:
    """Fill each console command's output and exit status from the script's stdout."""
    for number, command in enumerate(script.consoles):
        found = re.search(rf"\n@@console-begin {number}@@\n(.*?)@@console-end {number} (\d+)@@\n", stdout, re.S)
        if found:
            command.output, command.status = found.group(1), int(found.group(2))


def python_output(number: int, stdout: str) -> str | None:
    found = re.search(rf"\n@@python-begin {number}@@\n(.*?)@@python-end {number}@@\n", stdout, re.S)
    return found.group(1) if found else None


def matches(shown: list[str], output: str) -> bool:
    """Shown lines against the output, line by line; ``...`` in a shown line stands for any text,
    and a run of blanks for any run (a tab of ``-o tsv`` is shown as spaces)."""
    got = [" ".join(line.split()) for line in output.rstrip("\n").splitlines()] if output.strip() else []
    want = [" ".join(line.split()) for line in shown]
    while want and not want[-1]:
        want.pop()
    if len(got) != len(want):
        return False
    return all(re.fullmatch(".*?".join(re.escape(part) for part in w.split("...")), g)
               for w, g in zip(want, got, strict=True))


def user_shell_env(home: Path) -> dict[str, str]:
    """A user's shell: no AMLITE_* settings of the developer's, a profile directory of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
    env["AMLITE_CONFIG_DIR"] = str(home / "profile")
    return env


def make_run_command(port: int) -> list[str]:
    """What ``make run`` runs (the Makefile's ``run`` recipe, its variables expanded), with this
    interpreter's venv as ``$(BIN)`` and ``port`` instead of the default one."""
    text = MAKEFILE.read_text()
    variables = dict(re.findall(r"^(\w+)\s*[?:]?=\s*(.*?)\s*$", text, re.M))
    variables.update(BIN=str(Path(sys.executable).parent), PORT=str(port))
    recipe = re.search(r"^run:.*\n\t(.+)$", text, re.M)
    assert recipe, "the Makefile has a 'run' target"
    return shlex.split(re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], recipe.group(1)))


@contextmanager
def make_run_server(cwd: Path, port: int, env: dict[str, str]) -> Iterator[Path]:
    """The server as ``make run`` starts it from ``cwd``; yields its log file, stops it by pid."""
    log_path = cwd.parent / "make-run.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(make_run_command(port), cwd=cwd, env=env, stdout=log,  # noqa: S603
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        yield log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
