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


ADAPTERS = {"amlite.store.uow": "SqlUnitOfWorkFactory", "amlite.store.memory": "InMemoryUnitOfWorkFactory"}


def test_units_of_work_implement_the_port(tmp_path: Path) -> None:
    """The services see the store only through ``amlite.ports``; both adapters must satisfy it, or
    the repository Protocols there drift from what the store really offers, and the in-memory one
    that unit tests run the services on drifts from the SQL one. (One mypy run checks both.)"""
    check = tmp_path / "adapter.py"
    lines = ["from amlite.ports import UnitOfWorkFactory"]
    lines += [f"from {module} import {factory}" for module, factory in ADAPTERS.items()]
    for factory in ADAPTERS.values():
        lines += ["", "", f"def port_{factory}(factory: {factory}) -> UnitOfWorkFactory:", "    return factory"]
    check.write_text("\n".join(lines) + "\n")
    # Its own cache: the test above may be writing .mypy_cache at the same time (pytest -n 2).
    run = mypy("--cache-dir", str(tmp_path / "cache"), str(check))
    if run.returncode != 0:
        pytest.fail(f"an adapter does not satisfy UnitOfWorkFactory:\n{run.stdout}{run.stderr}", pytrace=False)


def test_in_memory_store_type_checks_strictly(tmp_path: Path) -> None:
    """The in-memory store stands in for the SQL one under the services' unit tests; it is held to
    the same strictness as the services it serves."""
    files = [str(ROOT / "src" / "amlite" / "store" / name) for name in ("memory.py", "memory_tx.py", "memory_assets.py")]
    run = mypy("--strict", "--cache-dir", str(tmp_path / "cache"), *files)
    if run.returncode != 0:
        pytest.fail(f"mypy --strict on the in-memory store found errors:\n{run.stdout}{run.stderr}", pytrace=False)
