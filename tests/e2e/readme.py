"""What the README tests share: the README's code blocks by section, and the shell a user has
after ``source .venv/bin/activate`` (this interpreter's venv first on PATH, no AMLITE_* settings
of the developer's, a profile directory of the test's own)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(heading: str, language: str = "sh") -> str:
    """The first ``language`` code block of the README section ``## heading``."""
    section = README.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert block, f"the README's '{heading}' section must hold a {language} block"
    return block.group(1)


def command_lines(block: str) -> list[str]:
    """A shell block's commands, one a line, without blank lines and comments."""
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def user_shell_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["AMLITE_CONFIG_DIR"] = str(tmp_path / "profile")
    return env
