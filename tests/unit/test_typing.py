"""mypy strict on domain, services, schemas and sdk (STYLE.md, "Types"), as pyproject.toml's
``[tool.mypy]`` configures it: ``mypy`` with no arguments checks exactly those packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_strict_packages_type_check() -> None:
    run = mypy()
    if run.returncode != 0:
        pytest.fail(f"mypy (strict, see [tool.mypy] in pyproject.toml) found errors:\n{run.stdout}{run.stderr}",
                    pytrace=False)


def test_sql_unit_of_work_implements_the_port(tmp_path: Path) -> None:
    """The services see the store only through ``amlite.ports``; the SQL adapter must satisfy it,
    or the repository Protocols there drift from what the store really offers."""
    check = tmp_path / "sql_adapter.py"
    check.write_text(
        "from amlite.ports import UnitOfWorkFactory\n"
        "from amlite.store.uow import SqlUnitOfWorkFactory\n\n\n"
        "def port(factory: SqlUnitOfWorkFactory) -> UnitOfWorkFactory:\n"
        "    return factory\n"
    )
    # Its own cache: the test above may be writing .mypy_cache at the same time (pytest -n 2).
    run = mypy("--cache-dir", str(tmp_path / "cache"), str(check))
    if run.returncode != 0:
        pytest.fail(f"SqlUnitOfWorkFactory does not satisfy UnitOfWorkFactory:\n{run.stdout}{run.stderr}", pytrace=False)
